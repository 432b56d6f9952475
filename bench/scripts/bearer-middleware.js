#!/usr/bin/env node
'use strict';
// The cost of `requireToken()` alone, without HTTP: nanoseconds per call for one token sent
// again and again, per token format, on the memory store, and how many calls reached next()
// before the middleware returned. A micro-benchmark for changes to the bearer hot path
// (ADRs 0020 and 0023); the HTTP figures come from `npm run bench`. Measures the built dist/:
//   npm run build && node bench/scripts/bearer-middleware.js [calls]
const path = require('node:path');

const ROOT = path.join(__dirname, '../..');
const dist = require(path.join(ROOT, 'dist'));
const express = require(require.resolve('express', { paths: [ROOT] }));

const CALLS = Number(process.argv[2] ?? 300_000);
const SECRET = 'bench-client-secret-of-at-least-32-bytes';

/** A server issuing `format` tokens, a real token from its token endpoint, and the middleware. */
async function setup(format) {
  const stores = dist.createMemoryStores({ clients: [{ id: 'bench', secret: SECRET, grants: ['client_credentials'], scopes: ['read'] }] });
  const oauth = dist.createOAuthServer({
    issuer: 'http://127.0.0.1',
    stores,
    signing: { secret: 'bench-signing-secret-of-at-least-32-bytes' },
    accessTokenFormat: format,
    rateLimits: false,
  });
  const server = express().use(oauth.router).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const reply = await fetch(`http://127.0.0.1:${server.address().port}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=read',
    });
    const { access_token: token } = await reply.json();
    return { middleware: oauth.requireToken({ scope: 'read' }), token, stores };
  } finally {
    server.close();
  }
}

async function measure(format) {
  const { middleware, token, stores } = await setup(format);
  let reached = 0;
  const next = () => reached++;
  // Each request's header is a new string, as it is when Node parses one.
  const call = () => middleware({ headers: { authorization: `Bearer ${token}` }, method: 'GET' }, {}, next);
  for (let i = 0; i < 50_000; i++) call();
  // Let the first, awaited checks finish (a JWT is remembered once its check completes).
  await new Promise((resolve) => setImmediate(resolve));
  reached = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) call();
  const ns = Number(process.hrtime.bigint() - started) / CALLS;
  const synchronous = reached;
  await new Promise((resolve) => setImmediate(resolve));
  stores.tokens.close();
  return { format, ns, synchronous, reached };
}

(async () => {
  for (const format of ['opaque', 'jwt', 'opaque', 'jwt']) {
    const r = await measure(format);
    console.log(`${r.format.padEnd(6)} ${r.ns.toFixed(0).padStart(6)} ns per call; next() before returning: ${r.synchronous} of ${CALLS} (${r.reached} in all)`);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
