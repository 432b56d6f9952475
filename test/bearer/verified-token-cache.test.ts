import crypto, { createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { createAccessTokenVerifier } from '../../lib/tokens/access-token-verifier';
import { createKeySet } from '../../lib/tokens/keys';
import { VerifiedTokens } from '../../lib/tokens/verified-tokens';
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
app.get('/api/query', oauth.requireToken({ allowQueryToken: true }), (_req, res) => res.json({ ok: true }));
app.get('/api/claims', oauth.requireToken(), (req, res) => {
  res.json(req.oauth?.claims);
  // Arrays and nested objects of the claims are the handler's own too.
  const claims = req.oauth?.claims as { aud: string[]; cnf?: { jkt: string } };
  claims.aud.push('https://elsewhere.example.test');
  if (claims.cnf) claims.cnf.jkt = 'changed';
});
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
    // An HS256 check is one HMAC: two SHA-256 calls (lib/tokens/hmac-sha256.ts, ADR 0021).
    const digests = jest.spyOn(crypto, 'hash');
    try {
      const first = await get(token);
      expect({ status: first.status, body: first.body }).toEqual({ status: 200, body: { scopes: ['read'], scopeClaim: 'read' } });
      expect(digests).toHaveBeenCalledTimes(2);
      const again = await get(token);
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { scopes: ['read'], scopeClaim: 'read' } });
      expect(digests).toHaveBeenCalledTimes(2);
    } finally {
      digests.mockRestore();
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

  it.each([
    ['array claims', { aud: [ISSUER, 'https://api.example.test'] }],
    ['array and nested claims', { aud: [ISSUER, 'https://api.example.test'], cnf: { jkt: 'thumbprint' } }],
  ])('give every request its own copy of %s (the copy is not the remembered one)', async (_name, extra) => {
    const token = sign(claims(extra));
    for (let i = 0; i < 3; i++) {
      const res = await get(token, '/api/claims');
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: JSON.parse(JSON.stringify(jwt.decode(token))) });
    }
  });

  it('are still refused when sent two ways at once (RFC 6750 section 2), though seen before', async () => {
    const token = sign(claims());
    expect((await get(token, '/api/query')).status).toBe(200);
    const res = await request(app).get('/api/query').query({ access_token: token }).set('Authorization', `Bearer ${token}`);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Send the access token one way only (RFC 6750 section 2)' },
    });
  });

  it('are answered synchronously, without a promise: next() runs before the middleware returns', async () => {
    const token = sign(claims({ jti: 'never-sent-before' }));
    const middleware = oauth.requireToken();
    const call = () => {
      const next = jest.fn();
      const req = { headers: { authorization: `Bearer ${token}` }, method: 'GET' } as unknown as express.Request;
      middleware(req, {} as express.Response, next);
      return { next, req };
    };
    const first = call();
    expect(first.next).not.toHaveBeenCalled(); // the first time, the full check is asynchronous
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.next).toHaveBeenCalledWith();
    const again = call();
    expect(again.next).toHaveBeenCalledWith();
    expect(again.req.oauth).toEqual(first.req.oauth);
    expect(again.req.oauth?.claims).not.toBe(first.req.oauth?.claims);
  });
});

describe('the verified-token memory', () => {
  const key = createKeySet({ secret: JWT_SECRET, kid: 'hs-1' }).active;
  const entry = (token: string) => ({ token, kid: 'hs-1', key, claims: {}, payload: '{}', arrays: [] });
  const token = `${'a'.repeat(60)}.${'b'.repeat(100)}.${'c'.repeat(43)}`;
  const sameTail = `x${token.slice(1)}`;

  it('takes a token with the same last 32 characters but other text for a miss, and does not drop the remembered one for it', () => {
    const memory = new VerifiedTokens();
    memory.add(entry(token));
    expect(memory.get(sameTail)).toBeUndefined();
    memory.delete(sameTail);
    expect(memory.get(token)?.token).toBe(token);
  });

  it('keeps at most max tokens, dropping the oldest first', () => {
    const memory = new VerifiedTokens(2);
    const tokens = ['1', '2', '3'].map((d) => `${token}${d.repeat(32)}`);
    for (const t of tokens) memory.add(entry(t));
    expect(tokens.map((t) => memory.get(t) !== undefined)).toEqual([false, true, true]);
  });
});
