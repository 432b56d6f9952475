/**
 * RFC 7662 token introspection at `POST /oauth2/introspect`: only confidential clients ask;
 * an active token is described with the RFC 7662 §2.2 members (the same values the JWT
 * carries); anything a client may not see or use is exactly `{"active": false}`.
 */
import request from 'supertest';
import { hashToken } from '../../lib';
import { expectOAuthError } from '../helpers/assertions';
import { ALICE, CONFIDENTIAL, ISSUER, decodeJwt } from '../helpers/fixtures';
import {
  BASIC_CLIENT,
  OPAQUE_CLIENT,
  POSTING_CLIENT,
  PUBLIC,
  RESOURCE_SERVER,
  clientCredentials,
  expectIntrospection,
  expectMethodNotAllowed,
  expectRevocationOk,
  forgeJwt,
  introspect,
  makeEndpointApp,
  passwordGrant,
  refresh,
  revoke,
} from './endpoint-helpers';

const INACTIVE = { active: false };

/** The §2.2 description of a JWT access token, taken from its own claims. */
function describeJwt(accessToken: string) {
  const claims = decodeJwt(accessToken).payload;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    token_type: 'Bearer',
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
  };
}

/** Moves the clock `seconds` ahead for the duration of `run`. */
async function later<T>(seconds: number, run: () => Promise<T>): Promise<T> {
  const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + seconds * 1000);
  try {
    return await run();
  } finally {
    clock.mockRestore();
  }
}

describe('RFC 7662 §2.1 only authenticated confidential clients may introspect', () => {
  it('refuses a request without client credentials: 401 invalid_client with a Basic challenge', async () => {
    const { app } = makeEndpointApp();
    const res = await request(app).post('/oauth2/introspect').type('form').send({ token: 'anything' });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication is required');
  });

  it.each([
    ['a wrong Basic secret', { ...BASIC_CLIENT, secret: 'wrong' }],
    ['a wrong client_secret_post secret', { ...POSTING_CLIENT, secret: 'wrong' }],
    ['an unknown client', { id: 'nobody', secret: 'wrong' }],
  ])('refuses %s with 401 invalid_client', async (_name, client) => {
    const { app } = makeEndpointApp();
    const token = await clientCredentials(app);
    expectOAuthError(await introspect(app, client, { token }), 401, 'invalid_client', 'Client authentication failed');
  });

  it('refuses a public client (none: client_id only), even for its own token', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, PUBLIC, 'read');
    const res = await introspect(app, PUBLIC, { token: pair.access_token });
    expectOAuthError(res, 401, 'invalid_client', 'Public clients cannot use the introspection endpoint');
  });

  it('requires the token parameter: 400 invalid_request', async () => {
    const { app } = makeEndpointApp();
    expectOAuthError(
      await introspect(app, BASIC_CLIENT, {}),
      400,
      'invalid_request',
      'Missing required parameter: token',
    );
  });

  it.each(['GET', 'PUT'] as const)('answers %s with 405 and Allow: POST', async (method) => {
    const { app } = makeEndpointApp();
    const res = await (method === 'GET'
      ? request(app).get('/oauth2/introspect')
      : request(app).put('/oauth2/introspect'));
    expectMethodNotAllowed(res, 'The introspection endpoint accepts POST only');
  });
});

