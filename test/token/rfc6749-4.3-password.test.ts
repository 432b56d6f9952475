import request from 'supertest';
import { hashToken } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { ALICE, BOB_DISABLED, CAROL_PARTNER, CONFIDENTIAL, NO_REFRESH, POST_CLIENT, PUBLIC_CLIENT, basic, decodeJwt, makeApp } from '../helpers/fixtures';
import { watchBcryptTasks } from '../helpers/worker-threads';

const { app, stores } = makeApp();
const password = (fields: Record<string, string>, client: { id: string; secret: string } = CONFIDENTIAL) =>
  request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send({ grant_type: 'password', ...fields });

describe('RFC 6749 §4.3 resource owner password credentials', () => {
  it('issues an access token for the user and a refresh token when the client may refresh', async () => {
    const body = expectTokenResponse(await password({ username: ALICE.username, password: ALICE.password, scope: 'read write' }), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    });
    expect(decodeJwt(body.access_token).payload).toMatchObject({ sub: ALICE.id, client_id: CONFIDENTIAL.id, scope: 'read write' });
  });

  it('stores the refresh token by hash only, in the family named after the first access token', async () => {
    const body = expectTokenResponse(await password({ username: ALICE.username, password: ALICE.password }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    const rt = body.refresh_token as string;
    expect(await stores.tokens.findRefreshToken(rt)).toBeUndefined();
    const { jti } = decodeJwt(body.access_token).payload;
    expect((await stores.tokens.findAccessToken(jti as string))?.familyId).toBe(jti);
    expect(await stores.tokens.findRefreshToken(hashToken(rt))).toEqual({
      hash: hashToken(rt),
      familyId: jti,
      clientId: CONFIDENTIAL.id,
      userId: ALICE.id,
      scope: ['read'],
      createdAt: expect.any(Date),
      expiresAt: expect.any(Date),
    });
  });

  it('issues no refresh token to a client without the refresh_token grant', async () => {
    expectTokenResponse(await password({ username: ALICE.username, password: ALICE.password }, NO_REFRESH), { expires_in: 3600 });
  });

  it('serves a public client identified by client_id', async () => {
    const res = await request(app)
      .post('/oauth2/token')
      .type('form')
      .send({ grant_type: 'password', client_id: PUBLIC_CLIENT.id, username: ALICE.username, password: ALICE.password });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('accepts a JSON body with realm and client credentials, as IBM API Connect sends it', async () => {
    const res = await request(app).post('/oauth2/token').set('Content-Type', 'application/json').send(
      JSON.stringify({
        username: CAROL_PARTNER.username,
        password: CAROL_PARTNER.password,
        realm: 'partners',
        client_id: POST_CLIENT.id,
        client_secret: POST_CLIENT.secret,
        grant_type: 'password',
      }),
    );
    const body = expectTokenResponse(res, { expires_in: 3600, refresh_token: true });
    expect(decodeJwt(body.access_token).payload.sub).toBe(CAROL_PARTNER.id);
  });

  it('looks the user up in the realm the request names, and only there', async () => {
    expectOAuthError(
      await password({ username: CAROL_PARTNER.username, password: CAROL_PARTNER.password }),
      400,
      'invalid_grant',
      'Invalid resource owner credentials',
    );
    expectOAuthError(
      await password({ username: ALICE.username, password: ALICE.password, realm: 'partners' }),
      400,
      'invalid_grant',
      'Invalid resource owner credentials',
    );
  });

  it('rejects a wrong password with invalid_grant (§5.2)', async () => {
    expectOAuthError(await password({ username: ALICE.username, password: 'wrong' }), 400, 'invalid_grant', 'Invalid resource owner credentials');
  });

  it('answers an unknown user exactly like a wrong password, after bcrypt work of the same cost', async () => {
    // Fixture users are hashed at cost 4: once one was seen, the dummy hash has cost 4 too.
    await password({ username: ALICE.username, password: 'wrong' });
    const bcryptTasks = watchBcryptTasks();
    try {
      expectOAuthError(await password({ username: 'nobody', password: 'x' }), 400, 'invalid_grant', 'Invalid resource owner credentials');
      const compares = bcryptTasks.tasks().filter((t) => t.op === 'compare');
      expect(compares).toEqual([{ op: 'compare', password: 'x', hash: expect.stringMatching(/^\$2b\$04\$/) }]);
    } finally {
      bcryptTasks.restore();
    }
  });

  it('refuses a disabled user, but only says so once the password is right', async () => {
    expectOAuthError(await password({ username: BOB_DISABLED.username, password: BOB_DISABLED.password }), 400, 'invalid_grant', 'The resource owner is disabled');
    expectOAuthError(await password({ username: BOB_DISABLED.username, password: 'wrong' }), 400, 'invalid_grant', 'Invalid resource owner credentials');
  });

  it('does not spend bcrypt on an oversized password', async () => {
    const bcryptTasks = watchBcryptTasks();
    try {
      expectOAuthError(await password({ username: ALICE.username, password: 'x'.repeat(2000) }), 400, 'invalid_grant', 'Invalid resource owner credentials');
      expect(bcryptTasks.tasks()).toEqual([]);
    } finally {
      bcryptTasks.restore();
    }
  });

  it.each([
    ['username', { password: ALICE.password }],
    ['password', { username: ALICE.username }],
  ])('requires %s (invalid_request)', async (name, fields) => {
    expectOAuthError(await password(fields), 400, 'invalid_request', `Missing required parameter: ${name}`);
  });

  it('checks the scope before the password', async () => {
    expectOAuthError(await password({ username: ALICE.username, password: 'wrong', scope: 'root' }), 400, 'invalid_scope', 'The client may not request: root');
  });
});
