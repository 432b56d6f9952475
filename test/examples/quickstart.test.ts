/**
 * The quickstart example (examples/quickstart) works as its README says: every grant's happy
 * path with the demo credentials, ES256 tokens whose key is in the JWKS, and the protected
 * route GET /api/me, through the app exactly as `npm start` serves it.
 */
import request from 'supertest';
import { createQuickstartApp, loadSigningKey } from '../../examples/quickstart/app';
import { decodeJwt } from '../helpers/fixtures';

const ISSUER = 'http://localhost:3000';
const TOKEN_PATH = '/oauth2/token';

const { app, demo, stores, signingKid } = createQuickstartApp({ issuer: ISSUER });
const service = demo.confidentialClient;
const spa = demo.publicClient;

afterAll(() => stores.tokens.close());

function expectNoStore(res: request.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
}

describe('quickstart example', () => {
  it('GET / describes the endpoints', async () => {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'express-oauth2-provider quickstart',
      issuer: ISSUER,
      endpoints: {
        authorization: `${ISSUER}/oauth2/authorize`,
        token: `${ISSUER}${TOKEN_PATH}`,
        revocation: `${ISSUER}/oauth2/revoke`,
        introspection: `${ISSUER}/oauth2/introspect`,
        jwks: `${ISSUER}/oauth2/jwks`,
        metadata: `${ISSUER}/.well-known/oauth-authorization-server`,
      },
      api: { me: `${ISSUER}/api/me` },
      grants: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      clients: [
        { client_id: 'demo-service', token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: 'demo-spa', token_endpoint_auth_method: 'none' },
        { client_id: 'demo-web', token_endpoint_auth_method: 'client_secret_basic' },
      ],
    });
  });

  it('client_credentials: the confidential client gets a token with HTTP Basic', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'read' });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      expires_in: 3600,
      scope: 'read',
      token_type: 'Bearer',
    });
    const jwt = decodeJwt(res.body.access_token);
    expect(jwt.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: signingKid });
    expect(jwt.payload).toMatchObject({
      iss: ISSUER,
      sub: 'demo-service',
      aud: ISSUER,
      client_id: 'demo-service',
      scope: 'read',
    });
  });

  it('password: the confidential client gets an access and a refresh token for the demo user', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'password', username: 'demo', password: 'demo-password', scope: 'read write' });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read write',
      token_type: 'Bearer',
    });
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({
      sub: demo.user.id,
      client_id: 'demo-service',
      scope: 'read write',
    });
  });

  it('password: the public client sends only its client_id and gets the default scope', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'password', client_id: spa.id, username: 'demo', password: 'demo-password' });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read',
      token_type: 'Bearer',
    });
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({ sub: demo.user.id, client_id: 'demo-spa' });
  });

  it('refresh_token: the confidential client rotates its refresh token', async () => {
    const first = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'password', username: 'demo', password: 'demo-password', scope: 'read write' });
    expect(first.status).toBe(200);

    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read write',
      token_type: 'Bearer',
    });
    expect(res.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(res.body.access_token).not.toBe(first.body.access_token);
  });

  it('refresh_token: the public client refreshes with its client_id', async () => {
    const first = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'password', client_id: spa.id, username: 'demo', password: 'demo-password' });
    expect(first.status).toBe(200);

    const res = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'refresh_token', client_id: spa.id, refresh_token: first.body.refresh_token });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read',
      token_type: 'Bearer',
    });
    expect(res.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('signs with a P-256 key generated per run, published (public half only) at /oauth2/jwks', async () => {
    expect(signingKid).toMatch(/^quickstart-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/);
    const res = await request(app).get('/oauth2/jwks');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: expect.any(String),
          y: expect.any(String),
          kid: signingKid,
          alg: 'ES256',
          use: 'sig',
        },
      ],
    });
    // Each app has its own key unless one is configured.
    const other = createQuickstartApp({ issuer: ISSUER });
    expect(other.signingKid).not.toBe(signingKid);
    other.stores.tokens.close();
  });

  it('signs with the private JWK in OAUTH_SIGNING_JWK when it is set', () => {
    const { jwk } = loadSigningKey({});
    const loaded = loadSigningKey({ OAUTH_SIGNING_JWK: JSON.stringify(jwk) });
    expect(loaded).toEqual({ jwk, generated: false });
    expect(() => loadSigningKey({ OAUTH_SIGNING_JWK: '{not json' })).toThrow(
      'OAUTH_SIGNING_JWK must be a private JWK as JSON (see examples/quickstart/app.ts)',
    );
  });
});

describe('quickstart example: GET /api/me', () => {
  async function token(form: Record<string, string>): Promise<string> {
    const res = await request(app).post(TOKEN_PATH).auth(service.id, service.secret).type('form').send(form);
    expect(res.status).toBe(200);
    return res.body.access_token;
  }

  it('answers the client_credentials token with the client and no user', async () => {
    const accessToken = await token({ grant_type: 'client_credentials', scope: 'read' });
    const res = await request(app).get('/api/me').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'demo-service', userId: null, scopes: ['read'] });
  });

  it("answers a password token with the user's id", async () => {
    const accessToken = await token({
      grant_type: 'password',
      username: 'demo',
      password: 'demo-password',
      scope: 'read write',
    });
    const res = await request(app).get('/api/me').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ clientId: 'demo-service', userId: demo.user.id, scopes: ['read', 'write'] });
  });

  it('answers no token with 401 and a bare Bearer challenge', async () => {
    const res = await request(app).get('/api/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="${ISSUER}"`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error_description: 'This resource requires a bearer access token (RFC 6750)' });
  });

  it('answers a token without the scope read with 403 insufficient_scope', async () => {
    const accessToken = await token({ grant_type: 'client_credentials', scope: 'write' });
    const res = await request(app).get('/api/me').set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="${ISSUER}", error="insufficient_scope", error_description="The access token lacks a required scope: read", scope="read"`,
    );
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'The access token lacks a required scope: read',
    });
  });

  it('demo-service introspects its own token, revokes it, and then introspection says inactive', async () => {
    const accessToken = await token({ grant_type: 'client_credentials', scope: 'read' });
    const active = await request(app)
      .post('/oauth2/introspect')
      .auth(service.id, service.secret)
      .type('form')
      .send({ token: accessToken });
    expect(active.status).toBe(200);
    expect(active.body).toEqual({
      active: true,
      scope: 'read',
      client_id: 'demo-service',
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      sub: 'demo-service',
      aud: ISSUER,
      iss: ISSUER,
      jti: decodeJwt(accessToken).payload.jti,
    });
    const revoked = await request(app)
      .post('/oauth2/revoke')
      .auth(service.id, service.secret)
      .type('form')
      .send({ token: accessToken });
    expect(revoked.status).toBe(200);
    const inactive = await request(app)
      .post('/oauth2/introspect')
      .auth(service.id, service.secret)
      .type('form')
      .send({ token: accessToken });
    expect(inactive.body).toEqual({ active: false });
    // GET /api/me does not ask the store (no checkRevocation): the JWT verifies until it expires.
    const me = await request(app).get('/api/me').set('Authorization', `Bearer ${accessToken}`);
    expect(me.status).toBe(200);
  });
});
