import { type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { createHmacSha256 } from './hmac-sha256';
import type { SigningAlgorithm } from './keys';

/**
 * Compact JWS (RFC 7515 §7.1) with node:crypto directly, for the two hot paths: signing every
 * access token and verifying every bearer request. jsonwebtoken spent about half of each
 * operation on option handling, payload validation and stream plumbing.
 *
 * The tokens are byte for byte those jsonwebtoken 9 makes (test/token/jws-matches-jsonwebtoken.test.ts):
 * jws encodes the header as latin1 and the payload as UTF-8, then HMAC or PKCS#1 v1.5 over
 * the ASCII signing input; ES256 signatures are the raw r||s (ieee-p1363) that jwa produces.
 */

/**
 * Signs claims as a compact JWS with a fixed protected header. HS256 answers at once (an HMAC
 * is ~5 µs); RS256 and ES256 answer with a promise, because their signature is computed on
 * libuv's threadpool (docs/adr/0018-asymmetric-signing-off-the-event-loop.md).
 */
export type JwsSigner = (claims: Record<string, unknown>) => string | Promise<string>;

/** A signer for one key; the header is encoded once, here. */
export function createJwsSigner(alg: SigningAlgorithm, key: KeyObject, header: Record<string, unknown>): JwsSigner {
  const encodedHeader = Buffer.from(JSON.stringify(header), 'latin1').toString('base64url');
  const signingInput = (claims: Record<string, unknown>) => `${encodedHeader}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
  if (alg === 'HS256') {
    const mac = hmac(key);
    return (claims) => {
      const input = signingInput(claims);
      return `${input}.${mac(input)}`;
    };
  }
  // An ECDSA P-256 signature costs ~50-90 µs and RSA-2048 ~300 µs of CPU: with a callback,
  // node:crypto computes it on the threadpool, and the event loop serves other requests.
  const signatureKeyOptions = signatureKey(alg, key);
  return (claims) =>
    new Promise((resolve, reject) => {
      const input = signingInput(claims);
      sign('sha256', Buffer.from(input), signatureKeyOptions, (err, signature) => {
        if (err) reject(err);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
}

/**
 * Checks the signature of a compact JWS whose three parts are already split. Accepts only what
 * jwa (jsonwebtoken's verifier) accepts: an HMAC must be the exact base64url text jwa
 * computes, not just decode to the same bytes.
 */
export function verifyJwsSignature(alg: SigningAlgorithm, key: KeyObject, input: string, signature: string): boolean {
  if (alg === 'HS256') {
    const expected = Buffer.from(hmac(key)(input));
    const actual = Buffer.from(signature);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  return verify('sha256', Buffer.from(input), signatureKey(alg, key), Buffer.from(signature, 'base64url'));
}

/** One HMAC function per key: it pads the key once (lib/tokens/hmac-sha256.ts). */
const hmacs = new WeakMap<KeyObject, (input: string) => string>();

function hmac(key: KeyObject): (input: string) => string {
  let mac = hmacs.get(key);
  if (!mac) {
    mac = createHmacSha256(key);
    hmacs.set(key, mac);
  }
  return mac;
}

function signatureKey(alg: SigningAlgorithm, key: KeyObject) {
  // JWS ES256 signatures are r||s (RFC 7518 §3.4), not the DER node:crypto defaults to.
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
}
