import express from 'express';
import request from 'supertest';
import { type ClientRecord, createOAuthServer, hashToken, type UserRecord } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { ALICE, CONFIDENTIAL, ISSUER, JWT_SECRET, POST_CLIENT, SHORT_LIVED, basic, decodeJwt, makeApp, seedStores } from '../helpers/fixtures';

type Client = { id: string; secret: string };

function harness(stores = seedStores()) {
  const app = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } }).router);
  const post = (client: Client, fields: Record<string, string>) =>
    request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send(fields);
  const login = async (client: Client = CONFIDENTIAL, scope = 'read write') => {
    const res = await post(client, { grant_type: 'password', username: ALICE.username, password: ALICE.password, scope });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const refresh = (refreshToken: string, client: Client = CONFIDENTIAL, extra: Record<string, string> = {}) =>
    post(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
  return { app, stores, login, refresh };
}

const jti = (accessToken: string) => decodeJwt(accessToken).payload.jti as string;

describe('RFC 6749 §6 refresh with rotation (RFC 9700 §4.14.2)', () => {
  it('exchanges a refresh token for a new pair and consumes the old one', async () => {
    const { login, refresh, stores } = harness();
    const first = await login();
    const body = expectTokenResponse(await refresh(first.refresh_token), { expires_in: 3600, scope: 'read write', refresh_token: true });
    expect(body.refresh_token).not.toBe(first.refresh_token);
    const old = await stores.tokens.findRefreshToken(hashToken(first.refresh_token));
    const next = await stores.tokens.findRefreshToken(hashToken(body.refresh_token as string));
    expect(old?.consumedAt).toBeInstanceOf(Date);
    expect(next).toMatchObject({ familyId: old?.familyId, clientId: CONFIDENTIAL.id, userId: ALICE.id, scope: ['read', 'write'] });
    expect(next?.consumedAt).toBeUndefined();
    expect(decodeJwt(body.access_token).payload).toMatchObject({ sub: ALICE.id, client_id: CONFIDENTIAL.id });
  });

  it('revokes the whole family when a rotated refresh token is presented again', async () => {
    const { login, refresh, stores } = harness();
    const first = await login();
    const second = (await refresh(first.refresh_token)).body as { access_token: string; refresh_token: string };

    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant', 'The refresh token was already used; the grant has been revoked');
    // The legitimate-looking successor dies with the family, and so do the access tokens.
    expectOAuthError(await refresh(second.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expect(await stores.tokens.findRefreshToken(hashToken(second.refresh_token))).toBeUndefined();
    expect(await stores.tokens.findAccessToken(jti(first.access_token))).toBeUndefined();
    expect(await stores.tokens.findAccessToken(jti(second.access_token))).toBeUndefined();
  });

  it('lets exactly one of 20 parallel refreshes of one token succeed, then revokes the family', async () => {
    const { login, refresh, stores } = harness();
    const first = await login();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    const winner = ok[0]?.body as { access_token: string; refresh_token: string };
    expectOAuthError(await refresh(winner.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expect(await stores.tokens.findAccessToken(jti(winner.access_token))).toBeUndefined();
  });

  it('narrows the scope on request and keeps the original grant scope for the next refresh (§6)', async () => {
    const { login, refresh } = harness();
    const first = await login(CONFIDENTIAL, 'read write');
    const narrowed = expectTokenResponse(await refresh(first.refresh_token, CONFIDENTIAL, { scope: 'read' }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    expect(decodeJwt(narrowed.access_token).payload.scope).toBe('read');
    expectTokenResponse(await refresh(narrowed.refresh_token as string), { expires_in: 3600, scope: 'read write', refresh_token: true });
  });

  it('refuses to widen the scope, without consuming the token', async () => {
    const { login, refresh } = harness();
    const first = await login(CONFIDENTIAL, 'read');
    expectOAuthError(await refresh(first.refresh_token, CONFIDENTIAL, { scope: 'read write' }), 400, 'invalid_scope', 'The requested scope exceeds the scope originally granted');
    expectTokenResponse(await refresh(first.refresh_token), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('binds the token to its client: another client gets invalid_grant and the token survives', async () => {
    const { login, refresh } = harness();
    const first = await login(CONFIDENTIAL);
    const res = await refresh(first.refresh_token, POST_CLIENT).set('Authorization', '').send({
      client_id: POST_CLIENT.id,
      client_secret: POST_CLIENT.secret,
    });
    expectOAuthError(res, 400, 'invalid_grant', 'Invalid refresh token');
    expectTokenResponse(await refresh(first.refresh_token), { expires_in: 3600, scope: 'read write', refresh_token: true });
  });

  it('rejects an unknown refresh token', async () => {
    const { refresh } = harness();
    expectOAuthError(await refresh('not-a-token'), 400, 'invalid_grant', 'Invalid refresh token');
  });

  it('requires the refresh_token parameter', async () => {
    const { app } = harness();
    const res = await request(app)
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'refresh_token' });
    expectOAuthError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
  });

  it('rejects an expired refresh token (per-client lifetime) without revoking the family', async () => {
    const { login, refresh, stores } = harness();
    const first = await login(SHORT_LIVED, 'read');
    const record = await stores.tokens.findRefreshToken(hashToken(first.refresh_token));
    expect((record?.expiresAt.getTime() ?? 0) - (record?.createdAt.getTime() ?? 0)).toBe(120_000);
    const realNow = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow + 121_000);
    try {
      expectOAuthError(await refresh(first.refresh_token, SHORT_LIVED), 400, 'invalid_grant', 'The refresh token has expired');
    } finally {
      clock.mockRestore();
    }
    expect(await stores.tokens.findAccessToken(jti(first.access_token))).toBeDefined();
  });

  it('stops refreshing for a user who was disabled or deleted since', async () => {
    const seeded = seedStores();
    let state: 'active' | 'disabled' | 'deleted' = 'active';
    const users = {
      findByUsername: seeded.users.findByUsername.bind(seeded.users),
      findById: async (id: string): Promise<UserRecord | undefined> => {
        if (state === 'deleted') return undefined;
        const user = await seeded.users.findById(id, {});
        return user && { ...user, disabled: state === 'disabled' };
      },
    };
    const { login, refresh } = harness({ ...seeded, users });
    const first = await login();
    state = 'disabled';
    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant', 'The resource owner is disabled');
    state = 'deleted';
    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant', 'The resource owner no longer exists');
    state = 'active';
    expectTokenResponse(await refresh(first.refresh_token), { expires_in: 3600, scope: 'read write', refresh_token: true });
  });

  it('drops scopes the client has lost since the grant', async () => {
    const seeded = seedStores();
    let scopes = ['read', 'write', 'admin'];
    const clients = {
      findById: async (id: string): Promise<ClientRecord | undefined> => {
        const client = await seeded.clients.findById(id);
        return client && { ...client, scopes };
      },
    };
    const { login, refresh } = harness({ ...seeded, clients });
    const first = await login();
    scopes = ['read'];
    expectTokenResponse(await refresh(first.refresh_token), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('stops refreshing for a client that lost the refresh_token grant', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/oauth2/token')
      .set('Authorization', basic('no-refresh-app', 'no-refresh-secret-0123456789'))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'x' });
    expectOAuthError(res, 400, 'unauthorized_client', 'The client may not use the refresh_token grant');
  });

  it('leaves the presented token usable when saving its successor fails (no false reuse)', async () => {
    const seeded = seedStores();
    let failSaves = false;
    const tokens = Object.assign(Object.create(seeded.tokens), {
      saveRefreshToken: (record: Parameters<typeof seeded.tokens.saveRefreshToken>[0]) =>
        failSaves ? Promise.reject(new Error('database unavailable')) : seeded.tokens.saveRefreshToken(record),
    });
    const logger = { warn: () => undefined, error: () => undefined };
    const stores = { ...seeded, tokens };
    const app = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, logger }).router);
    const post = (fields: Record<string, string>) =>
      request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send(fields);
    const first = (await post({ grant_type: 'password', username: ALICE.username, password: ALICE.password })).body;
    failSaves = true;
    expectOAuthError(await post({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 500, 'server_error', 'The server encountered an unexpected condition');
    expect((await seeded.tokens.findRefreshToken(hashToken(first.refresh_token)))?.consumedAt).toBeUndefined();
    failSaves = false;
    expectTokenResponse(await post({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), { expires_in: 3600, scope: 'read', refresh_token: true });
  });
});
