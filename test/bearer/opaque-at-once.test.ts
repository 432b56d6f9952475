import express from 'express';
import request from 'supertest';
import { createMemoryStores, createOAuthServer, hashToken, MemoryTokenStore } from '../../lib';
import { createPostgresStores } from '../../lib/postgres';
import { findAccessTokenAtOnce, NOT_AT_ONCE } from '../../lib/stores/read-at-once';
import type { AccessTokenRecord } from '../../lib/stores/types';
import { ISSUER, JWT_SECRET, seedStores } from '../helpers/fixtures';
import { CHALLENGE, clientToken, invalidToken } from './helpers';

// A bearer request with an opaque token, on the memory store, reads the token's record
// without a promise (lib/stores/read-at-once.ts, docs/adr/0023-opaque-bearer-at-once.md). The
// store is read on every request, so revocation stays immediate; every failure and every
// store the host has changed goes the awaited way, which words the error.

const API = 'https://api.example.test';

function server(stores = seedStores()) {
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, accessTokenFormat: 'opaque', audience: [ISSUER, API] });
  const app = express().use(oauth.router);
  app.get('/api', oauth.requireToken({ scope: 'read' }), (req, res) => res.json(req.oauth));
  app.get('/api/audience', oauth.requireToken({ audience: API }), (_req, res) => res.json({ ok: true }));
  app.get('/api/elsewhere', oauth.requireToken({ audience: 'https://elsewhere.example.test' }), (_req, res) => res.json({ ok: true }));
  return { oauth, app, stores };
}

/** Runs the middleware on a bare request; whether next() ran, or a response ended, before it returned. */
function callNow(middleware: express.RequestHandler, authorization: string) {
  const next = jest.fn();
  const req = { headers: { authorization }, method: 'GET', originalUrl: '/api' } as unknown as express.Request;
  const res = { statusCode: 200, setHeader: jest.fn(), end: jest.fn() };
  middleware(req, res as unknown as express.Response, next);
  return { next, req, res };
}

function record(id: string, extra: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  const now = Date.now();
  return { id, familyId: `family-${id}`, clientId: 'confidential-app', scope: ['read'], createdAt: new Date(now), expiresAt: new Date(now + 60_000), ...extra };
}

