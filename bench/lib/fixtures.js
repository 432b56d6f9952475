'use strict';
// The fixtures every bench server has (bench/README.md, "Server contract"), in one place so
// that every server, ours and the peers', is set up identically.
const crypto = require('node:crypto');
const { generateKeyPairSync } = crypto;

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret';
const REDIRECT_URI = 'http://127.0.0.1/cb';
const SCOPE = 'read';
const USERNAME = 'alice';
const PASSWORD = 'alice-password';
const ACCESS_TOKEN_LIFETIME = 3600;
/** Codes are pre-minted before a run: they must outlive warm-up plus the measured phase. */
const CODE_LIFETIME = 600;
/** 32 bytes, for HS256. */
const HS256_SECRET = '0123456789abcdef0123456789abcdef';
const VARIANTS = ['hs256', 'es256', 'opaque'];

/** A fresh P-256 key pair as JWKs (ES256), made at startup. */
function es256KeyPair(kid = 'bench-es256') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    privateKey,
    publicKey,
  };
}

/**
 * Fixtures are made inside the server being measured, so they must leave as little behind
 * as the library's own code would (docs/adr/0015-benchmark-method.md, amended 2026-11-25). One
 * `randomBytes()` or `createHash()` per value gives each value its own native buffer or hash
 * context, freed only when V8 collects the object that holds it; 16,000 codes left megabytes
 * of freed native memory the process kept, counted against the server in the code cell. So
 * random values come from a 4 KiB buffer refilled from the CSPRNG (each byte handed out once,
 * as the library's own ids are made) and digests from the one-shot `crypto.hash()`.
 * The same technique as lib/internal/random-pool.ts, written out here rather than taken from
 * dist/: this file runs in the peers' processes too, which must not load our library.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `bytes` fresh random bytes, base64url (what `randomBytes(bytes).toString('base64url')` gives). */
function randomValue(bytes) {
  if (poolOffset + bytes > POOL_BYTES) {
    crypto.randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return value;
}

/** SHA-256, base64url. `crypto.hash()` is Node 20.12+; older Nodes take the Hash object. */
const sha256 = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'base64url')
  : (text) => crypto.createHash('sha256').update(text).digest('base64url');

/** A PKCE pair (RFC 7636, S256). */
function pkcePair() {
  const verifier = randomValue(32);
  return { verifier, challenge: sha256(verifier) };
}

/** The environment every server reads (PORT, BENCH_VARIANT), checked. */
function benchEnv() {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('PORT must be a TCP port number');
    process.exit(2);
  }
  const variant = process.env.BENCH_VARIANT || 'hs256';
  if (!VARIANTS.includes(variant)) {
    console.error(`BENCH_VARIANT must be one of ${VARIANTS.join(', ')}`);
    process.exit(2);
  }
  return { port, variant };
}

/** Prints the one READY line the harness waits for. */
function ready(info) {
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
}

/** Prints UNSUPPORTED and exits 3: the server cannot do this variant. */
function unsupported(reason) {
  process.stdout.write(`UNSUPPORTED ${reason}\n`);
  process.exit(3);
}

/** `n` of a fixture request (`?n=`), bounded so a typo cannot exhaust memory. */
function countParam(req, max = 500_000) {
  const n = Number(new URL(req.url, 'http://x').searchParams.get('n') ?? '1');
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

/** Stops the server on SIGTERM/SIGINT (the harness sends SIGTERM), closing what it was given. */
function closeOnSignal(server, cleanup = async () => {}) {
  const stop = () => {
    server.closeAllConnections?.();
    server.close();
    Promise.resolve()
      .then(cleanup)
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * A real client_credentials request (Basic auth, scope read) to the server's own token
 * endpoint, for the bearer fixtures: `{ status, json }`. node:http, not fetch: the first
 * fetch() loads undici, about 14 MB of RSS that would then count in every later cell.
 */
function clientCredentialsRequest(port, tokenPath) {
  const http = require('node:http');
  const body = `grant_type=client_credentials&scope=${SCOPE}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: tokenPath,
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, json: JSON.parse(text) });
          } catch (err) {
            reject(new Error(`token endpoint answered ${res.statusCode} with non-JSON: ${err.message}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  SCOPE,
  USERNAME,
  PASSWORD,
  ACCESS_TOKEN_LIFETIME,
  CODE_LIFETIME,
  HS256_SECRET,
  VARIANTS,
  es256KeyPair,
  pkcePair,
  randomValue,
  benchEnv,
  ready,
  unsupported,
  countParam,
  closeOnSignal,
  clientCredentialsRequest,
};
