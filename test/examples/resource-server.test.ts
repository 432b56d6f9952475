/**
 * The resource-server example (examples/resource-server): a separate API that verifies the
 * quickstart's access tokens with the keys it publishes at its JWKS URL. The quickstart runs on
 * an ephemeral 127.0.0.1 port, so the API really fetches the JWKS over HTTP; the API itself is
 * driven through supertest. Exact status, body and WWW-Authenticate challenge for: a valid token,
 * no token, a token without the scope the route needs, and tokens signed by another key.
 */
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { createQuickstartApp, DEMO } from '../../examples/quickstart/app';
import { createApiApp } from '../../examples/resource-server/app';
import { listen } from './http-browser';

let quickstart: ReturnType<typeof createQuickstartApp>;
let issuer: string;
let api: ReturnType<typeof createApiApp>['app'];
const closers: (() => Promise<void>)[] = [];
const service = DEMO.confidentialClient;

beforeAll(async () => {
  const as = await listen((origin) => {
    quickstart = createQuickstartApp({ issuer: origin });
    return quickstart.app;
  });
  issuer = as.origin;
  closers.push(as.close);
  api = createApiApp({ issuer, jwksUri: `${issuer}/oauth2/jwks` }).app;
});

afterAll(async () => {
  quickstart?.stores.tokens.close();
  await Promise.all(closers.map((close) => close()));
});

/** A client_credentials token of demo-service from `app` (the quickstart by default). */
async function token(scope: string, app = quickstart.app): Promise<string> {
  const res = await request(app)
    .post('/oauth2/token')
    .auth(service.id, service.secret)
    .type('form')
    .send({ grant_type: 'client_credentials', scope });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

function expectChallenge(res: request.Response, status: number, challenge: string, body: Record<string, string>): void {
  expect(res.status).toBe(status);
  expect(res.headers['www-authenticate']).toBe(challenge);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.body).toEqual(body);
}

describe('resource-server example against the quickstart', () => {
  it("GET /orders with a 'read' token: the orders of the token's client", async () => {
    const res = await request(api)
      .get('/orders')
      .set('Authorization', `Bearer ${await token('read')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ owner: 'demo-service', orders: [] });
  });

  it("POST /orders with a 'write' token adds an order, which GET /orders then lists", async () => {
    const accessToken = await token('read write');
    const created = await request(api)
      .post('/orders')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ item: 'coffee', quantity: 2 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ owner: 'demo-service', order: { id: 'order-1', item: 'coffee', quantity: 2 } });

    const listed = await request(api).get('/orders').set('Authorization', `Bearer ${accessToken}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ owner: 'demo-service', orders: [{ id: 'order-1', item: 'coffee', quantity: 2 }] });
  });

  it('a password token lists the orders of its user, not of the client', async () => {
    const res = await request(quickstart.app)
      .post('/oauth2/token')
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'password', username: DEMO.user.username, password: DEMO.user.password, scope: 'read' });
    expect(res.status).toBe(200);
    const listed = await request(api).get('/orders').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ owner: DEMO.user.id, orders: [] });
  });

  it('no token: 401 with a bare Bearer challenge naming the issuer as realm', async () => {
    const res = await request(api).get('/orders');
    expectChallenge(res, 401, `Bearer realm="${issuer}"`, {
      error_description: 'This resource requires a bearer access token (RFC 6750)',
    });
  });

  it('POST /orders with a token lacking \'write\': 403 insufficient_scope, scope="write" in the challenge', async () => {
    const res = await request(api)
      .post('/orders')
      .set('Authorization', `Bearer ${await token('read')}`)
      .send({ item: 'tea' });
    expectChallenge(
      res,
      403,
      `Bearer realm="${issuer}", error="insufficient_scope", error_description="The access token lacks a required scope: write", scope="write"`,
      { error: 'insufficient_scope', error_description: 'The access token lacks a required scope: write' },
    );
  });

  it('a token of another quickstart instance (another key, same issuer): 401 invalid_token', async () => {
    const other = createQuickstartApp({ issuer });
    try {
      const res = await request(api)
        .get('/orders')
        .set('Authorization', `Bearer ${await token('read', other.app)}`);
      expectChallenge(
        res,
        401,
        `Bearer realm="${issuer}", error="invalid_token", error_description="The access token was signed with an unknown key"`,
        { error: 'invalid_token', error_description: 'The access token was signed with an unknown key' },
      );
    } finally {
      other.stores.tokens.close();
    }
  });

  it("a token signed by another key under the quickstart's own kid: 401 invalid_token (bad signature)", async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const impostor = createQuickstartApp({
      issuer,
      signingKey: { ...privateKey.export({ format: 'jwk' }), kid: quickstart.signingKid, alg: 'ES256' },
    });
    try {
      const res = await request(api)
        .get('/orders')
        .set('Authorization', `Bearer ${await token('read', impostor.app)}`);
      expectChallenge(
        res,
        401,
        `Bearer realm="${issuer}", error="invalid_token", error_description="The access token signature is invalid"`,
        { error: 'invalid_token', error_description: 'The access token signature is invalid' },
      );
    } finally {
      impostor.stores.tokens.close();
    }
  });

  it('a body that is not JSON gets a JSON 400 (after the token was accepted)', async () => {
    const res = await request(api)
      .post('/orders')
      .set('Authorization', `Bearer ${await token('write')}`)
      .set('Content-Type', 'application/json')
      .send('{not json');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The request body must be JSON' });
  });
});
