import { generateKeyPairSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express, { type Express } from 'express';
import { createOAuthServer, hashClientSecret, hashToken, type OAuthServerOptions } from 'express-oauth2-provider';
import { createPostgresStores, migrate, type PostgresStores } from 'express-oauth2-provider/postgres';
import type { Pool } from 'pg';
import request, { type Response } from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { describeWithDatabase, schemaPool } from '../helpers/database';
import { ALICE, basic, CONFIDENTIAL, decodeJwt, ISSUER } from '../helpers/fixtures';
import { poolOn, schemaName } from './pg-helpers';

/**
 * Two app processes behind a load balancer, as far as the library can tell: two servers, two
 * Express apps, two stores on two pools, one database, and the same configuration read from
 * one file (here: one JSON document, parsed separately by each instance).
 */
const CONFIG_FILE = JSON.stringify({
  issuer: ISSUER,
  signing: {
    keys: [
      {
        ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
        kid: 'shared-es256',
      },
    ],
  },
});

const API = '/api/me';
const ALREADY_USED_CODE = 'The authorization code was already used; tokens issued from it have been revoked';
const ALREADY_USED_REFRESH = 'The refresh token was already used; the grant has been revoked';

interface Instance {
  app: Express;
  stores: PostgresStores;
}

function instance(pool: Pool): Instance {
  const config = JSON.parse(CONFIG_FILE) as Pick<OAuthServerOptions, 'issuer' | 'signing'>;
  const stores = createPostgresStores({ pool });
  const oauth = createOAuthServer({ ...config, stores });
  const app = express();
  app.use(oauth.router);
  app.get(API, oauth.requireToken({ checkRevocation: true }), (req, res) => {
    res.json({ clientId: req.oauth?.clientId, userId: req.oauth?.userId });
  });
  return { app, stores };
}

/** The browser flow on `app` for alice and the web client (PKCE S256); returns the code. */
async function codeFrom(app: Express): Promise<string> {
  const browser = new Browser(app);
  const page = await browser.get('/oauth2/authorize', codeRequest());
  expect(page.status).toBe(200);
  const login = await browser.post('/oauth2/login', {
    ...formFields(page.text),
    username: ALICE.username,
    password: ALICE.password,
  });
  const consent = await browser.follow(login);
  // After the first consent it is remembered and the browser goes straight back with a code.
  const decided =
    consent.status === 303
      ? consent
      : await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
  const { base, params } = redirectParams(decided);
  expect({ base, state: params.state, code: typeof params.code }).toEqual({
    base: WEB_CB,
    state: 'state-123',
    code: 'string',
  });
  return params.code as string;
}

const redeem = (app: Express, code: string) =>
  request(app)
    .post('/oauth2/token')
    .set('Authorization', basic(WEB.id, WEB.secret))
    .type('form')
    .send({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });

const refresh = (app: Express, refreshToken: string) =>
  request(app)
    .post('/oauth2/token')
    .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
    .type('form')
    .send({ grant_type: 'refresh_token', refresh_token: refreshToken });

async function passwordGrant(app: Express): Promise<{ access_token: string; refresh_token: string }> {
  const res = await request(app)
    .post('/oauth2/token')
    .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
    .type('form')
    .send({ grant_type: 'password', username: ALICE.username, password: ALICE.password, scope: 'read write' });
  return expectTokenResponse(res, { expires_in: 3600, scope: 'read write', refresh_token: true }) as {
    access_token: string;
    refresh_token: string;
  };
}

const callApi = (app: Express, accessToken: string) =>
  request(app).get(API).set('Authorization', `Bearer ${accessToken}`);

function expectApiRevoked(res: Response): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 401,
    body: { error: 'invalid_token', error_description: 'The access token has been revoked' },
  });
  expect(res.headers['www-authenticate']).toBe(
    `Bearer realm="${ISSUER}", error="invalid_token", error_description="The access token has been revoked"`,
  );
}

