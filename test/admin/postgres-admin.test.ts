import express, { type Express } from 'express';
import { createClientAdminRouter, createOAuthServer, hashClientSecret } from 'express-oauth2-provider';
import { createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
import type { Pool } from 'pg';
import request from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { describeWithDatabase, schemaPool } from '../helpers/database';
import { ISSUER, JWT_SECRET, basic } from '../helpers/fixtures';
import { poolOn, schemaName } from '../postgres/pg-helpers';
import { ADMIN, adminClient, expectAdminError, expectDocumented, expectJson, SCOPE } from './admin-helpers';

const RS = { id: 'resource-server', secret: 'resource-server-secret-0123456789' };

/**
 * The same API over the PostgreSQL stores, with two server instances on one database (as
 * behind a load balancer): what one instance's admin API writes, the other acts on at once.
 */
describeWithDatabase('the client management API over PostgreSQL', () => {
  const schema = schemaName('admin_api');
  let pools: Pool[] = [];
  let a: { app: Express; api: ReturnType<typeof adminClient>; token: string };
  let b: Express;

  const instance = (pool: Pool) => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: createPostgresStores({ pool }), signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router).use('/admin', createClientAdminRouter(oauth));
    app.get('/api', oauth.requireToken({ checkRevocation: true }), (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  };
  const token = (app: Express, id: string, secret: string) =>
    request(app).post('/oauth2/token').set('Authorization', basic(id, secret)).type('form').send({ grant_type: 'client_credentials' });
  const introspect = async (app: Express, t: string) =>
    (await request(app).post('/oauth2/introspect').set('Authorization', basic(RS.id, RS.secret)).type('form').send({ token: t })).body;
  const row = async (table: string, id: string) => (await (pools[0] as Pool).query(`SELECT * FROM oauth_${table} WHERE id = $1`, [id])).rows[0];

  beforeAll(async () => {
    const first = await schemaPool(schema);
    pools = [first, poolOn(schema)];
    await migrate(first);
    const stores = createPostgresStores({ pool: first });
    await stores.clients.upsert({ id: ADMIN.id, secretHash: hashClientSecret(ADMIN.secret), grants: ['client_credentials'], scopes: [SCOPE] });
    await stores.clients.upsert({ id: RS.id, secretHash: hashClientSecret(RS.secret), grants: ['client_credentials'], canIntrospect: true });
    await stores.clients.saveGroup({ id: 'acme', name: 'ACME Corp' });
    const appA = instance(first);
    b = instance(pools[1] as Pool);
    const adminToken = (await request(appA).post('/oauth2/token').set('Authorization', basic(ADMIN.id, ADMIN.secret)).type('form').send({ grant_type: 'client_credentials', scope: SCOPE })).body.access_token;
    a = { app: appA, api: adminClient(appA, '/admin', adminToken), token: adminToken };
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('registers a client on one instance; its secret works on the other at once, and only its hash is in the table', async () => {
    const res = await a.api.post('/clients', { id: 'pg-billing', name: 'Billing', grants: ['client_credentials'], scopes: ['invoices'], defaultScopes: ['invoices'], group: 'acme', rateLimit: { limit: 9, windowSeconds: 60 } });
    const client = { id: 'pg-billing', name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic', grants: ['client_credentials'], scopes: ['invoices'], defaultScopes: ['invoices'], group: 'acme', rateLimit: { limit: 9, windowSeconds: 60 } };
    expectJson(res, 201, { client, client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    await expectDocumented(a.app, '/admin', 'post', '/clients', res);
    const secret = res.body.client_secret as string;
    expect(await row('clients', 'pg-billing')).toMatchObject({ secret_hash: hashClientSecret(secret), group_id: 'acme', rate_limit: 9, rate_limit_window_seconds: 60 });
    expect(JSON.stringify(await row('clients', 'pg-billing'))).not.toContain(secret);
    expectTokenResponse(await token(b, 'pg-billing', secret), { expires_in: 3600, scope: 'invoices' });
    expectJson(await adminClient(b, '/admin', a.token).get('/clients/pg-billing'), 200, client);
  });

  it('pages clients in UTF-8 byte order with a cursor', async () => {
    for (const id of ['pg-list-é', 'pg-list-a', 'pg-list-B']) await a.api.post('/clients', { id, grants: ['client_credentials'] });
    const ids = async (path: string) => (await a.api.get(path)).body;
    const first = await ids(`/clients?limit=2&after=${Buffer.from('pg-list-').toString('base64url')}`);
    expect(first.clients.map((c: { id: string }) => c.id)).toEqual(['pg-list-B', 'pg-list-a']);
    const second = await ids(`/clients?limit=1&after=${first.next_cursor}`);
    expect(second.clients.map((c: { id: string }) => c.id)).toEqual(['pg-list-é']);
  });

  it('patches (null removes the column), rotates the secret (the old one fails on both instances), disables and enables', async () => {
    const created = await a.api.post('/clients', { id: 'pg-patch', name: 'Patch me', grants: ['client_credentials'], scopes: ['read'], accessTokenLifetime: 60 });
    const old = created.body.client_secret as string;
    expectJson(await a.api.patch('/clients/pg-patch', { name: null, accessTokenLifetime: 120 }), 200, {
      id: 'pg-patch',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grants: ['client_credentials'],
      scopes: ['read'],
      accessTokenLifetime: 120,
    });
    expect(await row('clients', 'pg-patch')).toMatchObject({ name: null, access_token_lifetime: 120 });

    const rotated = await a.api.post('/clients/pg-patch/secret');
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.client_secret as string;
    for (const app of [a.app, b]) expectOAuthError(await token(app, 'pg-patch', old), 401, 'invalid_client', 'Client authentication failed');
    const { access_token } = expectTokenResponse(await token(b, 'pg-patch', fresh), { expires_in: 120 });

    expect((await a.api.post('/clients/pg-patch/disable')).body.disabled).toBe(true);
    expectOAuthError(await token(b, 'pg-patch', fresh), 401, 'invalid_client', 'The client is disabled');
    expect(await introspect(b, access_token)).toEqual({ active: false });
    expect((await request(b).get('/api').set('Authorization', `Bearer ${access_token}`)).status).toBe(401);
    expect((await a.api.post('/clients/pg-patch/enable')).body.disabled).toBe(false);
    expect((await request(b).get('/api').set('Authorization', `Bearer ${access_token}`)).status).toBe(200);
  });

  it('a disabled group stops its clients and their tokens on every instance; a group with clients cannot be deleted', async () => {
    const created = await a.api.post('/clients', { id: 'pg-member', grants: ['client_credentials'], group: 'acme' });
    const secret = created.body.client_secret as string;
    const { access_token } = expectTokenResponse(await token(b, 'pg-member', secret), { expires_in: 3600 });
    expectJson(await a.api.post('/groups/acme/disable'), 200, { id: 'acme', name: 'ACME Corp', disabled: true });
    expectOAuthError(await token(b, 'pg-member', secret), 401, 'invalid_client', "The client's group is disabled");
    expect(await introspect(b, access_token)).toEqual({ active: false });
    expect((await request(b).get('/api').set('Authorization', `Bearer ${access_token}`)).body).toEqual({
      error: 'invalid_token',
      error_description: 'The client or user of this access token is disabled',
    });
    expectJson(await a.api.post('/groups/acme/enable'), 200, { id: 'acme', name: 'ACME Corp', disabled: false });
    expectTokenResponse(await token(b, 'pg-member', secret), { expires_in: 3600 });
    expectAdminError(await a.api.delete('/groups/acme'), 409, 'conflict', 'The group still has clients: move them to another group or delete them first');

    expectJson(await a.api.put('/groups/pg-empty', { rateLimit: { limit: 3, windowSeconds: 10 } }), 201, { id: 'pg-empty', rateLimit: { limit: 3, windowSeconds: 10 } });
    expectJson(await a.api.get('/groups/pg-empty'), 200, { id: 'pg-empty', rateLimit: { limit: 3, windowSeconds: 10 } });
    expect((await a.api.delete('/groups/pg-empty')).status).toBe(204);
    expect(await row('client_groups', 'pg-empty')).toBeUndefined();
  });

  it('deletes a client: its tokens stop on every instance, and the id is kept in deleted_clients so it is never registered again', async () => {
    const created = await a.api.post('/clients', { id: 'pg-doomed', grants: ['client_credentials'] });
    const { access_token } = expectTokenResponse(await token(a.app, 'pg-doomed', created.body.client_secret), { expires_in: 3600 });
    expect((await a.api.delete('/clients/pg-doomed')).status).toBe(204);
    expect(await row('clients', 'pg-doomed')).toBeUndefined();
    expect(await row('deleted_clients', 'pg-doomed')).toEqual({ id: 'pg-doomed', deleted_at: expect.any(Date) });
    expect(await introspect(b, access_token)).toEqual({ active: false });
    expect((await request(b).get('/api').set('Authorization', `Bearer ${access_token}`)).status).toBe(401);
    expectAdminError(await a.api.post('/clients', { id: 'pg-doomed', grants: ['client_credentials'] }), 409, 'conflict', 'id: a client with this id exists or existed (the ids of deleted clients are not reused)');
    // The host's own upsert is allowed to register the id again, on purpose.
    await createPostgresStores({ pool: pools[0] as Pool }).clients.upsert({ id: 'pg-doomed', grants: ['password'] });
    expect(await row('deleted_clients', 'pg-doomed')).toBeUndefined();
    expectJson(await a.api.get('/clients/pg-doomed'), 200, { id: 'pg-doomed', grants: ['password'] });
  });
});
