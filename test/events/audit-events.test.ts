import express from 'express';
import request from 'supertest';
import { createClientAdminRouter, createOAuthServer, type Logger, type OAuthEventMap, type OAuthEventName, type OAuthServer } from '../../lib';
import { codeRequest, makeBrowserApp, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { hashClientSecret } from '../../lib';
import { ALICE, CONFIDENTIAL, ISSUER, JWT_SECRET, basic, seedStores } from '../helpers/fixtures';

const NAMES: OAuthEventName[] = [
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'refresh_token.reused',
  'authorization_code.replayed',
  'client.authentication_failed',
  'user.authentication_failed',
  'consent.granted',
  'consent.denied',
  'server.error',
  'rate_limited',
  'admin.changed',
];

type Seen = { name: OAuthEventName; payload: OAuthEventMap[OAuthEventName] };

function record(oauth: OAuthServer): Seen[] {
  const seen: Seen[] = [];
  for (const name of NAMES) oauth.events.on(name, (payload) => seen.push({ name, payload }));
  return seen;
}

const IP = expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
const token = (app: express.Express) => request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form');

describe('audit events on oauth.events', () => {
  it('token.issued: once per issuance, with grant, client, user, scope, family and the caller address', async () => {
    const stores = seedStores();
    const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } });
    const seen = record(oauth);
    const app = express().use(oauth.router);
    await token(app).send({ grant_type: 'client_credentials' });
    const pw = await token(app).send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
    await token(app).send({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token });
    expect(seen).toEqual([
      { name: 'token.issued', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: undefined, grantType: 'client_credentials', scope: ['read'], familyId: expect.any(String), refreshToken: false } },
      { name: 'token.issued', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: ALICE.id, grantType: 'password', scope: ['read'], familyId: expect.any(String), refreshToken: true } },
      { name: 'token.issued', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: ALICE.id, grantType: 'refresh_token', scope: ['read'], familyId: familyOf(seen, 1), refreshToken: true } },
      { name: 'token.refreshed', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: ALICE.id, scope: ['read'], familyId: familyOf(seen, 1) } },
    ]);
  });

  it('refresh_token.reused and token.revoked', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router);
    const pw = await token(app).send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
    await token(app).send({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token });
    const seen = record(oauth);
    await token(app).send({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token });
    const second = await token(app).send({ grant_type: 'client_credentials' });
    await request(app).post('/oauth2/revoke').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ token: second.body.access_token });
    expect(seen.map((s) => s.name)).toEqual(['refresh_token.reused', 'token.issued', 'token.revoked']);
    expect(seen[0]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: ALICE.id, familyId: expect.any(String) });
    expect(seen[2]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, userId: undefined, familyId: familyOf(seen, 1), tokenType: 'access_token' });
  });

  it('of 10 parallel refreshes of one token, only the winner reports token.issued and token.refreshed', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router);
    const pw = await token(app).send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
    const seen = record(oauth);
    const results = await Promise.all(Array.from({ length: 10 }, () => token(app).send({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(seen.filter((s) => s.name === 'token.issued')).toHaveLength(1);
    expect(seen.filter((s) => s.name === 'token.refreshed')).toHaveLength(1);
    expect(seen.filter((s) => s.name === 'refresh_token.reused').length).toBeGreaterThanOrEqual(1);
  });

  it('client.authentication_failed names the claimed client and why, never the secret', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } });
    const seen = record(oauth);
    const app = express().use(oauth.router);
    await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, 'guessed-secret')).type('form').send({ grant_type: 'client_credentials' });
    expect(seen).toEqual([{ name: 'client.authentication_failed', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, reason: 'Client authentication failed' } }]);
  });

  it('user.authentication_failed for the password grant', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } });
    const seen = record(oauth);
    await token(express().use(oauth.router)).send({ grant_type: 'password', username: ALICE.username, password: 'wrong', realm: 'partners' });
    expect(seen).toEqual([
      { name: 'user.authentication_failed', payload: { at: expect.any(Date), ip: IP, clientId: CONFIDENTIAL.id, username: ALICE.username, realm: 'partners', via: 'password_grant' } },
    ]);
  });

  it('browser flow: login failure, consent granted, code replay; consent denied', async () => {
    const { app, oauth } = makeBrowserApp();
    const seen = record(oauth);
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'nope' });
    const login = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' });
    const consent = await browser.follow(login);
    const decided = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    const code = redirectParams(decided).params.code as string;
    const exchange = () =>
      request(app).post('/oauth2/token').set('Authorization', basic(WEB.id, WEB.secret)).type('form').send({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });
    await exchange();
    await exchange();
    const other = new Browser(app);
    const page2 = await other.get('/oauth2/authorize', codeRequest({ scope: 'write' }));
    const consent2 = await other.follow(await other.post('/oauth2/login', { ...formFields(page2.text), username: 'alice', password: 'alice-password' }));
    await other.post('/oauth2/authorize/decision', { ...formFields(consent2.text), decision: 'deny' });

    expect(seen.map((s) => s.name)).toEqual(['user.authentication_failed', 'consent.granted', 'token.issued', 'authorization_code.replayed', 'consent.denied']);
    expect(seen[0]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: WEB.id, username: 'alice', realm: undefined, via: 'login_page' });
    expect(seen[1]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: WEB.id, userId: 'user-alice', scope: ['read'] });
    expect(seen[3]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: WEB.id, userId: 'user-alice', familyId: expect.any(String) });
    expect(seen[4]?.payload).toEqual({ at: expect.any(Date), ip: IP, clientId: WEB.id, userId: 'user-alice', scope: ['write'] });
  });

  it('server.error, once per 5xx, without the cause', async () => {
    const seeded = seedStores();
    const logger: Logger = { warn: jest.fn(), error: jest.fn() };
    const clients = { findById: () => Promise.reject(new Error('db password=hunter2 down')) };
    const oauth = createOAuthServer({ issuer: ISSUER, stores: { ...seeded, clients }, signing: { secret: JWT_SECRET }, logger });
    const seen = record(oauth);
    await token(express().use(oauth.router)).send({ grant_type: 'client_credentials' });
    expect(seen).toEqual([{ name: 'server.error', payload: { at: expect.any(Date), ip: IP, method: 'POST', path: '/oauth2/token', code: 'server_error' } }]);
  });

  it('a listener that throws is logged and does not break the request', async () => {
    const logger: Logger = { warn: jest.fn(), error: jest.fn() };
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, logger });
    oauth.events.on('token.issued', () => {
      throw new Error('listener bug');
    });
    const res = await token(express().use(oauth.router)).send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    expect(logger.error).toHaveBeenCalledWith({ err: expect.any(Error), event: 'token.issued' }, 'A listener of token.issued threw');
  });
});

