import request from 'supertest';
import { hashClientSecret } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { basic } from '../helpers/fixtures';
import { type AdminApp, EVERY_FIELD, expectAdminError, expectDocumented, expectJson, makeAdminApp } from './admin-helpers';

const BILLING = { name: 'Billing', grants: ['client_credentials'], scopes: ['invoices', 'payments'] };
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** The token endpoint and a revocation-checked API route of the same server. */
function flows(t: AdminApp) {
  t.app.get('/api', t.oauth.requireToken({ checkRevocation: true }), (_req, res) => {
    res.json({ ok: true });
  });
  const token = (id: string, secret: string, fields: Record<string, string> = { grant_type: 'client_credentials' }) =>
    request(t.app).post('/oauth2/token').set('Authorization', basic(id, secret)).type('form').send(fields);
  const introspect = async (tok: string) =>
    (await request(t.app).post('/oauth2/introspect').set('Authorization', basic('resource-server', 'resource-server-secret-0123456789')).type('form').send({ token: tok })).body;
  const callApi = (tok: string) => request(t.app).get('/api').set('Authorization', `Bearer ${tok}`);
  return { token, introspect, callApi };
}

async function createBilling(t: AdminApp, extra: object = {}) {
  const res = await t.api.post('/clients', { ...BILLING, ...extra });
  expect(res.status).toBe(201);
  return { id: res.body.client.id as string, secret: res.body.client_secret as string, res };
}

