/**
 * A real third-party OAuth client library, oauth4webapi, uses the quickstart app the way a
 * client configured only with the issuer would: discovers the endpoints from the RFC 8414
 * metadata, gets a token (client_credentials), introspects it (RFC 7662), revokes it
 * (RFC 7009) and sees it inactive; and a public client revokes its own refresh token.
 *
 * oauth4webapi ships ES modules only; jest.config.js has swc compile it to CommonJS.
 */
import * as oauth from 'oauth4webapi';
import { createQuickstartApp, DEMO } from '../../examples/quickstart/app';
import { decodeJwt } from '../helpers/fixtures';
import { listen } from './http-browser';

/** The server is plain http on loopback: oauth4webapi refuses that unless told otherwise. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let issuer: string;
let quickstart: ReturnType<typeof createQuickstartApp>;
let close: () => Promise<void>;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  // The app is built once the port is known, so that the issuer is the URL the client uses.
  ({ origin: issuer, close } = await listen((origin) => {
    quickstart = createQuickstartApp({ issuer: origin });
    return quickstart.app;
  }));
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure });
  as = await oauth.processDiscoveryResponse(new URL(issuer), response);
});

afterAll(async () => {
  quickstart?.stores.tokens.close();
  await close?.();
});

const service: oauth.Client = { client_id: DEMO.confidentialClient.id };
const serviceAuth = () => oauth.ClientSecretBasic(DEMO.confidentialClient.secret);
const spa: oauth.Client = { client_id: DEMO.publicClient.id };

async function introspect(token: string) {
  const response = await oauth.introspectionRequest(as, service, serviceAuth(), token, insecure);
  return oauth.processIntrospectionResponse(as, service, response);
}

describe('oauth4webapi: discovery, introspection and revocation against the quickstart app', () => {
  it('discovers the server from /.well-known/oauth-authorization-server (RFC 8414)', () => {
    // Whatever the quickstart signs with (HS256 or ES256), the client sees exactly what it serves.
    expect(as).toEqual(quickstart.oauth.metadata);
    expect(as).toMatchObject({
      issuer,
      token_endpoint: `${issuer}/oauth2/token`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      introspection_endpoint: `${issuer}/oauth2/introspect`,
    });
  });

  it('client_credentials token: introspected active, revoked, then introspected inactive', async () => {
    const grant = await oauth.clientCredentialsGrantRequest(as, service, serviceAuth(), { scope: 'read' }, insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, service, grant);
    const claims = decodeJwt(tokens.access_token).payload;

    expect(await introspect(tokens.access_token)).toEqual({
      active: true,
      scope: 'read',
      client_id: DEMO.confidentialClient.id,
      token_type: 'Bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: DEMO.confidentialClient.id,
      aud: issuer,
      iss: issuer,
      jti: claims.jti,
    });

    const revocation = await oauth.revocationRequest(as, service, serviceAuth(), tokens.access_token, insecure);
    await expect(oauth.processRevocationResponse(revocation)).resolves.toBeUndefined();

    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  it('a public client (None) revokes its own refresh token, which then fails to refresh', async () => {
    const params = { username: DEMO.user.username, password: DEMO.user.password };
    const grant = await oauth.genericTokenEndpointRequest(as, spa, oauth.None(), 'password', params, insecure);
    const tokens = await oauth.processGenericTokenEndpointResponse(as, spa, grant);
    const refreshToken = tokens.refresh_token as string;
    expect(await introspect(refreshToken)).toEqual({ active: false }); // not demo-service's token

    const revocation = await oauth.revocationRequest(as, spa, oauth.None(), refreshToken, {
      ...insecure,
      additionalParameters: { token_type_hint: 'refresh_token' },
    });
    await expect(oauth.processRevocationResponse(revocation)).resolves.toBeUndefined();

    const refreshed = await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), refreshToken, insecure);
    const err = await oauth.processRefreshTokenResponse(as, spa, refreshed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(err).toMatchObject({ status: 400, error: 'invalid_grant', error_description: 'Invalid refresh token' });
  });
});
