/**
 * RFC 7009 token revocation at `POST /oauth2/revoke`: client authentication, the 200 for
 * unknown tokens, and revocation of the whole grant family whichever token of it is presented
 * (the refresh token takes its access tokens with it, an access token its refresh token).
 */
import request from 'supertest';
import { hashToken } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest, makeBrowserApp, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { ALICE, CONFIDENTIAL, basic, decodeJwt } from '../helpers/fixtures';
import {
  BASIC_CLIENT,
  OPAQUE_CLIENT,
  POSTING_CLIENT,
  PUBLIC,
  callApi,
  expectApiAccepts,
  expectApiRejects,
  expectMethodNotAllowed,
  expectRevocationOk,
  forgeJwt,
  makeEndpointApp,
  mountApi,
  passwordGrant,
  refresh,
  revoke,
} from './endpoint-helpers';

const REVOKED_JWT = 'The access token has been revoked';
const UNKNOWN_OPAQUE = 'The access token is invalid or has been revoked';
const jti = (accessToken: string) => decodeJwt(accessToken).payload.jti as string;

describe('RFC 7009 §2.1 the client authenticates', () => {
  it('refuses a request without client credentials: 401 invalid_client with a Basic challenge', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    const res = await request(app).post('/oauth2/revoke').type('form').send({ token: pair.refresh_token });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication is required');
    expectTokenResponse(await refresh(app, pair.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    });
  });

  it.each([
    ['a wrong Basic secret', BASIC_CLIENT],
    ['a wrong client_secret_post secret', POSTING_CLIENT],
    ['an unknown client', { id: 'nobody', secret: 'whatever-secret' }],
  ])('refuses %s with 401 invalid_client and revokes nothing', async (_name, client) => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, client.id === POSTING_CLIENT.id ? POSTING_CLIENT : BASIC_CLIENT);
    const res = await revoke(app, { ...client, secret: 'not-the-secret' }, { token: pair.access_token });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
    expectApiAccepts(await callApi(app, pair.access_token), {
      clientId: decodeJwt(pair.access_token).payload.client_id as string,
      userId: ALICE.id,
    });
  });

  it('accepts client_secret_post as well as client_secret_basic', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, POSTING_CLIENT);
    expectRevocationOk(await revoke(app, POSTING_CLIENT, { token: pair.refresh_token }));
    expectOAuthError(
      await refresh(app, pair.refresh_token, POSTING_CLIENT),
      400,
      'invalid_grant',
      'Invalid refresh token',
    );
  });
});

describe('RFC 7009 §2.1 request parameters', () => {
  it('requires the token parameter: 400 invalid_request', async () => {
    const { app } = makeEndpointApp();
    expectOAuthError(await revoke(app, BASIC_CLIENT, {}), 400, 'invalid_request', 'Missing required parameter: token');
    expectOAuthError(
      await revoke(app, BASIC_CLIENT, { token: '' }),
      400,
      'invalid_request',
      'Missing required parameter: token',
    );
  });

  it('answers an unknown token with 200 and an empty body (§2.2)', async () => {
    const { app } = makeEndpointApp();
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: 'no-such-token' }));
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: 'no-such-token', token_type_hint: 'refresh_token' }));
  });

  it.each(['GET', 'PUT', 'DELETE'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const { app } = makeEndpointApp();
    const agent = request(app);
    const res = await (method === 'GET'
      ? agent.get('/oauth2/revoke')
      : method === 'PUT'
        ? agent.put('/oauth2/revoke')
        : agent.delete('/oauth2/revoke'));
    expectMethodNotAllowed(res, 'The revocation endpoint accepts POST only');
  });
});

describe('RFC 7009 §2.1 revoking a refresh token revokes its grant family', () => {
  it('kills the refresh token and the access tokens issued with it', async () => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectApiAccepts(await callApi(app, pair.access_token), { clientId: CONFIDENTIAL.id, userId: ALICE.id });

    expectRevocationOk(
      await revoke(app, BASIC_CLIENT, { token: pair.refresh_token, token_type_hint: 'refresh_token' }),
    );

    expectOAuthError(await refresh(app, pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expect(await stores.tokens.findRefreshToken(hashToken(pair.refresh_token))).toBeUndefined();
    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeUndefined();
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
  });

  it('also kills access tokens issued before a rotation (the whole family, RFC 9700 §4.14)', async () => {
    const { app, stores } = makeEndpointApp();
    const first = await passwordGrant(app);
    const second = expectTokenResponse(await refresh(app, first.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    }) as { access_token: string; refresh_token: string };

    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: second.refresh_token }));

    for (const accessToken of [first.access_token, second.access_token]) {
      expect(await stores.tokens.findAccessToken(jti(accessToken))).toBeUndefined();
      expectApiRejects(await callApi(app, accessToken), REVOKED_JWT);
    }
    expectOAuthError(await refresh(app, second.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });

  it('leaves the other families of the same user and client alone', async () => {
    const { app } = makeEndpointApp();
    const revoked = await passwordGrant(app);
    const kept = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: revoked.refresh_token }));
    expectApiAccepts(await callApi(app, kept.access_token), { clientId: CONFIDENTIAL.id, userId: ALICE.id });
    expectTokenResponse(await refresh(app, kept.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    });
  });
});