describe('POST /clients registers a client; its secret is shown once', () => {
  it('answers 201 with Location, the client and its new secret, never cached; the store keeps only hashClientSecret() of it', async () => {
    const t = await makeAdminApp();
    const { id, secret, res } = await createBilling(t);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expectJson(res, 201, {
      client: { id, name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic', grants: ['client_credentials'], scopes: ['invoices', 'payments'] },
      client_secret: expect.stringMatching(SECRET),
    });
    expect(res.headers.location).toBe(`/admin/clients/${id}`);
    await expectDocumented(t.app, t.mount, 'post', '/clients', res);
    expect(await t.stores.clients.findById(id)).toEqual({ ...res.body.client, secretHash: hashClientSecret(secret) });
    // Shown once: reading the client again never shows it (nor its hash).
    const read = await t.api.get(`/clients/${id}`);
    expectJson(read, 200, res.body.client);
    expect(read.text).not.toContain(secret);
    expect(read.text).not.toContain('secretHash');
  });

  it('the secret works at the token endpoint at once', async () => {
    const t = await makeAdminApp();
    const { id, secret } = await createBilling(t);
    expectTokenResponse(await flows(t).token(id, secret, { grant_type: 'client_credentials', scope: 'invoices' }), { expires_in: 3600, scope: 'invoices' });
  });

  it('registers a public client under a chosen id, with no secret, usable with its client_id alone', async () => {
    const t = await makeAdminApp();
    const body = { id: 'mobile-app', name: 'Mobile', tokenEndpointAuthMethod: 'none', grants: ['password', 'refresh_token'], scopes: ['read'], defaultScopes: ['read'] };
    const res = await t.api.post('/clients', body);
    expectJson(res, 201, { client: body });
    expect(res.headers.location).toBe('/admin/clients/mobile-app');
    await expectDocumented(t.app, t.mount, 'post', '/clients', res);
    const grant = await request(t.app).post('/oauth2/token').type('form').send({ grant_type: 'password', client_id: 'mobile-app', username: 'alice', password: 'alice-password' });
    expectTokenResponse(grant, { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('keeps every field it is given, and percent-encodes the id in Location', async () => {
    const t = await makeAdminApp();
    const body = EVERY_FIELD;
    const res = await t.api.post('/clients', body);
    expectJson(res, 201, { client: body, client_secret: expect.stringMatching(SECRET) });
    expect(res.headers.location).toBe('/admin/clients/w%C3%A9%3Ard%20id%2F1');
    expectJson(await t.api.get('/clients/w%C3%A9%3Ard%20id%2F1'), 200, body);
  });

  it('emits admin.changed naming the admin and the client, and nothing secret', async () => {
    const t = await makeAdminApp();
    const { id, secret } = await createBilling(t);
    expect(t.changes).toEqual([{ at: expect.any(Date), ip: expect.any(String), clientId: 'back-office', action: 'client.created', targetId: id }]);
    expect(JSON.stringify(t.changes)).not.toContain(secret);
  });
});

describe('GET /clients lists clients by id, a page at a time', () => {
  it('pages with limit and next_cursor until the last page, which has no cursor', async () => {
    const t = await makeAdminApp();
    for (const id of ['c-3', 'c-1', 'c-2']) await t.api.post('/clients', { ...BILLING, id, name: id });
    const view = (id: string) => ({ id, name: id, tokenEndpointAuthMethod: 'client_secret_basic', grants: ['client_credentials'], scopes: ['invoices', 'payments'] });
    const first = await t.api.get('/clients?limit=4');
    expectJson(first, 200, {
      clients: [
        { id: 'back-office', grants: ['client_credentials'], scopes: ['clients:admin', 'other:admin'] },
        view('c-1'),
        view('c-2'),
        view('c-3'),
      ],
      next_cursor: Buffer.from('c-3').toString('base64url'),
    });
    await expectDocumented(t.app, t.mount, 'get', '/clients', first);
    const second = await t.api.get(`/clients?limit=4&after=${first.body.next_cursor}`);
    expectJson(second, 200, {
      clients: [
        { id: 'reader', grants: ['client_credentials'], scopes: ['read'] },
        { id: 'resource-server', grants: ['client_credentials'], canIntrospect: true },
      ],
    });
    await expectDocumented(t.app, t.mount, 'get', '/clients', second);
  });

  it('defaults to 50 per page, and lists only a group with ?group=', async () => {
    const t = await makeAdminApp();
    await t.api.post('/clients', { ...BILLING, id: 'in-acme', group: 'acme' });
    expect((await t.api.get('/clients')).body.clients.map((c: { id: string }) => c.id)).toEqual(['back-office', 'in-acme', 'reader', 'resource-server']);
    expectJson(await t.api.get('/clients?group=acme'), 200, {
      clients: [{ id: 'in-acme', name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic', grants: ['client_credentials'], scopes: ['invoices', 'payments'], group: 'acme' }],
    });
    expectJson(await t.api.get('/clients?group=nobody'), 200, { clients: [] });
  });
});

describe('GET /clients/:id', () => {
  it('answers the client without its secret hash, or 404', async () => {
    const t = await makeAdminApp();
    const res = await t.api.get('/clients/reader');
    expectJson(res, 200, { id: 'reader', grants: ['client_credentials'], scopes: ['read'] });
    await expectDocumented(t.app, t.mount, 'get', '/clients/{id}', res);
    const missing = await t.api.get('/clients/nobody');
    expectAdminError(missing, 404, 'not_found', 'There is no client with this id');
    await expectDocumented(t.app, t.mount, 'get', '/clients/{id}', missing);
  });
});

describe('PATCH /clients/:id changes a client (RFC 7396 merge patch)', () => {
  it('replaces the fields given, removes those set to null, keeps the rest and the secret; the changes apply at once', async () => {
    const t = await makeAdminApp();
    const { id, secret } = await createBilling(t, { accessTokenLifetime: 600 });
    const res = await t.api.patch(`/clients/${id}`, { name: null, scopes: ['invoices'], defaultScopes: ['invoices'], accessTokenLifetime: 120, refreshTokenLifetime: 3600 });
    const expected = {
      id,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grants: ['client_credentials'],
      scopes: ['invoices'],
      defaultScopes: ['invoices'],
      accessTokenLifetime: 120,
      refreshTokenLifetime: 3600,
    };
    expectJson(res, 200, expected);
    await expectDocumented(t.app, t.mount, 'patch', '/clients/{id}', res);
    expect(await t.stores.clients.findById(id)).toEqual({ ...expected, secretHash: hashClientSecret(secret) });
    const { token } = flows(t);
    expectTokenResponse(await token(id, secret), { expires_in: 120, scope: 'invoices' });
    expectOAuthError(await token(id, secret, { grant_type: 'client_credentials', scope: 'payments' }), 400, 'invalid_scope', 'The client may not request: payments');
    expect(t.changes.map((c) => c.action)).toEqual(['client.created', 'client.updated']);
  });

  it('changes redirect URIs and grants, and takes application/json too', async () => {
    const t = await makeAdminApp();
    const { id } = await createBilling(t);
    const res = await request(t.app)
      .patch(`/admin/clients/${id}`)
      .set('Authorization', `Bearer ${t.token}`)
      .send({ grants: ['authorization_code'], redirectUris: ['https://billing.example/cb'] });
    expectJson(res, 200, {
      id,
      name: 'Billing',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grants: ['authorization_code'],
      redirectUris: ['https://billing.example/cb'],
      scopes: ['invoices', 'payments'],
    });
  });

  it('answers 404 for an unknown client', async () => {
    const t = await makeAdminApp();
    expectAdminError(await t.api.patch('/clients/nobody', { name: 'x' }), 404, 'not_found', 'There is no client with this id');
  });
});

describe('POST /clients/:id/disable and /enable', () => {
  it('a disabled client gets no tokens and its tokens stop at introspection and requireToken({ checkRevocation }); enabling restores it', async () => {
    const t = await makeAdminApp();
    const { id, secret } = await createBilling(t);
    const { token, introspect, callApi } = flows(t);
    const { access_token } = expectTokenResponse(await token(id, secret), { expires_in: 3600 });

    const off = await t.api.post(`/clients/${id}/disable`);
    expectJson(off, 200, { ...BILLING, id, tokenEndpointAuthMethod: 'client_secret_basic', disabled: true });
    await expectDocumented(t.app, t.mount, 'post', '/clients/{id}/disable', off);
    expectOAuthError(await token(id, secret), 401, 'invalid_client', 'The client is disabled');
    expect(await introspect(access_token)).toEqual({ active: false });
    expect((await callApi(access_token)).body).toEqual({ error: 'invalid_token', error_description: 'The client or user of this access token is disabled' });

    const on = await t.api.post(`/clients/${id}/enable`);
    expectJson(on, 200, { ...BILLING, id, tokenEndpointAuthMethod: 'client_secret_basic', disabled: false });
    await expectDocumented(t.app, t.mount, 'post', '/clients/{id}/enable', on);
    expectTokenResponse(await token(id, secret), { expires_in: 3600 });
    expect((await callApi(access_token)).status).toBe(200);
    expect(t.changes.map((c) => c.action)).toEqual(['client.created', 'client.disabled', 'client.enabled']);
    expectAdminError(await t.api.post('/clients/nobody/disable'), 404, 'not_found', 'There is no client with this id');
  });
});

describe('POST /clients/:id/secret rotates the secret', () => {
  it('shows the new secret once; the old one stops working at once, the new one works', async () => {
    const t = await makeAdminApp();
    const { id, secret: old } = await createBilling(t);
    const res = await t.api.post(`/clients/${id}/secret`);
    expectJson(res, 200, {
      client: { id, name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic', grants: ['client_credentials'], scopes: ['invoices', 'payments'] },
      client_secret: expect.stringMatching(SECRET),
    });
    await expectDocumented(t.app, t.mount, 'post', '/clients/{id}/secret', res);
    const fresh = res.body.client_secret as string;
    expect(fresh).not.toBe(old);
    const { token } = flows(t);
    expectOAuthError(await token(id, old), 401, 'invalid_client', 'Client authentication failed');
    expectTokenResponse(await token(id, fresh), { expires_in: 3600 });
    expect(t.changes.at(-1)).toEqual({ at: expect.any(Date), ip: expect.any(String), clientId: 'back-office', action: 'client.secret_rotated', targetId: id });
    expect(JSON.stringify(t.changes)).not.toContain(fresh);
  });

  it('refuses a public client (it has no secret) with 400, and an unknown client with 404', async () => {
    const t = await makeAdminApp();
    await t.api.post('/clients', { id: 'spa', tokenEndpointAuthMethod: 'none', grants: ['authorization_code'], redirectUris: ['https://spa.example/cb'] });
    const res = await t.api.post('/clients/spa/secret');
    expectAdminError(res, 400, 'invalid_request', "A public client (tokenEndpointAuthMethod 'none') has no secret to rotate");
    await expectDocumented(t.app, t.mount, 'post', '/clients/{id}/secret', res);
    expectAdminError(await t.api.post('/clients/nobody/secret'), 404, 'not_found', 'There is no client with this id');
  });
});

describe('DELETE /clients/:id', () => {
  it('answers 204; the client is gone, gets no tokens, and its tokens stop wherever revocation is checked', async () => {
    const t = await makeAdminApp();
    const { id, secret } = await createBilling(t);
    const { token, introspect, callApi } = flows(t);
    const { access_token } = expectTokenResponse(await token(id, secret), { expires_in: 3600 });

    const res = await t.api.delete(`/clients/${id}`);
    expect({ status: res.status, text: res.text, type: res.headers['content-type'], cache: res.headers['cache-control'] }).toEqual({ status: 204, text: '', type: undefined, cache: 'no-store' });
    await expectDocumented(t.app, t.mount, 'delete', '/clients/{id}', res);
    expectAdminError(await t.api.get(`/clients/${id}`), 404, 'not_found', 'There is no client with this id');
    expectOAuthError(await token(id, secret), 401, 'invalid_client', 'Client authentication failed');
    expect(await introspect(access_token)).toEqual({ active: false });
    expect((await callApi(access_token)).status).toBe(401);
    expect(t.changes.at(-1)).toMatchObject({ action: 'client.deleted', targetId: id });
  });

  it('never registers the id again (its old tokens would come back to life): 409', async () => {
    const t = await makeAdminApp();
    await t.api.post('/clients', { ...BILLING, id: 'reused' });
    await t.api.delete('/clients/reused');
    const res = await t.api.post('/clients', { ...BILLING, id: 'reused' });
    expectAdminError(res, 409, 'conflict', 'id: a client with this id exists or existed (the ids of deleted clients are not reused)');
    await expectDocumented(t.app, t.mount, 'post', '/clients', res);
    expectAdminError(await t.api.delete('/clients/reused'), 404, 'not_found', 'There is no client with this id');
  });
});
