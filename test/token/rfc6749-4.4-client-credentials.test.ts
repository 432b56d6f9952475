import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { CC_ONLY, CONFIDENTIAL, ISSUER, JWT_SECRET, NO_REFRESH, SHORT_LIVED, basic, decodeJwt, makeApp, seedStores } from '../helpers/fixtures';

const { app, stores } = makeApp();
const cc = (client: { id: string; secret: string }, extra: Record<string, string> = {}) =>
  request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send({ grant_type: 'client_credentials', ...extra });

describe('RFC 6749 §4.4 client_credentials', () => {
  it('issues an access token with the default scope and no refresh token (§4.4.3)', async () => {
    const res = await cc(CONFIDENTIAL); // the client may use refresh_token, still none here
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
  });

  it('grants a requested subset of the allowed scopes and echoes it', async () => {
    expectTokenResponse(await cc(CONFIDENTIAL, { scope: 'write read' }), { expires_in: 3600, scope: 'write read' });
  });

  it('drops repeated scope tokens', async () => {
    expectTokenResponse(await cc(CONFIDENTIAL, { scope: 'read read' }), { expires_in: 3600, scope: 'read' });
  });

  it('treats an empty scope parameter as omitted (RFC 6749 §3.1)', async () => {
    expectTokenResponse(await cc(CONFIDENTIAL, { scope: '' }), { expires_in: 3600, scope: 'read' });
  });

  it('omits scope when the client has no default scope and asked for none', async () => {
    expectTokenResponse(await cc(CC_ONLY), { expires_in: 3600 });
  });

  it('rejects a scope outside the client allowed set with invalid_scope (§5.2)', async () => {
    expectOAuthError(await cc(CONFIDENTIAL, { scope: 'read delete' }), 400, 'invalid_scope', 'The client may not request: delete');
  });

  it.each(['read  write', ' read', 'read\twrite', 'bad"quote', 'back\\slash'])('rejects malformed scope %j (§3.3)', async (scope) => {
    expectOAuthError(await cc(CONFIDENTIAL, { scope }), 400, 'invalid_scope', 'scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)');
  });

  it('rejects a client not registered for the grant with unauthorized_client', async () => {
    expectOAuthError(await cc(NO_REFRESH), 400, 'unauthorized_client', 'The client may not use the client_credentials grant');
  });

  it('refuses a public client even if its store record lists the grant (§4.4)', async () => {
    const seeded = seedStores();
    const stores = {
      ...seeded,
      clients: { findById: async (id: string) => (id === 'rogue' ? { id, grants: ['client_credentials' as const] } : undefined) },
    };
    const rogue = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } }).router);
    const res = await request(rogue).post('/oauth2/token').type('form').send({ grant_type: 'client_credentials', client_id: 'rogue' });
    expectOAuthError(res, 400, 'unauthorized_client', 'A public client cannot use client_credentials');
  });

  it('uses the per-client access token lifetime', async () => {
    const body = expectTokenResponse(await cc(SHORT_LIVED), { expires_in: 60 });
    const { payload } = decodeJwt(body.access_token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(60);
  });
});

describe('RFC 9068 JWT access token from client_credentials', () => {
  it('carries iss, sub (the client, §2.2), aud, client_id, scope, jti, iat, exp and typ at+jwt', async () => {
    const before = Math.floor(Date.now() / 1000);
    const body = expectTokenResponse(await cc(CONFIDENTIAL, { scope: 'read write' }), { expires_in: 3600, scope: 'read write' });
    const verified = jwt.verify(body.access_token, JWT_SECRET, { algorithms: ['HS256'], issuer: ISSUER, audience: ISSUER, complete: true });
    expect(verified.header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
    const payload = verified.payload as Record<string, unknown>;
    expect(payload).toEqual({
      iss: ISSUER,
      sub: CONFIDENTIAL.id,
      aud: ISSUER,
      client_id: CONFIDENTIAL.id,
      scope: 'read write',
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 3600,
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
  });

  it('records the token under its jti, in a new family named after it', async () => {
    const body = expectTokenResponse(await cc(CONFIDENTIAL), { expires_in: 3600, scope: 'read' });
    const { payload } = decodeJwt(body.access_token);
    const record = await stores.tokens.findAccessToken(payload.jti as string);
    expect(record).toEqual({
      id: payload.jti,
      familyId: payload.jti,
      clientId: CONFIDENTIAL.id,
      scope: ['read'],
      createdAt: expect.any(Date),
      expiresAt: new Date((payload.exp as number) * 1000),
    });
  });
});
