import express from 'express';
import request from 'supertest';
import {
  type ClientStore,
  ConfigurationError,
  createClientAdminRouter,
  createMemoryStores,
  createOAuthServer,
  type OAuthEventMap,
  TemporarilyUnavailableError,
} from '../../lib';
import { ISSUER, JWT_SECRET, basic } from '../helpers/fixtures';
import { ADMIN, adminClient, adminStores, expectAdminError, expectBearerChallenge, expectJson, makeAdminApp, READER, SCOPE } from './admin-helpers';

/** Every operation of the API but the document, with a concrete path. */
const OPERATIONS: [method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string][] = [
  ['get', '/clients'],
  ['post', '/clients'],
  ['get', '/clients/reader'],
  ['patch', '/clients/reader'],
  ['delete', '/clients/reader'],
  ['post', '/clients/reader/disable'],
  ['post', '/clients/reader/enable'],
  ['post', '/clients/reader/secret'],
  ['get', '/groups'],
  ['get', '/groups/acme'],
  ['put', '/groups/acme'],
  ['delete', '/groups/acme'],
  ['post', '/groups/acme/disable'],
  ['post', '/groups/acme/enable'],
];

describe('every endpoint needs an access token with the admin scope (RFC 6750 via requireToken)', () => {
  it.each(OPERATIONS)('%s %s without a token: 401 with a bare Bearer challenge, and nothing changes', async (method, path) => {
    const t = await makeAdminApp();
    const res = await request(t.app)[method](`/admin${path}`);
    expectBearerChallenge(res, 401, undefined, 'This resource requires a bearer access token (RFC 6750)');
    expect(t.changes).toEqual([]);
    expect(await t.stores.clients.findById('reader')).toEqual({ id: 'reader', secretHash: expect.any(String), grants: ['client_credentials'], scopes: ['read'] });
  });

  it.each(OPERATIONS)('%s %s with a token lacking the scope: 403 insufficient_scope naming it', async (method, path) => {
    const t = await makeAdminApp();
    const api = adminClient(t.app, '/admin', await t.tokenFor(READER, 'read'));
    const res = await (method === 'put' || method === 'patch' ? api[method](path, {}) : api[method](path));
    expectBearerChallenge(res, 403, 'insufficient_scope', `The access token lacks a required scope: ${SCOPE}`, SCOPE);
    expect(t.changes).toEqual([]);
  });

  it('a revoked admin token stops at once (401 invalid_token), though the JWT has not expired', async () => {
    const t = await makeAdminApp();
    expect((await t.api.get('/clients/reader')).status).toBe(200);
    const revoked = await request(t.app).post('/oauth2/revoke').set('Authorization', basic(ADMIN.id, ADMIN.secret)).type('form').send({ token: t.token });
    expect(revoked.status).toBe(200);
    expectBearerChallenge(await t.api.get('/clients/reader'), 401, 'invalid_token', 'The access token has been revoked');
  });

  it("an admin token stops when the admin's client is disabled", async () => {
    const t = await makeAdminApp();
    expectJson(await t.api.post('/clients/back-office/disable'), 200, { id: 'back-office', grants: ['client_credentials'], scopes: [SCOPE, 'other:admin'], disabled: true });
    expectBearerChallenge(await t.api.post('/clients/back-office/enable'), 401, 'invalid_token', 'The client or user of this access token is disabled');
  });

  it('takes another scope from the scope option', async () => {
    const t = await makeAdminApp({ router: { scope: 'other:admin' } });
    expectBearerChallenge(await t.api.get('/clients'), 403, 'insufficient_scope', 'The access token lacks a required scope: other:admin', 'other:admin');
    const other = adminClient(t.app, '/admin', await t.tokenFor(ADMIN, 'other:admin'));
    expect((await other.get('/clients/reader')).status).toBe(200);
  });

  it('serves the OpenAPI document without a token', async () => {
    const t = await makeAdminApp();
    const res = await request(t.app).get('/admin/openapi.json');
    expect({ status: res.status, openapi: res.body.openapi, type: res.headers['content-type'] }).toEqual({ status: 200, openapi: '3.1.0', type: 'application/json' });
  });
});

