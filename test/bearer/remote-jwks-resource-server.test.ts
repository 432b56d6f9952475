import { createPrivateKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createResourceServer, type Logger } from '../../lib';

const ISSUER = 'https://auth.example.test';
const key = (kid: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid }) as JsonWebKey & { kid: string };
const publicOf = ({ d: _d, ...pub }: JsonWebKey & { kid: string }) => ({ ...pub, alg: 'ES256', use: 'sig' });
const K1 = key('k1');
const K2 = key('k2');
const mint = (k: JsonWebKey & { kid: string }, extra: Record<string, unknown> = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ iss: ISSUER, sub: 'u1', aud: ISSUER, client_id: 'c1', iat: now, exp: now + 600, jti: `j-${k.kid}`, scope: 'read', ...extra }, createPrivateKey({ key: k, format: 'jwk' }), {
    algorithm: 'ES256',
    header: { alg: 'ES256', typ: 'at+jwt', kid: k.kid },
  });
};

/** A JWKS endpoint whose answer the test controls, counting fetches. */
async function jwksServer() {
  const state = { keys: [publicOf(K1)] as unknown[], status: 200, fetches: 0 };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return { state, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function api(jwksUri: string, logger: Logger = { warn: jest.fn(), error: jest.fn() }, audience?: string) {
  const rs = createResourceServer({ issuer: ISSUER, jwksUri, logger, ...(audience ? { audience } : {}) });
  return express().get('/orders', rs.requireToken({ scope: 'read' }), (req, res) => {
    res.json({ user: req.oauth?.userId });
  });
}

describe('createResourceServer: JWT verification from a remote JWKS', () => {
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  beforeEach(async () => {
    jwks = await jwksServer();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await jwks.close();
  });

  it('verifies tokens with the published key, fetching the JWKS once', async () => {
    const app = api(jwks.url);
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${mint(K1)}`);
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { user: 'u1' } });
    }
    expect(jwks.state.fetches).toBe(1);
  });

  it('picks up a rotated key: an unknown kid refetches, but at most once per 30 s', async () => {
    const app = api(jwks.url);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${mint(K1)}`)).status).toBe(200);
    jwks.state.keys = [publicOf(K1), publicOf(K2)];
    // Within the cooldown, unknown kids (real or forged) cause no fetch storm.
    for (let i = 0; i < 5; i++) {
      const res = await request(app).get('/orders').set('Authorization', `Bearer ${mint(K2)}`);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="${ISSUER}", error="invalid_token", error_description="The access token was signed with an unknown key"`,
      );
    }
    expect(jwks.state.fetches).toBe(1);
    const later = Date.now() + 31_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${mint(K2, { iat: Math.floor(later / 1000), exp: Math.floor(later / 1000) + 600 })}`)).status).toBe(200);
    expect(jwks.state.fetches).toBe(2);
  });

  it('keeps the keys it has when the JWKS is down, and says so in the log', async () => {
    const logger: Logger = { warn: jest.fn(), error: jest.fn() };
    const app = api(jwks.url, logger);
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${mint(K1)}`)).status).toBe(200);
    jwks.state.status = 503;
    const later = Date.now() + 11 * 60_000; // past the 10-minute cache
    jest.spyOn(Date, 'now').mockReturnValue(later);
    const token = mint(K1, { iat: Math.floor(later / 1000), exp: Math.floor(later / 1000) + 600 });
    // Served from the cached keys at once; the refresh runs behind and fails.
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    for (let i = 0; i < 100 && jest.mocked(logger.warn).mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(logger.warn).toHaveBeenCalledWith({ err: expect.any(Error), jwksUri: jwks.url }, 'Could not refresh the JWKS');
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });

  it('answers 503 temporarily_unavailable (not invalid_token) while no JWKS has ever loaded', async () => {
    jwks.state.status = 500;
    const res = await request(api(jwks.url)).get('/orders').set('Authorization', `Bearer ${mint(K1)}`);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The server is temporarily unable to handle the request' },
    });
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('ignores keys meant for encryption (use "enc")', async () => {
    jwks.state.keys = [{ ...publicOf(K1), use: 'enc' }];
    const res = await request(api(jwks.url)).get('/orders').set('Authorization', `Bearer ${mint(K1)}`);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token was signed with an unknown key' });
  });

  it('ignores shared-secret (oct) keys in a JWKS', async () => {
    jwks.state.keys = [{ kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url'), kid: 'hs', alg: 'HS256' }];
    const hs = jwt.sign({ iss: ISSUER, sub: 'u1', aud: ISSUER, client_id: 'c1', jti: 'j', scope: 'read', exp: Math.floor(Date.now() / 1000) + 60 }, Buffer.alloc(32, 1), {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt', kid: 'hs' },
    });
    const res = await request(api(jwks.url)).get('/orders').set('Authorization', `Bearer ${hs}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token was signed with an unknown key' });
  });

  it('applies its audience to every route', async () => {
    const app = api(jwks.url, undefined, 'https://orders.example.test');
    const res = await request(app).get('/orders').set('Authorization', `Bearer ${mint(K1)}`);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is not for this audience' });
    expect((await request(app).get('/orders').set('Authorization', `Bearer ${mint(K1, { aud: 'https://orders.example.test' })}`)).status).toBe(200);
  });

  it('refuses opaque tokens (they need the token store)', async () => {
    const res = await request(api(jwks.url)).get('/orders').set('Authorization', `Bearer ${'a'.repeat(43)}`);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is not a JWT; opaque tokens must be introspected' });
  });
});

describe('createResourceServer validates its options', () => {
  it.each([
    [{ issuer: '', jwksUri: 'https://a/jwks' }, 'issuer'],
    [{ issuer: ISSUER, jwksUri: 'ftp://a/jwks' }, 'jwksUri'],
    [{ issuer: ISSUER, jwksUri: 'https://a/jwks', audiences: ['x'] }, 'audiences'],
  ])('rejects %j', (options, path) => {
    expect(() => createResourceServer(options as never)).toThrow(expect.objectContaining({ path }));
  });
});