describe('RFC 7009 §2.1 revoking an access token revokes its grant family', () => {
  it('a JWT access token takes the refresh token issued with it', async () => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app);

    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.access_token, token_type_hint: 'access_token' }));

    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeUndefined();
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
    expect(await stores.tokens.findRefreshToken(hashToken(pair.refresh_token))).toBeUndefined();
    expectOAuthError(await refresh(app, pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });

  it.each([
    [
      'server option accessTokenFormat: opaque',
      { accessTokenFormat: 'opaque' as const },
      BASIC_CLIENT,
      CONFIDENTIAL.id,
    ],
    ['a client with accessTokenFormat: opaque', {}, OPAQUE_CLIENT, OPAQUE_CLIENT.id],
  ])(
    'an opaque access token (%s) takes its refresh token, and dies at once',
    async (_name, overrides, client, clientId) => {
      const { app, stores } = makeEndpointApp(overrides);
      const pair = await passwordGrant(app, client);
      expect(pair.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await stores.tokens.findAccessToken(hashToken(pair.access_token))).toMatchObject({
        clientId,
        userId: ALICE.id,
      });
      expectApiAccepts(await callApi(app, pair.access_token), { clientId, userId: ALICE.id, format: 'opaque' });

      expectRevocationOk(await revoke(app, client, { token: pair.access_token }));

      expect(await stores.tokens.findAccessToken(hashToken(pair.access_token))).toBeUndefined();
      expectApiRejects(await callApi(app, pair.access_token), UNKNOWN_OPAQUE);
      expectOAuthError(await refresh(app, pair.refresh_token, client), 400, 'invalid_grant', 'Invalid refresh token');
    },
  );

  it('revoking the refresh token of an opaque pair kills the opaque access token', async () => {
    const { app } = makeEndpointApp({ accessTokenFormat: 'opaque' });
    const pair = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.refresh_token }));
    expectApiRejects(await callApi(app, pair.access_token), UNKNOWN_OPAQUE);
  });
});

describe('RFC 7009 §3 revoked JWTs and resources that do not check the store', () => {
  it('requireToken() without checkRevocation still accepts a revoked JWT until it expires; opaque tokens die at once', async () => {
    const { app, oauth } = makeEndpointApp();
    app.get('/plain', oauth.requireToken(), (req, res) => {
      res.json({ clientId: req.oauth?.clientId });
    });
    const jwtPair = await passwordGrant(app);
    const opaquePair = await passwordGrant(app, OPAQUE_CLIENT);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: jwtPair.access_token }));
    expectRevocationOk(await revoke(app, OPAQUE_CLIENT, { token: opaquePair.access_token }));

    const plain = (token: string) => request(app).get('/plain').set('Authorization', `Bearer ${token}`);
    const stillValid = await plain(jwtPair.access_token);
    expect({ status: stillValid.status, body: stillValid.body }).toEqual({
      status: 200,
      body: { clientId: CONFIDENTIAL.id },
    });
    expectApiRejects(await plain(opaquePair.access_token), UNKNOWN_OPAQUE);
    expectApiRejects(await callApi(app, jwtPair.access_token), REVOKED_JWT);
  });
});

describe('RFC 7009 §2.1 token_type_hint is honoured but not trusted', () => {
  it.each([
    ['a refresh token hinted as access_token', 'refresh_token', 'access_token'],
    ['an access token hinted as refresh_token', 'access_token', 'refresh_token'],
    ['a refresh token with an unknown hint', 'refresh_token', 'id_token'],
    ['an access token with an unknown hint', 'access_token', 'not-a-token-type'],
  ] as const)('finds and revokes %s', async (_name, which, hint) => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair[which], token_type_hint: hint }));
    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeUndefined();
    expect(await stores.tokens.findRefreshToken(hashToken(pair.refresh_token))).toBeUndefined();
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
    expectOAuthError(await refresh(app, pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });
});