describe('opaque bearer tokens on the memory store', () => {
  it('are answered synchronously: next() runs before the middleware returns, with the record as context', async () => {
    const { oauth, app, stores } = server();
    const token = await clientToken(app);
    const { next, req } = callNow(oauth.requireToken({ scope: 'read' }), `Bearer ${token}`);
    expect(next).toHaveBeenCalledWith();
    expect(req.oauth).toEqual({ format: 'opaque', tokenId: hashToken(token), clientId: 'confidential-app', scopes: ['read'], expiresAt: expect.any(Date), claims: {} });
    // The same answer as the awaited path's: a spy that calls through has no synchronous form.
    const awaited = jest.spyOn(stores.tokens, 'findAccessToken');
    const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`);
    expect(awaited).toHaveBeenCalledTimes(1);
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { ...req.oauth, expiresAt: req.oauth?.expiresAt.toISOString() } });
  });

  it('give each request its own scopes array', async () => {
    const { oauth, app } = server();
    const token = await clientToken(app);
    const middleware = oauth.requireToken();
    const first = callNow(middleware, `Bearer ${token}`);
    first.req.oauth?.scopes.push('admin');
    expect(callNow(middleware, `Bearer ${token}`).req.oauth?.scopes).toEqual(['read']);
  });

  it('die at once when their grant is revoked: the store is read on every request', async () => {
    const { oauth, app, stores } = server();
    const token = await clientToken(app);
    const middleware = oauth.requireToken();
    expect(callNow(middleware, `Bearer ${token}`).next).toHaveBeenCalledWith();
    await stores.tokens.revokeFamily((await stores.tokens.findAccessToken(hashToken(token)))?.familyId as string, new Date());
    expect(callNow(middleware, `Bearer ${token}`).next).not.toHaveBeenCalled();
    const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`);
    expect({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The access token is invalid or has been revoked' },
      challenge: invalidToken('The access token is invalid or has been revoked'),
    });
  });

  it('are checked for the route audience: the server audience passes at once, another one fails as before', async () => {
    const { oauth, app } = server();
    const token = await clientToken(app);
    expect(callNow(oauth.requireToken({ audience: API }), `Bearer ${token}`).next).toHaveBeenCalledWith();
    expect(callNow(oauth.requireToken({ audience: 'https://elsewhere.example.test' }), `Bearer ${token}`).next).not.toHaveBeenCalled();
    const ok = await request(app).get('/api/audience').set('Authorization', `Bearer ${token}`);
    expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: { ok: true } });
    const res = await request(app).get('/api/elsewhere').set('Authorization', `Bearer ${token}`);
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'The access token is not for this audience' } });
  });

  it('are not answered at once past their expiry, which the awaited path words', async () => {
    const stores = seedStores();
    const { oauth, app } = server(stores);
    await stores.tokens.saveAccessToken(record(hashToken('expired-token'), { expiresAt: new Date(Date.now() - 1) }));
    expect(callNow(oauth.requireToken(), 'Bearer expired-token').next).not.toHaveBeenCalled();
    const res = await request(app).get('/api').set('Authorization', 'Bearer expired-token');
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { error: 'invalid_token', error_description: 'The access token has expired' } });
  });

  it('RFC 6750 §2.1: a stored token outside the b64token form is still refused as malformed (400 invalid_request)', async () => {
    const stores = seedStores();
    const { oauth, app } = server(stores);
    // Not one we issue (ours are base64url), but a host may import records of any text.
    await stores.tokens.saveAccessToken(record(hashToken('abc def')));
    expect(callNow(oauth.requireToken(), 'Bearer abc def').next).not.toHaveBeenCalled();
    const res = await request(app).get('/api').set('Authorization', 'Bearer abc def');
    expect({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The bearer token is malformed (RFC 6750 section 2.1)' },
      challenge: `${CHALLENGE}, error="invalid_request", error_description="The bearer token is malformed (RFC 6750 section 2.1)"`,
    });
  });

  it('are awaited with checkRevocation (the client and user are read too)', async () => {
    const { oauth, app } = server();
    const token = await clientToken(app);
    const { next } = callNow(oauth.requireToken({ checkRevocation: true }), `Bearer ${token}`);
    expect(next).not.toHaveBeenCalled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(next).toHaveBeenCalledWith();
  });
});

describe('a token store the host has changed is awaited, so its own method runs', () => {
  it('a findAccessToken replaced on the instance after the server was built (a spy, instrumentation)', async () => {
    const { oauth, app, stores } = server();
    const token = await clientToken(app);
    const spy = jest.spyOn(stores.tokens, 'findAccessToken');
    const { next } = callNow(oauth.requireToken(), `Bearer ${token}`);
    expect(next).not.toHaveBeenCalled();
    expect(spy).toHaveBeenCalledWith(hashToken(token));
    spy.mockRestore();
    expect(callNow(oauth.requireToken(), `Bearer ${token}`).next).toHaveBeenCalledWith();
  });

  it('a subclass that overrides findAccessToken', async () => {
    class Counting extends MemoryTokenStore {
      reads = 0;
      override async findAccessToken(id: string) {
        this.reads++;
        return super.findAccessToken(id);
      }
    }
    const tokens = new Counting(60_000);
    const stores = { ...seedStores(), tokens };
    const { app } = server(stores);
    const token = await clientToken(app);
    const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(tokens.reads).toBe(1);
    tokens.close();
  });
});

describe('findAccessTokenAtOnce', () => {
  it('gives the memory store record findAccessToken gives, and undefined for an unknown id', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(record('id-1'));
    expect(findAccessTokenAtOnce(tokens, 'id-1')).toEqual(await tokens.findAccessToken('id-1'));
    expect(findAccessTokenAtOnce(tokens, 'id-2')).toBeUndefined();
    tokens.close();
  });

  it('has no answer for a store without a synchronous form (PostgreSQL)', () => {
    const pg = createPostgresStores({ pool: { query: jest.fn(), on: jest.fn() } as never });
    expect(findAccessTokenAtOnce(pg.tokens, 'id-1')).toBe(NOT_AT_ONCE);
  });
});