describe('no secret, password, token, code or verifier ever reaches an event or a log line', () => {
  it('across every flow, including failures', async () => {
    const lines: string[] = [];
    const logger: Logger = { warn: (o, m) => lines.push(JSON.stringify([o, m], errorReplacer)), error: (o, m) => lines.push(JSON.stringify([o, m], errorReplacer)) };
    const { app, oauth } = makeBrowserApp({ logger });
    for (const name of NAMES) oauth.events.on(name, (payload) => lines.push(JSON.stringify(payload)));
    const secrets: string[] = [WEB.secret, 'alice-password', 'wrong-password', VERIFIER];
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'wrong-password' });
    const consent = await browser.follow(await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' }));
    secrets.push(formFields(page.text).csrf_token, formFields(page.text).transaction_id);
    const code = redirectParams(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' })).params.code as string;
    secrets.push(code);
    const exchange = () =>
      request(app).post('/oauth2/token').set('Authorization', basic(WEB.id, WEB.secret)).type('form').send({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });
    const tokens = (await exchange()).body;
    await exchange();
    secrets.push(tokens.access_token, tokens.refresh_token);
    await request(app).post('/oauth2/token').set('Authorization', basic(WEB.id, 'not-the-secret')).type('form').send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    secrets.push('not-the-secret');
    await request(app).post('/oauth2/revoke').set('Authorization', basic(WEB.id, WEB.secret)).type('form').send({ token: tokens.access_token });
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const all = lines.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});

describe('no secret reaches an event, a log line or the metrics: admin API, rate limits, metrics', () => {
  it('creating and rotating client secrets, locked-out passwords, failing stores', async () => {
    const lines: string[] = [];
    const logger: Logger = { warn: (o, m) => lines.push(JSON.stringify([o, m], errorReplacer)), error: (o, m) => lines.push(JSON.stringify([o, m], errorReplacer)) };
    const stores = seedStores();
    const admin = { id: 'back-office', secret: 'back-office-secret-value' };
    await stores.clients.createClient?.({ id: admin.id, secretHash: hashClientSecret(admin.secret), grants: ['client_credentials'], scopes: ['clients:admin'] });
    const oauth = createOAuthServer({
      issuer: ISSUER,
      stores,
      signing: { secret: JWT_SECRET },
      logger,
      metrics: true,
      rateLimits: { username: { limit: 2, windowSeconds: 60 } },
    });
    for (const name of NAMES) oauth.events.on(name, (payload) => lines.push(JSON.stringify(payload)));
    const app = express();
    app.use(oauth.router);
    app.use('/admin', createClientAdminRouter(oauth));
    app.get('/metrics', oauth.metricsHandler);
    const secrets: string[] = [admin.secret, ALICE.password, 'guess-1', 'guess-2', 'guess-3'];

    const adminToken = (await token(app).set('Authorization', basic(admin.id, admin.secret)).send({ grant_type: 'client_credentials', scope: 'clients:admin' })).body.access_token as string;
    secrets.push(adminToken);
    const bearer = (r: request.Test) => r.set('Authorization', `Bearer ${adminToken}`);
    const created = await bearer(request(app).post('/admin/clients')).send({ id: 'billing', grants: ['client_credentials'], scopes: ['read'] });
    expect(created.status).toBe(201);
    const rotated = await bearer(request(app).post('/admin/clients/billing/secret'));
    expect(rotated.status).toBe(200);
    secrets.push(created.body.client_secret, rotated.body.client_secret);
    const billing = await request(app).post('/oauth2/token').set('Authorization', basic('billing', rotated.body.client_secret)).type('form').send({ grant_type: 'client_credentials' });
    secrets.push(billing.body.access_token);
    await request(app).post('/oauth2/token').set('Authorization', basic('billing', created.body.client_secret)).type('form').send({ grant_type: 'client_credentials' });
    for (const guess of ['guess-1', 'guess-2', 'guess-3']) await token(app).send({ grant_type: 'password', username: ALICE.username, password: guess });
    // Locked out: even the right password is refused (429), and reported without it.
    expect((await token(app).send({ grant_type: 'password', username: ALICE.username, password: ALICE.password })).status).toBe(429);
    // A failing store: the 500 is logged with its cause, which must not carry the request's secrets.
    jest.spyOn(stores.tokens, 'saveAccessToken').mockRejectedValueOnce(new Error('database is down'));
    expect((await request(app).post('/oauth2/token').set('Authorization', basic('billing', rotated.body.client_secret)).type('form').send({ grant_type: 'client_credentials' })).status).toBe(500);
    const metrics = (await request(app).get('/metrics')).text;

    const names = lines.map((line) => (JSON.parse(line) as { limit?: string; action?: string }).limit ?? (JSON.parse(line) as { action?: string }).action);
    expect(names).toEqual(expect.arrayContaining(['username', 'client.created', 'client.secret_rotated']));
    expect(lines.some((line) => line.includes('database is down'))).toBe(true);
    const all = `${lines.join('\n')}\n${metrics}`;
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});

/** The family id of the event at `index` (which must be there). */
function familyOf(seen: Seen[], index: number): string {
  const payload = seen[index]?.payload as { familyId?: string } | undefined;
  if (!payload?.familyId) throw new Error(`event ${index} has no familyId`);
  return payload.familyId;
}

function errorReplacer(_key: string, value: unknown) {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}