describe('RFC 7009 §2.1 a client revokes only its own tokens', () => {
  it.each(['access_token', 'refresh_token'] as const)(
    "refuses another client's %s with 400 unauthorized_client, and the token keeps working",
    async (which) => {
      const { app, stores } = makeEndpointApp();
      const pair = await passwordGrant(app, BASIC_CLIENT);
      const res = await revoke(app, POSTING_CLIENT, { token: pair[which] });
      expectOAuthError(res, 400, 'unauthorized_client', 'The token was not issued to this client');
      expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeDefined();
      expectApiAccepts(await callApi(app, pair.access_token), { clientId: CONFIDENTIAL.id, userId: ALICE.id });
      expectTokenResponse(await refresh(app, pair.refresh_token), {
        expires_in: 3600,
        scope: 'read write',
        refresh_token: true,
      });
    },
  );

  it("refuses a public client that presents a confidential client's token", async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, BASIC_CLIENT);
    expectOAuthError(
      await revoke(app, PUBLIC, { token: pair.refresh_token }),
      400,
      'unauthorized_client',
      'The token was not issued to this client',
    );
    expectTokenResponse(await refresh(app, pair.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    });
  });

  it('lets a public client (none: client_id in the body) revoke its own tokens', async () => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app, PUBLIC, 'read');
    expectApiAccepts(await callApi(app, pair.access_token), { clientId: PUBLIC.id, userId: ALICE.id });
    const res = await request(app)
      .post('/oauth2/revoke')
      .type('form')
      .send({ client_id: PUBLIC.id, token: pair.refresh_token });
    expectRevocationOk(res);
    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeUndefined();
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
    expectOAuthError(await refresh(app, pair.refresh_token, PUBLIC), 400, 'invalid_grant', 'Invalid refresh token');
  });
});

describe('RFC 7009 §2.1 revoking tokens of the authorization code flow', () => {
  async function codeFlowTokens() {
    const { app, oauth, stores } = makeBrowserApp();
    mountApi(app, oauth);
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest({ scope: 'read write' }));
    const login = await browser.post('/oauth2/login', {
      ...formFields(page.text),
      username: 'alice',
      password: 'alice-password',
    });
    const consent = await browser.follow(login);
    const decided = await browser.post('/oauth2/authorize/decision', {
      ...formFields(consent.text),
      decision: 'allow',
    });
    expect(decided.status).toBe(303);
    const code = redirectParams(decided).params.code as string;
    const exchange = () =>
      request(app)
        .post('/oauth2/token')
        .set('Authorization', basic(WEB.id, WEB.secret))
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });
    const pair = expectTokenResponse(await exchange(), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    }) as {
      access_token: string;
      refresh_token: string;
    };
    const refreshAsWeb = (refreshToken: string) =>
      request(app)
        .post('/oauth2/token')
        .set('Authorization', basic(WEB.id, WEB.secret))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return { app, stores, code, pair, exchange, refreshAsWeb };
  }

  it("revoking the refresh token kills the code's whole family", async () => {
    const { app, stores, code, pair, exchange, refreshAsWeb } = await codeFlowTokens();
    expectApiAccepts(await callApi(app, pair.access_token), { clientId: WEB.id, userId: 'user-alice' });
    const familyId = (await stores.tokens.findAuthorizationCode(hashToken(code)))?.familyId;
    expect(familyId).toEqual(expect.any(String));

    expectRevocationOk(await revoke(app, WEB, { token: pair.refresh_token }));

    expectOAuthError(await refreshAsWeb(pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeUndefined();
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
    // The code is a member of the family too: gone, so replaying it gets nothing.
    expect(await stores.tokens.findAuthorizationCode(hashToken(code))).toBeUndefined();
    expectOAuthError(await exchange(), 400, 'invalid_grant', 'Invalid authorization code');
  });

  it('revoking the access token kills the refresh token issued from the code', async () => {
    const { app, pair, refreshAsWeb } = await codeFlowTokens();
    expectRevocationOk(await revoke(app, WEB, { token: pair.access_token }));
    expectApiRejects(await callApi(app, pair.access_token), REVOKED_JWT);
    expectOAuthError(await refreshAsWeb(pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });
});

describe('RFC 7009 §2.2 revocation is idempotent and not fooled by forgeries', () => {
  it('answers 200 every time the same token is revoked', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.refresh_token }));
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.refresh_token }));
    // The family's other member is now unknown too, and also answered 200.
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.access_token }));
    expectOAuthError(await refresh(app, pair.refresh_token), 400, 'invalid_grant', 'Invalid refresh token');
  });

  it('treats a forged JWT that copies a real jti as unknown: 200, and the real token is untouched', async () => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app);
    const forged = forgeJwt(pair.access_token);
    expect(forged).not.toBe(pair.access_token);
    expect(decodeJwt(forged)).toEqual(decodeJwt(pair.access_token));

    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: forged }));
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: forged, token_type_hint: 'access_token' }));

    expect(await stores.tokens.findAccessToken(jti(pair.access_token))).toBeDefined();
    expectApiAccepts(await callApi(app, pair.access_token), { clientId: CONFIDENTIAL.id, userId: ALICE.id });
    expectApiRejects(await callApi(app, forged), 'The access token signature is invalid');
    expectTokenResponse(await refresh(app, pair.refresh_token), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    });
  });

  it("does not let a forged JWT carrying another client's jti reveal or revoke that client's token", async () => {
    const { app } = makeEndpointApp();
    const victim = await passwordGrant(app, BASIC_CLIENT);
    // If a forgery were looked up by its jti, this would be unauthorized_client (an oracle) or a revocation.
    expectRevocationOk(await revoke(app, POSTING_CLIENT, { token: forgeJwt(victim.access_token) }));
    expectApiAccepts(await callApi(app, victim.access_token), { clientId: CONFIDENTIAL.id, userId: ALICE.id });
  });
});
