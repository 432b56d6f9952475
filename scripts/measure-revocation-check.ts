/**
 * Measures what `checkRevocation` costs per request: the same JWT-protected route with and
 * without it, in-process store, driven over loopback. Run:
 *   node -r ./scripts/register-ts.js scripts/measure-revocation-check.ts
 * Prints median latency per request (µs) of each variant over 20,000 sequential requests on
 * one keep-alive connection (sequential, so the figure is per request, not throughput).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createMemoryStores, createOAuthServer, hashClientSecret } from 'express-oauth2-provider';
import { loopbackCaller, median as medianOf, medianLatency } from './loopback';

async function main() {
  const stores = createMemoryStores({
    clients: [{ id: 'svc', secretHash: hashClientSecret('s'.repeat(32)), grants: ['client_credentials'], scopes: ['read'], defaultScopes: ['read'] }],
  });
  const oauth = createOAuthServer({ issuer: 'http://127.0.0.1', stores, signing: { secret: 'x'.repeat(32) } });
  const app = express();
  app.use(oauth.router);
  app.get('/plain', oauth.requireToken(), (_req, res) => res.end('ok'));
  app.get('/checked', oauth.requireToken({ checkRevocation: true }), (_req, res) => res.end('ok'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const { call, close } = loopbackCaller(port);
  const basic = `Basic ${Buffer.from(`svc:${'s'.repeat(32)}`).toString('base64')}`;
  const body = 'grant_type=client_credentials';
  const { access_token } = JSON.parse(
    await call('POST', '/oauth2/token', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }, body),
  );
  const headers = { authorization: `Bearer ${access_token}` };
  const median = (path: string, n: number) => medianLatency(() => call('GET', path, headers), n);
  // Warm up, then alternate the variants so drift affects both alike.
  await median('/plain', 2000);
  await median('/checked', 2000);
  const plain: number[] = [];
  const checked: number[] = [];
  for (let round = 0; round < 4; round++) {
    plain.push(await median('/plain', 5000));
    checked.push(await median('/checked', 5000));
  }
  console.log(JSON.stringify({ plainMedianUs: medianOf(plain), checkedMedianUs: medianOf(checked), costUs: medianOf(checked) - medianOf(plain), rounds: { plain, checked } }));
  close();
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
