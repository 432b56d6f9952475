import request from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { ISSUER, basic } from '../helpers/fixtures';
import { expectAdminError, expectDocumented, expectJson, makeAdminApp } from './admin-helpers';

describe('PUT /groups/:id creates or replaces a group', () => {
  it('creates: 201 with Location and the group', async () => {
    const t = await makeAdminApp();
    const group = { name: 'Globex', rateLimit: { limit: 600, windowSeconds: 60 } };
    const res = await t.api.put('/groups/globex', group);
    expectJson(res, 201, { id: 'globex', ...group });
    expect(res.headers.location).toBe('/admin/groups/globex');
    await expectDocumented(t.app, t.mount, 'put', '/groups/{id}', res);
    expect(await t.stores.clients.findGroup?.('globex')).toEqual({ id: 'globex', ...group });
    expect(t.changes).toEqual([{ at: expect.any(Date), ip: expect.any(String), clientId: 'back-office', action: 'group.created', targetId: 'globex' }]);
  });

  it('replaces: 200 with the whole new group (a field left out is removed; an id equal to the path is fine)', async () => {
    const t = await makeAdminApp();
    await t.api.put('/groups/acme', { name: 'ACME', disabled: true });
    const res = await t.api.put('/groups/acme', { id: 'acme', rateLimit: { limit: 5, windowSeconds: 1 } });
    expectJson(res, 200, { id: 'acme', rateLimit: { limit: 5, windowSeconds: 1 } });
    expect(res.headers.location).toBeUndefined();
    await expectDocumented(t.app, t.mount, 'put', '/groups/{id}', res);
    expect(t.changes.map((c) => c.action)).toEqual(['group.updated', 'group.updated']);
  });
});

describe('GET /groups and /groups/:id', () => {
  it('lists groups by id, a page at a time', async () => {
    const t = await makeAdminApp();
    for (const id of ['zeta', 'beta']) await t.api.put(`/groups/${id}`, {});
    const first = await t.api.get('/groups?limit=2');
    expectJson(first, 200, { groups: [{ id: 'acme', name: 'ACME Corp' }, { id: 'beta' }], next_cursor: Buffer.from('beta').toString('base64url') });
    await expectDocumented(t.app, t.mount, 'get', '/groups', first);
    const second = await t.api.get(`/groups?limit=2&after=${first.body.next_cursor}`);
    expectJson(second, 200, { groups: [{ id: 'zeta' }] });
    await expectDocumented(t.app, t.mount, 'get', '/groups', second);
  });

  it('reads one group, or 404', async () => {
    const t = await makeAdminApp();
    const res = await t.api.get('/groups/acme');
    expectJson(res, 200, { id: 'acme', name: 'ACME Corp' });
    await expectDocumented(t.app, t.mount, 'get', '/groups/{id}', res);
    const missing = await t.api.get('/groups/nobody');
    expectAdminError(missing, 404, 'not_found', 'There is no group with this id');
    await expectDocumented(t.app, t.mount, 'get', '/groups/{id}', missing);
  });
});

describe('POST /groups/:id/disable and /enable: a disabled group disables every client in it', () => {
  it('its clients get no tokens (401 invalid_client) and their tokens stop at introspection and requireToken({ checkRevocation }); enabling restores them', async () => {
    const t = await makeAdminApp();
    t.app.get('/api', t.oauth.requireToken({ checkRevocation: true }), (_req, res) => {
      res.json({ ok: true });
    });
    const created = await t.api.post('/clients', { id: 'acme-billing', grants: ['client_credentials'], scopes: ['invoices'], defaultScopes: ['invoices'], group: 'acme' });
    const secret = created.body.client_secret as string;
    const token = () => request(t.app).post('/oauth2/token').set('Authorization', basic('acme-billing', secret)).type('form').send({ grant_type: 'client_credentials' });
    const introspect = async (tok: string) =>
      (await request(t.app).post('/oauth2/introspect').set('Authorization', basic('resource-server', 'resource-server-secret-0123456789')).type('form').send({ token: tok })).body;
    const { access_token } = expectTokenResponse(await token(), { expires_in: 3600, scope: 'invoices' });

    const off = await t.api.post('/groups/acme/disable');
    expectJson(off, 200, { id: 'acme', name: 'ACME Corp', disabled: true });
    await expectDocumented(t.app, t.mount, 'post', '/groups/{id}/disable', off);
    expectOAuthError(await token(), 401, 'invalid_client', "The client's group is disabled");
    expect(await introspect(access_token)).toEqual({ active: false });
    const refused = await request(t.app).get('/api').set('Authorization', `Bearer ${access_token}`);
    expect({ status: refused.status, body: refused.body, challenge: refused.headers['www-authenticate'] }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The client or user of this access token is disabled' },
      challenge: `Bearer realm="${ISSUER}", error="invalid_token", error_description="The client or user of this access token is disabled"`,
    });

    const on = await t.api.post('/groups/acme/enable');
    expectJson(on, 200, { id: 'acme', name: 'ACME Corp', disabled: false });
    await expectDocumented(t.app, t.mount, 'post', '/groups/{id}/enable', on);
    expectTokenResponse(await token(), { expires_in: 3600, scope: 'invoices' });
    expect((await introspect(access_token)).active).toBe(true);
    expect(t.changes.map((c) => c.action)).toEqual(['client.created', 'group.disabled', 'group.enabled']);
    expectAdminError(await t.api.post('/groups/nobody/disable'), 404, 'not_found', 'There is no group with this id');
  });
});

describe('DELETE /groups/:id', () => {
  it('deletes a group without clients: 204, then 404', async () => {
    const t = await makeAdminApp();
    const res = await t.api.delete('/groups/acme');
    expect({ status: res.status, text: res.text, cache: res.headers['cache-control'] }).toEqual({ status: 204, text: '', cache: 'no-store' });
    await expectDocumented(t.app, t.mount, 'delete', '/groups/{id}', res);
    expectAdminError(await t.api.get('/groups/acme'), 404, 'not_found', 'There is no group with this id');
    expectAdminError(await t.api.delete('/groups/acme'), 404, 'not_found', 'There is no group with this id');
    expect(t.changes.map((c) => c.action)).toEqual(['group.deleted']);
  });

  it('refuses a group that still has clients (they would be locked out): 409, and keeps it', async () => {
    const t = await makeAdminApp();
    await t.api.post('/clients', { id: 'member', grants: ['client_credentials'], group: 'acme' });
    const res = await t.api.delete('/groups/acme');
    expectAdminError(res, 409, 'conflict', 'The group still has clients: move them to another group or delete them first');
    await expectDocumented(t.app, t.mount, 'delete', '/groups/{id}', res);
    expectJson(await t.api.get('/groups/acme'), 200, { id: 'acme', name: 'ACME Corp' });
    // Moving the client out frees the group.
    expect((await t.api.patch('/clients/member', { group: null })).status).toBe(200);
    expect((await t.api.delete('/groups/acme')).status).toBe(204);
  });
});