describe('RFC 7662 §2.2 an active token is described', () => {
  it('a JWT access token: exactly the members its claims say, with token_type Bearer', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, BASIC_CLIENT, 'read write');
    const res = await introspect(app, BASIC_CLIENT, { token: pair.access_token });
    expectIntrospection(res, describeJwt(pair.access_token));
    expect(res.body).toMatchObject({
      scope: 'read write',
      client_id: CONFIDENTIAL.id,
      sub: ALICE.id,
      aud: ISSUER,
      iss: ISSUER,
      exp: (res.body.iat as number) + 3600,
    });
  });

  it('a client authenticating with client_secret_post sees its own token', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, POSTING_CLIENT, 'read');
    expectIntrospection(
      await introspect(app, POSTING_CLIENT, { token: pair.access_token }),
      describeJwt(pair.access_token),
    );
  });

  it('a client_credentials token: sub is the client itself (RFC 9068 §2.2)', async () => {
    const { app } = makeEndpointApp();
    const token = await clientCredentials(app, BASIC_CLIENT, 'read');
    const res = await introspect(app, BASIC_CLIENT, { token });
    expectIntrospection(res, describeJwt(token));
    expect(res.body.sub).toBe(CONFIDENTIAL.id);
    expect(res.body.client_id).toBe(CONFIDENTIAL.id);
  });

  it('a token without scope: no scope member at all', async () => {
    const { app } = makeEndpointApp();
    const token = await clientCredentials(app, RESOURCE_SERVER);
    expect(decodeJwt(token).payload).not.toHaveProperty('scope');
    const res = await introspect(app, RESOURCE_SERVER, { token });
    expectIntrospection(res, describeJwt(token));
    expect(res.body).not.toHaveProperty('scope');
    expect(res.body.sub).toBe(RESOURCE_SERVER.id);
  });

  it.each([
    ['server option accessTokenFormat: opaque', { accessTokenFormat: 'opaque' as const }, BASIC_CLIENT],
    ['a client with accessTokenFormat: opaque', {}, OPAQUE_CLIENT],
  ])('an opaque access token (%s): the same members without jti', async (_name, overrides, client) => {
    const { app, stores } = makeEndpointApp(overrides);
    const pair = await passwordGrant(app, client, 'read write');
    const record = await stores.tokens.findAccessToken(hashToken(pair.access_token));
    const iat = Math.floor((record?.createdAt.getTime() ?? 0) / 1000);
    expectIntrospection(await introspect(app, client, { token: pair.access_token }), {
      active: true,
      scope: 'read write',
      client_id: client.id,
      token_type: 'Bearer',
      exp: iat + 3600,
      iat,
      sub: ALICE.id,
      aud: ISSUER,
      iss: ISSUER,
    });
  });

  it('an opaque access token carries the configured audience list', async () => {
    const audience = ['https://api.example.test', 'https://other.example.test'];
    const { app } = makeEndpointApp({ accessTokenFormat: 'opaque', audience });
    const token = await clientCredentials(app, BASIC_CLIENT);
    const res = await introspect(app, BASIC_CLIENT, { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, aud: audience, sub: CONFIDENTIAL.id });
  });

  it('a refresh token: no token_type, sub is the user, exp is the refresh lifetime', async () => {
    const { app, stores } = makeEndpointApp();
    const pair = await passwordGrant(app, BASIC_CLIENT, 'read write');
    const record = await stores.tokens.findRefreshToken(hashToken(pair.refresh_token));
    const iat = Math.floor((record?.createdAt.getTime() ?? 0) / 1000);
    const exp = Math.floor((record?.expiresAt.getTime() ?? 0) / 1000);
    expect(exp - iat).toBeGreaterThanOrEqual(2_592_000);
    expect(exp - iat).toBeLessThanOrEqual(2_592_001);
    const expected = {
      active: true,
      scope: 'read write',
      client_id: CONFIDENTIAL.id,
      exp,
      iat,
      sub: ALICE.id,
      aud: ISSUER,
      iss: ISSUER,
    };
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: pair.refresh_token }), expected);
    expectIntrospection(
      await introspect(app, BASIC_CLIENT, { token: pair.refresh_token, token_type_hint: 'refresh_token' }),
      expected,
    );
  });

  it('token_type_hint does not limit the search: a wrong or unknown hint still finds the token', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectIntrospection(
      await introspect(app, BASIC_CLIENT, { token: pair.access_token, token_type_hint: 'refresh_token' }),
      describeJwt(pair.access_token),
    );
    const refreshed = await introspect(app, BASIC_CLIENT, {
      token: pair.refresh_token,
      token_type_hint: 'access_token',
    });
    expect(refreshed.body).toMatchObject({ active: true, sub: ALICE.id });
    expect(refreshed.body.token_type).toBeUndefined();
    expectIntrospection(
      await introspect(app, BASIC_CLIENT, { token: pair.access_token, token_type_hint: 'id_token' }),
      describeJwt(pair.access_token),
    );
  });

  it('a client with canIntrospect (a resource server) sees the tokens of other clients', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, BASIC_CLIENT, 'read');
    expectIntrospection(
      await introspect(app, RESOURCE_SERVER, { token: pair.access_token }),
      describeJwt(pair.access_token),
    );
    const res = await introspect(app, RESOURCE_SERVER, { token: pair.refresh_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, client_id: CONFIDENTIAL.id, sub: ALICE.id, scope: 'read' });
  });
});

