import express from 'express';
import request, { type Response } from 'supertest';
import { ConfigurationError, createResourceServer, type Logger, createOAuthServer } from '../../lib';
import { ALICE, CONFIDENTIAL, ISSUER, basic, seedStores } from '../helpers/fixtures';
import { CHALLENGE, clientToken, EC_KEY, invalidToken, protectedApp } from './helpers';

const { app, oauth, stores } = protectedApp();

function expectChallenge(res: Response, status: number, challenge: string, body: Record<string, string>): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
  expect(res.headers['www-authenticate']).toBe(challenge);
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
}

describe('RFC 6750 §3.1 no token at all', () => {
  it('answers 401 with a bare challenge (no error code) and a JSON body', async () => {
    expectChallenge(await request(app).get('/api'), 401, CHALLENGE, { error_description: 'This resource requires a bearer access token (RFC 6750)' });
  });

  it('uses the configured realm, quoted', async () => {
    const res = await request(app).get('/api/realm');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="orders \\"api\\""');
  });

  it('ignores other Authorization schemes', async () => {
    const res = await request(app).get('/api').set('Authorization', basic('a', 'b'));
    expectChallenge(res, 401, CHALLENGE, { error_description: 'This resource requires a bearer access token (RFC 6750)' });
  });
});

describe('RFC 6750 §2 where the token may come from', () => {
  it('§2.1 the Authorization header, scheme in any case', async () => {
    const token = await clientToken(app);
    expect((await request(app).get('/api').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app).get('/api').set('Authorization', `bearer ${token}`)).status).toBe(200);
  });

  it('§2.1 refuses a malformed bearer value with 400 invalid_request', async () => {
    const res = await request(app).get('/api').set('Authorization', 'Bearer abc def');
    expectChallenge(res, 400, `${CHALLENGE}, error="invalid_request", error_description="The bearer token is malformed (RFC 6750 section 2.1)"`, {
      error: 'invalid_request',
      error_description: 'The bearer token is malformed (RFC 6750 section 2.1)',
    });
  });

  it('§2.3 ignores ?access_token= unless the route allows it', async () => {
    const token = await clientToken(app);
    expectChallenge(await request(app).get('/api').query({ access_token: token }), 401, CHALLENGE, {
      error_description: 'This resource requires a bearer access token (RFC 6750)',
    });
    const res = await request(app).get('/api/query').query({ access_token: token });
    expect(res.status).toBe(200);
    // §2.3: a response to a request carrying the token in its URI is marked private.
    expect(res.headers['cache-control']).toBe('private');
    expect((await request(app).get('/api/query').set('Authorization', `Bearer ${token}`)).headers['cache-control']).toBeUndefined();
  });

  it('§2.2 ignores a form-body access_token unless the route allows it', async () => {
    const token = await clientToken(app);
    expect((await request(app).post('/api/no-body').type('form').send({ access_token: token })).status).toBe(401);
    expect((await request(app).post('/api/body').type('form').send({ access_token: token })).status).toBe(200);
  });

  it('accepts the Gravitee-style cookie Authorization="Bearer <token>" when enabled', async () => {
    const token = await clientToken(app);
    expect((await request(app).get('/api/cookie').set('Cookie', `Authorization="Bearer ${token}"`)).status).toBe(200);
    expect((await request(app).get('/api/cookie').set('Cookie', `Authorization=Bearer%20${token}`)).status).toBe(200);
    expect((await request(app).get('/api').set('Cookie', `Authorization="Bearer ${token}"`)).status).toBe(401);
  });

  it('refuses a cookie that does not hold a bearer token', async () => {
    const res = await request(app).get('/api/cookie').set('Cookie', 'Authorization="Basic abc"');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: "The access token cookie must hold 'Bearer <token>'" });
  });

  it.each([
    ['header and query', '/api/query', (t: string) => request(app).get('/api/query').query({ access_token: t }).set('Authorization', `Bearer ${t}`)],
    ['header and cookie', '/api/cookie', (t: string) => request(app).get('/api/cookie').set('Cookie', `Authorization="Bearer ${t}"`).set('Authorization', `Bearer ${t}`)],
    ['header and body', '/api/body', (t: string) => request(app).post('/api/body').type('form').send({ access_token: t }).set('Authorization', `Bearer ${t}`)],
  ])('refuses two methods at once (%s) with 400 invalid_request', async (_name, _path, send) => {
    const res = await send(await clientToken(app));
    expectChallenge(res, 400, `${CHALLENGE}, error="invalid_request", error_description="Send the access token one way only (RFC 6750 section 2)"`, {
      error: 'invalid_request',
      error_description: 'Send the access token one way only (RFC 6750 section 2)',
    });
  });

  it('refuses a repeated query access_token', async () => {
    const token = await clientToken(app);
    const res = await request(app).get(`/api/query?access_token=${token}&access_token=${token}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'access_token must be given once' });
  });
});

describe('what the handler sees on req.oauth', () => {
  it('a client_credentials JWT: client, scopes, claims, no user; the host request is left alone', async () => {
    const token = await clientToken(app, 'read write');
    const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      oauth: {
        format: 'jwt',
        tokenId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        clientId: CONFIDENTIAL.id,
        scopes: ['read', 'write'],
        expiresAt: expect.any(String),
        claims: expect.objectContaining({ iss: ISSUER, sub: CONFIDENTIAL.id, client_id: CONFIDENTIAL.id, scope: 'read write' }),
      },
      sawPassport: false,
      user: null,
    });
  });

  it('a user token: userId is the sub', async () => {
    const grant = await request(app)
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
    const res = await request(app).get('/api').set('Authorization', `Bearer ${grant.body.access_token}`);
    expect(res.body.oauth).toMatchObject({ clientId: CONFIDENTIAL.id, userId: ALICE.id, scopes: ['read'] });
  });
});

describe('RFC 6750 §3.1 insufficient_scope', () => {
  it('answers 403 naming every required scope in the challenge', async () => {
    const res = await request(app).get('/api/read-write').set('Authorization', `Bearer ${await clientToken(app, 'read')}`);
    expectChallenge(
      res,
      403,
      `${CHALLENGE}, error="insufficient_scope", error_description="The access token lacks a required scope: read write", scope="read write"`,
      { error: 'insufficient_scope', error_description: 'The access token lacks a required scope: read write' },
    );
  });

  it('lets a token with every required scope through', async () => {
    expect((await request(app).get('/api/read-write').set('Authorization', `Bearer ${await clientToken(app, 'write read')}`)).status).toBe(200);
  });
});

describe('revocation check (checkRevocation)', () => {
  it('rejects a JWT whose grant was revoked, where the plain check still accepts it', async () => {
    const token = await clientToken(app);
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;
    const record = await stores.tokens.findAccessToken(jti);
    await stores.tokens.revokeFamily(record?.familyId as string, new Date());
    expectChallenge(await request(app).get('/api/revocable').set('Authorization', `Bearer ${token}`), 401, invalidToken('The access token has been revoked'), {
      error: 'invalid_token',
      error_description: 'The access token has been revoked',
    });
    expect((await request(app).get('/api').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });
});

describe('opaque access tokens', () => {
  const opaque = protectedApp({ accessTokenFormat: 'opaque' });

  it('are random strings, stored by hash, accepted while live', async () => {
    const token = await clientToken(opaque.app);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await request(opaque.app).get('/api').set('Authorization', `Bearer ${token}`);
    expect(res.body.oauth).toEqual({ format: 'opaque', tokenId: expect.any(String), clientId: CONFIDENTIAL.id, scopes: ['read'], expiresAt: expect.any(String), claims: {} });
  });

  it('die the moment their grant is revoked, without checkRevocation', async () => {
    const token = await clientToken(opaque.app);
    const { tokenId } = (await request(opaque.app).get('/api').set('Authorization', `Bearer ${token}`)).body.oauth;
    const record = await opaque.stores.tokens.findAccessToken(tokenId);
    await opaque.stores.tokens.revokeFamily(record?.familyId as string, new Date());
    expectChallenge(await request(opaque.app).get('/api').set('Authorization', `Bearer ${token}`), 401, invalidToken('The access token is invalid or has been revoked'), {
      error: 'invalid_token',
      error_description: 'The access token is invalid or has been revoked',
    });
  });

  it('expire', async () => {
    const token = await clientToken(opaque.app);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 3601_000);
    try {
      const res = await request(opaque.app).get('/api').set('Authorization', `Bearer ${token}`);
      expect(res.headers['www-authenticate']).toBe(invalidToken('The access token has expired'));
    } finally {
      clock.mockRestore();
    }
  });

  it('can be chosen per client', async () => {
    const stores2 = seedStores();
    const clients = {
      findById: async (id: string) => {
        const client = await stores2.clients.findById(id);
        return client && id === CONFIDENTIAL.id ? { ...client, accessTokenFormat: 'opaque' as const } : client;
      },
    };
    const server = express().use(createOAuthServer({ issuer: ISSUER, stores: { ...stores2, clients }, signing: { keys: [EC_KEY] } }).router);
    expect(await clientToken(server)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('failures of the token store', () => {
  it('answer 500 server_error without a challenge, and are logged', async () => {
    const seeded = seedStores();
    const logger: Logger = { warn: jest.fn(), error: jest.fn() };
    const tokens = Object.assign(Object.create(seeded.tokens), { findAccessToken: () => Promise.reject(new Error('db down')) });
    const server = createOAuthServer({ issuer: ISSUER, stores: { ...seeded, tokens }, signing: { keys: [EC_KEY] }, logger, accessTokenFormat: 'opaque' });
    const api = express().get('/api', server.requireToken(), (_req, res) => {
      res.end();
    });
    const res = await request(api).get('/api').set('Authorization', `Bearer ${'a'.repeat(43)}`);
    expect({ status: res.status, body: res.body }).toEqual({ status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected condition' } });
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(logger.error).toHaveBeenCalledTimes(1);
  });
});

describe('requireToken options are validated when the middleware is built', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown option', { scopes: ['read'] }, 'requireToken.scopes'],
    ['a bad scope', { scope: 'read write' }, 'requireToken.scope[0]'],
    ['a non-boolean flag', { allowQueryToken: 'yes' }, 'requireToken.allowQueryToken'],
    ['an empty cookie name', { cookie: '' }, 'requireToken.cookie'],
  ])('rejects %s', (_name, options, path) => {
    expect(() => oauth.requireToken(options)).toThrow(ConfigurationError);
    try {
      oauth.requireToken(options);
    } catch (err) {
      expect((err as ConfigurationError).path).toBe(path);
    }
  });

  it('refuses checkRevocation on a remote resource server (no token store there)', () => {
    const api = createResourceServer({ issuer: ISSUER, jwksUri: `${ISSUER}/oauth2/jwks` });
    expect(() => api.requireToken({ checkRevocation: true })).toThrow('requireToken.checkRevocation: needs the token store');
  });
});
