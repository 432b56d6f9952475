import bcrypt from 'bcryptjs';
import express from 'express';
import request from 'supertest';
import { type ClientRecord, ConfigurationError, createMemoryStores, createOAuthServer, type Stores, type UserRecord } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { Browser, formFields } from '../helpers/browser-flow';
import { codeRequest, seedBrowserStores } from '../helpers/authorize-fixtures';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, basic } from '../helpers/fixtures';

const DAY = 24 * 3600 * 1000;

/** Stores whose client and user records the test can change while tokens are out. */
function mutableStores() {
  const base = createMemoryStores({ clients: [{ id: CONFIDENTIAL.id, secret: CONFIDENTIAL.secret, grants: ['password', 'client_credentials', 'refresh_token'], scopes: ['read'], defaultScopes: ['read'] }] });
  const state: { clientDisabled: boolean; user: UserRecord } = {
    clientDisabled: false,
    user: { id: 'u1', username: 'old-timer', passwordHash: bcrypt.hashSync('pw-123456', 4), passwordChangedAt: new Date(Date.now() - 100 * DAY) },
  };
  const stores: Stores = {
    tokens: base.tokens,
    clients: {
      findById: async (id: string) => {
        const client = await base.clients.findById(id);
        return client && ({ ...client, disabled: state.clientDisabled } as ClientRecord);
      },
    },
    users: {
      findByUsername: async (username: string) => (username === state.user.username ? { ...state.user } : undefined),
      findById: async (id: string) => (id === state.user.id ? { ...state.user } : undefined),
    },
  };
  return { stores, state };
}

const grant = (app: express.Express, fields: Record<string, string>) =>
  request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send(fields);

describe('password expiry (maxPasswordAgeDays, the seeds\' lastPasswordReset)', () => {
  it('refuses the password grant once the password is older than allowed, with a clear error', async () => {
    const { stores } = mutableStores();
    const app = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, maxPasswordAgeDays: 90 }).router);
    expectOAuthError(await grant(app, { grant_type: 'password', username: 'old-timer', password: 'pw-123456' }), 400, 'invalid_grant', 'The password has expired; change it before signing in');
  });

  it('says nothing about expiry to someone with the wrong password', async () => {
    const { stores } = mutableStores();
    const app = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, maxPasswordAgeDays: 90 }).router);
    expectOAuthError(await grant(app, { grant_type: 'password', username: 'old-timer', password: 'wrong' }), 400, 'invalid_grant', 'Invalid resource owner credentials');
  });

  it('lets a recently changed password, an unknown change date, or no policy through', async () => {
    const { stores, state } = mutableStores();
    const strict = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, maxPasswordAgeDays: 90 }).router);
    const lax = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } }).router);
    expectTokenResponse(await grant(lax, { grant_type: 'password', username: 'old-timer', password: 'pw-123456' }), { expires_in: 3600, scope: 'read', refresh_token: true });
    state.user = { ...state.user, passwordChangedAt: new Date(Date.now() - 10 * DAY) };
    expectTokenResponse(await grant(strict, { grant_type: 'password', username: 'old-timer', password: 'pw-123456' }), { expires_in: 3600, scope: 'read', refresh_token: true });
    const { passwordChangedAt: _unused, ...unknown } = state.user;
    state.user = unknown;
    expectTokenResponse(await grant(strict, { grant_type: 'password', username: 'old-timer', password: 'pw-123456' }), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('refuses the login page too, with the same message', async () => {
    const stores = seedBrowserStores();
    const users = {
      findByUsername: async (u: string, c: { realm?: string }) => {
        const user = await stores.users.findByUsername(u, c);
        return user && { ...user, passwordChangedAt: new Date(Date.now() - 400 * DAY) };
      },
      findById: stores.users.findById.bind(stores.users),
    };
    const app = express().use(createOAuthServer({ issuer: ISSUER, stores: { ...stores, users }, signing: { secret: JWT_SECRET }, maxPasswordAgeDays: 365 }).router);
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const res = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<p class="eop-error" role="alert">The password has expired; change it before signing in.</p>');
  });

  it('is validated', () => {
    const { stores } = mutableStores();
    expect(() => createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, maxPasswordAgeDays: 0 })).toThrow(ConfigurationError);
  });
});

describe('disabling a client or a user ends its existing tokens where the server looks them up', () => {
  async function setup() {
    const { stores, state } = mutableStores();
    const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router);
    app.get('/checked', oauth.requireToken({ checkRevocation: true }), (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/plain', oauth.requireToken(), (_req, res) => {
      res.json({ ok: true });
    });
    const userToken = (await grant(app, { grant_type: 'password', username: 'old-timer', password: 'pw-123456' })).body.access_token as string;
    const clientToken = (await grant(app, { grant_type: 'client_credentials' })).body.access_token as string;
    const introspect = async (t: string) =>
      (await request(app).post('/oauth2/introspect').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ token: t })).body.active;
    return { app, state, userToken, clientToken, introspect };
  }

  it('a disabled user: requireToken({ checkRevocation }) answers invalid_token and introspection says inactive', async () => {
    const { app, state, userToken, clientToken, introspect } = await setup();
    expect(await introspect(userToken)).toBe(true);
    state.user = { ...state.user, disabled: true };
    const res = await request(app).get('/checked').set('Authorization', `Bearer ${userToken}`);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'The client or user of this access token is disabled' },
    });
    expect(await introspect(userToken)).toBe(false);
    // The client's own token is not the user's, and stays good.
    expect((await request(app).get('/checked').set('Authorization', `Bearer ${clientToken}`)).status).toBe(200);
    // Without the check, a JWT stays valid until it expires (documented).
    expect((await request(app).get('/plain').set('Authorization', `Bearer ${userToken}`)).status).toBe(200);
  });

  it('a disabled client: every token of it stops at requireToken({ checkRevocation })', async () => {
    const { app, state, userToken, clientToken } = await setup();
    state.clientDisabled = true;
    for (const t of [userToken, clientToken]) {
      const res = await request(app).get('/checked').set('Authorization', `Bearer ${t}`);
      expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The client or user of this access token is disabled' });
    }
  });
});