describe('RFC 7662 §2.2 a token the client may not use or see is exactly {"active": false}', () => {
  it('an unknown token', async () => {
    const { app } = makeEndpointApp();
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: 'no-such-token' }), INACTIVE);
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: 'a.b.c' }), INACTIVE);
  });

  it('an expired JWT access token (the record still exists)', async () => {
    const { app, stores } = makeEndpointApp();
    const token = await clientCredentials(app);
    const res = await later(3601, () => introspect(app, BASIC_CLIENT, { token }));
    expectIntrospection(res, INACTIVE);
    expect(await stores.tokens.findAccessToken(decodeJwt(token).payload.jti as string)).toBeDefined();
  });

  it('an expired opaque access token', async () => {
    const { app } = makeEndpointApp({ accessTokenFormat: 'opaque' });
    const token = await clientCredentials(app);
    expectIntrospection(
      await later(3500, () => introspect(app, BASIC_CLIENT, { token })),
      expect.objectContaining({ active: true }),
    );
    expectIntrospection(await later(3601, () => introspect(app, BASIC_CLIENT, { token })), INACTIVE);
  });

  it('an expired refresh token', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectIntrospection(
      await later(2_592_001, () => introspect(app, BASIC_CLIENT, { token: pair.refresh_token })),
      INACTIVE,
    );
  });

  it('a revoked token, and every member of its family (after /revoke)', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.refresh_token }));
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: pair.refresh_token }), INACTIVE);
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: pair.access_token }), INACTIVE);
    expectIntrospection(await introspect(app, RESOURCE_SERVER, { token: pair.access_token }), INACTIVE);
  });

  it('a revoked opaque access token', async () => {
    const { app } = makeEndpointApp({ accessTokenFormat: 'opaque' });
    const pair = await passwordGrant(app);
    expectRevocationOk(await revoke(app, BASIC_CLIENT, { token: pair.access_token }));
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: pair.access_token }), INACTIVE);
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: pair.refresh_token }), INACTIVE);
  });

  it('a consumed refresh token (after rotation), while its successor is active', async () => {
    const { app } = makeEndpointApp();
    const first = await passwordGrant(app);
    const rotated = await refresh(app, first.refresh_token);
    expect(rotated.status).toBe(200);
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: first.refresh_token }), INACTIVE);
    expectIntrospection(await introspect(app, RESOURCE_SERVER, { token: first.refresh_token }), INACTIVE);
    const successor = await introspect(app, BASIC_CLIENT, { token: rotated.body.refresh_token });
    expect(successor.body).toMatchObject({ active: true, client_id: CONFIDENTIAL.id, sub: ALICE.id });
  });

  it('a token of another client, for a client without canIntrospect', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app, BASIC_CLIENT);
    expectIntrospection(await introspect(app, POSTING_CLIENT, { token: pair.access_token }), INACTIVE);
    expectIntrospection(await introspect(app, POSTING_CLIENT, { token: pair.refresh_token }), INACTIVE);
    const ccToken = await clientCredentials(app, BASIC_CLIENT);
    expectIntrospection(await introspect(app, OPAQUE_CLIENT, { token: ccToken }), INACTIVE);
  });

  it('a forged JWT that copies the claims (and jti) of a real token', async () => {
    const { app } = makeEndpointApp();
    const pair = await passwordGrant(app);
    const forged = forgeJwt(pair.access_token);
    expectIntrospection(await introspect(app, BASIC_CLIENT, { token: forged }), INACTIVE);
    expectIntrospection(
      await introspect(app, RESOURCE_SERVER, { token: forged, token_type_hint: 'access_token' }),
      INACTIVE,
    );
    expectIntrospection(
      await introspect(app, BASIC_CLIENT, { token: pair.access_token }),
      describeJwt(pair.access_token),
    );
  });
});
