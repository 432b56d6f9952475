import express from 'express';
import request, { type Response } from 'supertest';
import { type ClientStore, createMemoryStores, createOAuthServer, type OAuthEventMap, type Stores } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { Browser, CHALLENGE, formFields } from '../helpers/browser-flow';
import { ISSUER, JWT_SECRET, basic } from '../helpers/fixtures';

const SVC = { id: 'acme-service', secret: 'acme-service-secret-0123456789' };
const WEB = { id: 'acme-web', secret: 'acme-web-secret-0123456789abc' };
const RS = { id: 'resource-server', secret: 'resource-server-secret-0123456789' };
const WEB_CB = 'https://acme.example/cb';

function groupStores(group = 'acme') {
  return createMemoryStores({
    groups: [{ id: 'acme', name: 'ACME Corp' }],
    clients: [
      { ...SVC, group, grants: ['client_credentials', 'password', 'refresh_token'], scopes: ['read'], defaultScopes: ['read'] },
      { ...WEB, group, grants: ['authorization_code'], redirectUris: [WEB_CB], scopes: ['read'], defaultScopes: ['read'] },
      { ...RS, grants: ['client_credentials'], canIntrospect: true },
    ],
    users: [{ id: 'user-alice', username: 'alice', password: 'alice-password' }],
  });
}

function setup(stores: Stores = groupStores()) {
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } });
  const failures: OAuthEventMap['client.authentication_failed'][] = [];
  oauth.events.on('client.authentication_failed', (e) => failures.push(e));
  const app = express().use(oauth.router);
  app.get('/checked', oauth.requireToken({ checkRevocation: true }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/plain', oauth.requireToken(), (_req, res) => {
    res.json({ ok: true });
  });
  const token = (fields: Record<string, string>, client = SVC) =>
    request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send(fields);
  const introspect = async (t: string) =>
    (await request(app).post('/oauth2/introspect').set('Authorization', basic(RS.id, RS.secret)).type('form').send({ token: t })).body.active as boolean;
  const api = (path: string, t: string) => request(app).get(path).set('Authorization', `Bearer ${t}`);
  return { app, stores, token, introspect, api, failures };
}

function expectInvalidToken(res: Response): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 401,
    body: { error: 'invalid_token', error_description: 'The client or user of this access token is disabled' },
  });
  expect(res.headers['www-authenticate']).toBe(
    `Bearer realm="${ISSUER}", error="invalid_token", error_description="The client or user of this access token is disabled"`,
  );
}

describe('a disabled client group disables every client in it, like a disabled client', () => {
  it('refuses new tokens (401 invalid_client), refresh included, and ends existing tokens at introspection and requireToken({ checkRevocation })', async () => {
    const { stores, token, introspect, api, failures } = setup();
    const issued = expectTokenResponse(await token({ grant_type: 'password', username: 'alice', password: 'alice-password' }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    expect(await introspect(issued.access_token)).toBe(true);
    expect(await introspect(issued.refresh_token as string)).toBe(true);

    await stores.clients.saveGroup?.({ id: 'acme', name: 'ACME Corp', disabled: true });

    expectOAuthError(await token({ grant_type: 'client_credentials' }), 401, 'invalid_client', "The client's group is disabled");
    expectOAuthError(await token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token as string }), 401, 'invalid_client', "The client's group is disabled");
    expect(await introspect(issued.access_token)).toBe(false);
    expect(await introspect(issued.refresh_token as string)).toBe(false);
    expectInvalidToken(await api('/checked', issued.access_token));
    // Without the revocation check a JWT stays valid until it expires (documented).
    expect((await api('/plain', issued.access_token)).status).toBe(200);
    expect(failures.map(({ clientId, reason }) => ({ clientId, reason }))).toEqual([
      { clientId: SVC.id, reason: "The client's group is disabled" },
      { clientId: SVC.id, reason: "The client's group is disabled" },
    ]);

    // Enabling the group again restores the clients and their unexpired tokens.
    await stores.clients.saveGroup?.({ id: 'acme', name: 'ACME Corp', disabled: false });
    expectTokenResponse(await token({ grant_type: 'client_credentials' }), { expires_in: 3600, scope: 'read' });
    expect(await introspect(issued.access_token)).toBe(true);
    expect((await api('/checked', issued.access_token)).status).toBe(200);
  });

  it('says nothing about the group to a caller without the right secret', async () => {
    const { stores, token } = setup();
    await stores.clients.saveGroup?.({ id: 'acme', disabled: true });
    expectOAuthError(await token({ grant_type: 'client_credentials' }, { id: SVC.id, secret: 'wrong-secret' }), 401, 'invalid_client', 'Client authentication failed');
  });

  it('leaves clients of other groups and without a group alone', async () => {
    const { stores, token } = setup();
    await stores.clients.saveGroup?.({ id: 'acme', disabled: true });
    expectTokenResponse(await token({ grant_type: 'client_credentials' }, RS), { expires_in: 3600 });
  });

  it('shows the error page at the authorization endpoint, and stops a pending request at its next step', async () => {
    const { app, stores } = setup();
    const query = { response_type: 'code', client_id: WEB.id, redirect_uri: WEB_CB, state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' };
    const browser = new Browser(app);
    const login = await browser.get('/oauth2/authorize', query);
    expect(login.status).toBe(200);

    await stores.clients.saveGroup?.({ id: 'acme', disabled: true });
    const refused = await new Browser(app).get('/oauth2/authorize', query);
    expect(refused.status).toBe(400);
    expect(refused.headers.location).toBeUndefined();
    expect(refused.text).toContain('<p class="eop-error" role="alert">The client&#39;s group is disabled.</p>');

    const pending = await browser.post('/oauth2/login', { ...formFields(login.text), username: 'alice', password: 'alice-password' });
    expect(pending.status).toBe(400);
    expect(pending.headers.location).toBeUndefined();
    expect(pending.text).toContain('The application is no longer available.');
  });
});

describe('a group that cannot be looked up fails closed', () => {
  it('refuses a client whose group does not exist (401 invalid_client), and its tokens', async () => {
    const { stores, token, introspect, api } = setup(groupStores('acme'));
    const { access_token } = expectTokenResponse(await token({ grant_type: 'client_credentials' }), { expires_in: 3600, scope: 'read' });
    await stores.clients.deleteGroup?.('acme');
    expectOAuthError(await token({ grant_type: 'client_credentials' }), 401, 'invalid_client', "The client's group cannot be found");
    expect(await introspect(access_token)).toBe(false);
    expectInvalidToken(await api('/checked', access_token));
  });

  it('refuses a client that names a group when the store has no findGroup, and warns once', async () => {
    const base = groupStores();
    const clients: ClientStore = { findById: (id) => base.clients.findById(id) };
    const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { token } = setup({ ...base, clients });
      expectOAuthError(await token({ grant_type: 'client_credentials' }), 401, 'invalid_client', "The client's group cannot be found");
      expectOAuthError(await token({ grant_type: 'client_credentials' }), 401, 'invalid_client', "The client's group cannot be found");
      expectTokenResponse(await token({ grant_type: 'client_credentials' }, RS), { expires_in: 3600 });
      expect(warning.mock.calls).toEqual([
        [
          'express-oauth2-provider: a client names a group but stores.clients has no findGroup(); such clients are refused (fail closed).',
          { code: 'EOP_NO_FIND_GROUP', type: 'ExpressOAuth2ProviderWarning' },
        ],
      ]);
    } finally {
      warning.mockRestore();
    }
  });
});
