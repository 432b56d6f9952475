// ESM consumer: named imports from the CommonJS build, then a real client_credentials grant
// and a password grant over HTTP. Run by scripts/pack-check.sh inside a scratch app that installed the tarball.
import assert from 'node:assert/strict';
import express from 'express';
import { createMemoryStores, createOAuthServer, hashPassword } from 'express-oauth2-provider';

const client = { id: 'pack-check-client', secret: 'pack-check-secret-0123456789abcdef' };
// hashPassword and the password grant run bcryptjs in worker threads: this proves the
// installed package's inline worker finds bcryptjs.
const user = { username: 'pack-check-user', password: 'pack-check-password' };
const stores = createMemoryStores({
  clients: [{ ...client, grants: ['client_credentials', 'password'], scopes: ['read'], defaultScopes: ['read'] }],
  users: [{ id: 'u1', username: user.username, passwordHash: await hashPassword(user.password, 4) }],
});
const oauth = createOAuthServer({
  issuer: 'http://127.0.0.1',
  stores,
  signing: { secret: 'pack-check-signing-secret-that-is-long-enough' },
});
const app = express();
app.use(oauth.router);

const server = await new Promise((resolve, reject) => {
  const s = app.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve(s)));
  s.on('error', reject);
});
try {
  const { port } = server.address();
  const form = (v) => encodeURIComponent(v).replace(/%20/g, '+');
  const res = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${form(client.id)}:${form(client.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=read',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `token endpoint answered ${res.status}: ${text}`);
  const body = JSON.parse(text);
  assert.equal(typeof body.access_token, 'string', `no access_token in ${text}`);
  assert.ok(body.access_token.length > 0, 'empty access_token');
  assert.equal(String(body.token_type).toLowerCase(), 'bearer', `token_type is ${body.token_type}`);
  console.log(
    `esm: issued a ${body.token_type} token (${body.access_token.length} chars, expires_in ${body.expires_in})`,
  );
  const pw = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${form(client.id)}:${form(client.secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', username: user.username, password: user.password }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const pwText = await pw.text();
  assert.equal(pw.status, 200, `password grant answered ${pw.status}: ${pwText}`);
  console.log('esm: password grant checked in a worker thread: 200');
} finally {
  await new Promise((resolve) => server.close(resolve));
}