/** Tallies a batch of token responses: 200s, 400 invalid_grant (by description), anything else. */
function tally(results: Response[]) {
  const invalidGrant: Record<string, number> = {};
  let ok = 0;
  let other = 0;
  for (const res of results) {
    if (res.status === 200) ok++;
    else if (res.status === 400 && res.body.error === 'invalid_grant') {
      invalidGrant[res.body.error_description] = (invalidGrant[res.body.error_description] ?? 0) + 1;
      expect(res.headers['cache-control']).toBe('no-store');
    } else other++;
  }
  const rejected = Object.values(invalidGrant).reduce((a, b) => a + b, 0);
  return { ok, rejected, other, invalidGrant };
}

describeWithDatabase('PostgreSQL: two server instances on one database', () => {
  const schema = schemaName('multi_instance');
  let poolA: Pool;
  let poolB: Pool;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    poolA = await schemaPool(schema);
    await migrate(poolA);
    poolB = poolOn(schema);
    a = instance(poolA);
    b = instance(poolB);
    await a.stores.clients.upsert({
      id: WEB.id,
      name: 'Web App',
      secretHash: hashClientSecret(WEB.secret),
      grants: ['authorization_code', 'refresh_token'],
      redirectUris: [WEB_CB],
      scopes: ['read', 'write'],
      defaultScopes: ['read'],
    });
    await a.stores.clients.upsert({
      id: CONFIDENTIAL.id,
      secretHash: hashClientSecret(CONFIDENTIAL.secret),
      grants: ['password', 'refresh_token'],
      scopes: ['read', 'write'],
      defaultScopes: ['read'],
    });
    await a.stores.users.upsert({
      id: ALICE.id,
      username: ALICE.username,
      passwordHash: bcrypt.hashSync(ALICE.password, 4),
    });
  });

  afterAll(async () => {
    await Promise.all([poolA?.end(), poolB?.end()]);
  });

  it('the two instances really are separate: each has its own pool', () => {
    expect(poolA).not.toBe(poolB);
    expect(a.app).not.toBe(b.app);
  });

  it('(a) an authorization code minted on A is redeemed on B; replaying it on A revokes what B issued', async () => {
    const code = await codeFrom(a.app);
    const body = expectTokenResponse(await redeem(b.app, code), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    expect(decodeJwt(body.access_token).payload).toMatchObject({
      iss: ISSUER,
      sub: ALICE.id,
      client_id: WEB.id,
      scope: 'read',
    });
    expect(decodeJwt(body.access_token).header).toMatchObject({ alg: 'ES256', kid: 'shared-es256', typ: 'at+jwt' });
    // Either instance accepts what the other signed and stored.
    expect((await callApi(a.app, body.access_token)).body).toEqual({ clientId: WEB.id, userId: ALICE.id });
    expect((await callApi(b.app, body.access_token)).body).toEqual({ clientId: WEB.id, userId: ALICE.id });

    expectOAuthError(await redeem(a.app, code), 400, 'invalid_grant', ALREADY_USED_CODE);
    expectApiRevoked(await callApi(b.app, body.access_token));
    expect(await b.stores.tokens.findRefreshToken(hashToken(body.refresh_token as string))).toBeUndefined();
  });

  it('(a) the browser flow itself may hop between instances: authorize on A, log in on B, consent on A, redeem on B', async () => {
    // Forgotten, so that the consent page is shown (on A) for a login made on B.
    await b.stores.tokens.deleteConsent(ALICE.id, WEB.id);
    const onA = new Browser(a.app);
    const onB = new Browser(b.app);
    const page = await onA.get('/oauth2/authorize', codeRequest());
    for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
    const login = await onB.post('/oauth2/login', {
      ...formFields(page.text),
      username: ALICE.username,
      password: ALICE.password,
    });
    for (const [name, value] of onB.cookies) onA.cookies.set(name, value);
    const consent = await onA.follow(login);
    expect(consent.status).toBe(200);
    const decided = await onA.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    const code = redirectParams(decided).params.code as string;
    expectTokenResponse(await redeem(b.app, code), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('(b) a refresh token rotated on A and replayed on B revokes the family: the successor then fails on A', async () => {
    const first = await passwordGrant(a.app);
    const second = expectTokenResponse(await refresh(a.app, first.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    }) as { access_token: string; refresh_token: string };

    expectOAuthError(await refresh(b.app, first.refresh_token), 400, 'invalid_grant', ALREADY_USED_REFRESH);
    expectOAuthError(await refresh(a.app, second.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    // The access tokens of the family die with it, on both instances.
    expectApiRevoked(await callApi(a.app, second.access_token));
    expectApiRevoked(await callApi(b.app, first.access_token));
  });

  it('(c) 20 parallel redemptions of one code over A and B: exactly one 200, 19 invalid_grant; the winner is then revoked', async () => {
    const code = await codeFrom(a.app);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(i % 2 === 0 ? a.app : b.app, code)));
    const counts = tally(results);
    expect({ ok: counts.ok, rejected: counts.rejected, other: counts.other }).toEqual({
      ok: 1,
      rejected: 19,
      other: 0,
    });
    // A loser either saw the code consumed, or found it hidden by the revocation another loser made.
    for (const description of Object.keys(counts.invalidGrant)) {
      expect([ALREADY_USED_CODE, 'Invalid authorization code']).toContain(description);
    }
    const winner = results.find((r) => r.status === 200)?.body as { access_token: string; refresh_token: string };
    const winnerRefresh = await request(a.app)
      .post('/oauth2/token')
      .set('Authorization', basic(WEB.id, WEB.secret))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: winner.refresh_token });
    expectOAuthError(winnerRefresh, 400, 'invalid_grant', 'Invalid refresh token');
    expectApiRevoked(await callApi(b.app, winner.access_token));
    const { rows } = await poolA.query(
      'SELECT consumed_at IS NOT NULL AS consumed FROM oauth_authorization_codes WHERE hash = $1',
      [hashToken(code)],
    );
    expect(rows).toEqual([{ consumed: true }]);
  });

  it('(d) 20 parallel refreshes of one refresh token over A and B: exactly one 200, 19 invalid_grant; the winner is then dead', async () => {
    const first = await passwordGrant(b.app);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refresh(i % 2 === 0 ? a.app : b.app, first.refresh_token)),
    );
    const counts = tally(results);
    expect({ ok: counts.ok, rejected: counts.rejected, other: counts.other }).toEqual({
      ok: 1,
      rejected: 19,
      other: 0,
    });
    for (const description of Object.keys(counts.invalidGrant)) {
      expect([ALREADY_USED_REFRESH, 'Invalid refresh token']).toContain(description);
    }
    const winner = results.find((r) => r.status === 200)?.body as { access_token: string; refresh_token: string };
    expectOAuthError(await refresh(a.app, winner.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expectOAuthError(await refresh(b.app, winner.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expectApiRevoked(await callApi(a.app, winner.access_token));
  });

  it("(e) a token issued by A passes B's requireToken({ checkRevocation: true }); revoked at B, it fails on A", async () => {
    const pair = await passwordGrant(a.app);
    const accepted = await callApi(b.app, pair.access_token);
    expect({ status: accepted.status, body: accepted.body }).toEqual({
      status: 200,
      body: { clientId: CONFIDENTIAL.id, userId: ALICE.id },
    });

    const revoked = await request(b.app)
      .post('/oauth2/revoke')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ token: pair.access_token, token_type_hint: 'access_token' });
    expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 200, text: '' });

    expectApiRevoked(await callApi(a.app, pair.access_token));
    // Revoking the access token took its grant's refresh token with it.
    expectOAuthError(await refresh(a.app, pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });
});
