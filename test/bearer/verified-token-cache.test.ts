import crypto, { createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { createAccessTokenVerifier } from '../../lib/tokens/access-token-verifier';
import { createKeySet } from '../../lib/tokens/keys';
import { ISSUER, JWT_SECRET, seedStores } from '../helpers/fixtures';
import { claims, invalidToken, now } from './helpers';

// A bearer token sent again skips the signature check (lib/tokens/verified-tokens.ts); its
// claims are still checked on every request.

const sign = (payload: Record<string, unknown>, secret = JWT_SECRET) =>
  jwt.sign(payload, createSecretKey(Buffer.from(secret)), { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', kid: 'hs-1' } });

const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET, kid: 'hs-1' } });
const app = express().use(oauth.router);
app.get('/api', oauth.requireToken(), (req, res) => {
  const seen = { scopes: [...(req.oauth?.scopes ?? [])], scopeClaim: req.oauth?.claims.scope };
  // A handler that mutates what it was given must not change what the next request sees.
  req.oauth?.scopes.push('admin');
  if (req.oauth) req.oauth.claims.scope = 'admin';
  res.json(seen);
});
app.get('/api/audience', oauth.requireToken({ audience: 'https://api.example.test' }), (_req, res) => res.json({ ok: true }));
const get = (token: string, path = '/api') => request(app).get(path).set('Authorization', `Bearer ${token}`);

async function expectInvalid(token: string, description: string, path = '/api') {
  const res = await get(token, path);
  expect({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }).toEqual({
    status: 401,
    body: { error: 'invalid_token', error_description: description },
    challenge: invalidToken(description),
  });
}

describe('bearer tokens seen before', () => {
  it('are not signature-checked again, and each request gets its own copy of the claims', async () => {
    const token = sign(claims());
    const hmac = jest.spyOn(crypto, 'createHmac');
    try {
      const first = await get(token);
      expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: { scopes: ['read'], scopeClaim: 'read' } });
      expect(hmac).toHaveBeenCalledTimes(1);
      const again = await get(token);
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { scopes: ['read'], scopeClaim: 'read' } });
      expect(hmac).toHaveBeenCalledTimes(1);
    } finally {
      hmac.mockRestore();
    }
  });

  it('still expire: exp is checked on every request (with the 5 s tolerance)', async () => {
    const exp = now() + 60;
    const token = sign(claims({ exp }));
    expect((await get(token)).status).toBe(200);
    const clock = jest.spyOn(Date, 'now').mockReturnValue((exp + 4) * 1000);
    try {
      expect((await get(token)).status).toBe(200);
      clock.mockReturnValue((exp + 6) * 1000);
      await expectInvalid(token, 'The access token has expired');
    } finally {
      clock.mockRestore();
    }
  });

  it('are still checked for the audience of each route', async () => {
    const token = sign(claims());
    expect((await get(token)).status).toBe(200);
    await expectInvalid(token, 'The access token is not for this audience', '/api/audience');
  });

  it('are checked from scratch when their kid names another key than the one that verified them', async () => {
    const original = createKeySet({ secret: JWT_SECRET, kid: 'hs-1' });
    const replaced = createKeySet({ secret: 'another-secret-that-is-at-least-32-bytes', kid: 'hs-1' });
    let keys = original;
    const verify = createAccessTokenVerifier({ issuer: ISSUER, keys: (kid) => keys.byKid(kid) });
    const token = sign(claims());
    expect((await verify(token)).tokenId).toBe('jti-1');
    keys = replaced; // e.g. a remote JWKS refreshed with a new key under the same kid
    await expect(verify(token)).rejects.toThrow('The access token signature is invalid');
  });

  it('do not let a forged token in: only tokens that passed the check are remembered', async () => {
    const forged = sign(claims(), 'a-forger-secret-that-is-at-least-32-bytes');
    await expectInvalid(forged, 'The access token signature is invalid');
    await expectInvalid(forged, 'The access token signature is invalid');
  });
});