describe('405 with Allow for a method an endpoint does not have', () => {
  it.each([
    ['put', '/clients', 'GET, HEAD, POST'],
    ['post', '/clients/reader', 'GET, HEAD, PATCH, DELETE'],
    ['get', '/clients/reader/disable', 'POST'],
    ['delete', '/clients/reader/secret', 'POST'],
    ['post', '/groups', 'GET, HEAD'],
    ['patch', '/groups/acme', 'GET, HEAD, PUT, DELETE'],
    ['put', '/groups/acme/enable', 'POST'],
  ] as const)('%s %s: 405, Allow: %s (after authentication)', async (method, path, allow) => {
    const t = await makeAdminApp();
    const res = await (method === 'put' || method === 'patch' ? t.api[method](path, {}) : t.api[method](path));
    expectAdminError(res, 405, 'invalid_request', `This endpoint accepts ${allow}`);
    expect(res.headers.allow).toBe(allow);
    // Without a token, the method of a guarded path is not even discussed.
    expect((await request(t.app)[method](`/admin${path}`)).status).toBe(401);
  });

  it('POST /openapi.json: 405, Allow: GET, HEAD', async () => {
    const t = await makeAdminApp();
    const res = await request(t.app).post('/admin/openapi.json');
    expectAdminError(res, 405, 'invalid_request', '/openapi.json accepts GET only');
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('mounting', () => {
  it("mounted at the root, guards only its own paths: the host's other routes stay open", async () => {
    const t = await makeAdminApp({ mount: '' });
    t.app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    expect((await request(t.app).get('/health')).body).toEqual({ ok: true });
    expect((await t.api.get('/clients/reader')).status).toBe(200);
    expect((await request(t.app).get('/clients/reader')).status).toBe(401);
  });
});

describe('createClientAdminRouter() validates at construction', () => {
  const oauth = () => createOAuthServer({ issuer: ISSUER, stores: adminStores(), signing: { secret: JWT_SECRET } });

  it.each([
    ['a server not made by createOAuthServer()', () => createClientAdminRouter({} as never), 'oauth', 'must be a server made by createOAuthServer()'],
    ['options that are not an object', () => createClientAdminRouter(oauth(), 'x' as never), 'createClientAdminRouter', 'options must be an object'],
    ['an unknown option', () => createClientAdminRouter(oauth(), { scopes: 'x' } as never), 'createClientAdminRouter.scopes', 'unknown option (known: scope)'],
    ['a scope that is not a scope token', () => createClientAdminRouter(oauth(), { scope: 'two words' }), 'createClientAdminRouter.scope', 'must be a scope token (RFC 6749 §3.3)'],
  ])('refuses %s', (_name, make, path, problem) => {
    expect(make).toThrow(new ConfigurationError(path, problem));
    expect(make).toThrow(expect.objectContaining({ path }));
  });

  it('refuses a client store without the write methods, naming the first one missing', () => {
    const stores = adminStores();
    const clients: ClientStore = { findById: (id) => stores.clients.findById(id), findGroup: (id) => stores.clients.findGroup?.(id) ?? Promise.resolve(undefined) };
    const server = createOAuthServer({ issuer: ISSUER, stores: { ...stores, clients }, signing: { secret: JWT_SECRET } });
    expect(() => createClientAdminRouter(server)).toThrow(
      new ConfigurationError(
        'stores.clients.createClient',
        'must be a function: the client management API needs the optional store methods (the memory and PostgreSQL stores have them)',
      ),
    );
  });
});

describe('store failures are never a stack trace', () => {
  async function failingApp(failure: () => Promise<never>, storeTimeoutMs?: number) {
    const base = createMemoryStores({ clients: [{ ...ADMIN, grants: ['client_credentials'], scopes: [SCOPE] }] });
    const clients = Object.assign(Object.create(Object.getPrototypeOf(base.clients)), base.clients, { listClients: failure });
    const logger = { warn: jest.fn(), error: jest.fn() };
    const t = await makeAdminApp({ stores: { ...base, clients }, server: { logger, ...(storeTimeoutMs ? { storeTimeoutMs } : {}) } });
    const errors: OAuthEventMap['server.error'][] = [];
    t.oauth.events.on('server.error', (e) => errors.push(e));
    return { ...t, logger, errors };
  }

  it('a failing store is a generic 500 server_error, logged with its cause and emitted', async () => {
    const t = await failingApp(() => Promise.reject(new Error('relation "oauth_clients" does not exist')));
    const res = await t.api.get('/clients');
    expectAdminError(res, 500, 'server_error', 'The server encountered an unexpected condition');
    expect(res.text).not.toContain('relation');
    expect(t.logger.error).toHaveBeenCalledWith({ err: new Error('relation "oauth_clients" does not exist'), method: 'GET', path: '/clients' }, 'GET /clients failed with server_error');
    expect(t.errors).toEqual([{ at: expect.any(Date), ip: expect.any(String), method: 'GET', path: '/clients', code: 'server_error' }]);
  });

  it('an unavailable store is 503 temporarily_unavailable with Retry-After', async () => {
    const t = await failingApp(() => Promise.reject(new TemporarilyUnavailableError(new Error('pool exhausted'))));
    const res = await t.api.get('/clients');
    expectAdminError(res, 503, 'temporarily_unavailable', 'The server is temporarily unable to handle the request');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('a store slower than storeTimeoutMs is 503 too: the admin API goes through the same time limit', async () => {
    const t = await failingApp(() => new Promise<never>(() => undefined), 50);
    const res = await t.api.get('/clients');
    expectAdminError(res, 503, 'temporarily_unavailable', 'The server is temporarily unable to handle the request');
  });
});

describe('the router is an ordinary Express router', () => {
  it('can sit next to the host routes under any path', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: adminStores(), signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router).use('/internal/oauth-admin', createClientAdminRouter(oauth));
    const tokenRes = await request(app).post('/oauth2/token').set('Authorization', basic(ADMIN.id, ADMIN.secret)).type('form').send({ grant_type: 'client_credentials', scope: SCOPE });
    const res = await adminClient(app, '/internal/oauth-admin', tokenRes.body.access_token).get('/groups');
    expectJson(res, 200, { groups: [{ id: 'acme', name: 'ACME Corp' }] });
  });
});
