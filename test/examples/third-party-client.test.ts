/**
 * A real third-party OAuth client library, oauth4webapi, gets tokens from the quickstart
 * app over HTTP: client_credentials (client_secret_basic), password (confidential and public
 * client) and refresh_token with rotation. oauth4webapi checks the responses against RFC 6749
 * itself (JSON, token_type, expires_in, scope types) and turns error responses into
 * `ResponseBodyError`s.
 *
 * oauth4webapi ships ES modules only; jest.config.js has swc compile it to CommonJS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { createQuickstartApp } from '../../examples/quickstart/app';

let server: Server;
let closeStores: () => void;
let as: oauth.AuthorizationServer;

/** The server is plain http on loopback: oauth4webapi refuses that unless told otherwise. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

beforeAll(async () => {
  // Like app.listen(0), but the app is created once the port is known, so that the issuer
  // the tokens carry is the URL the client really talks to.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { app, oauth: provider, stores } = createQuickstartApp({ issuer });
  server.on('request', app);
  closeStores = () => stores.tokens.close();
  // No metadata endpoint yet (RFC 8414): the client is configured by hand.
  as = { issuer, token_endpoint: provider.endpoints.token };
});

afterAll(async () => {
  closeStores?.();
  server.closeAllConnections(); // fetch keeps connections alive
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

const service: oauth.Client = { client_id: 'demo-service' };
const serviceAuth = () => oauth.ClientSecretBasic('demo-service-secret-do-not-use-in-production');
const spa: oauth.Client = { client_id: 'demo-spa' };
const user = { username: 'demo', password: 'demo-password' };

async function passwordGrant(client: oauth.Client, auth: oauth.ClientAuth, scope?: string) {
  const params: Record<string, string> = { ...user };
  if (scope !== undefined) params.scope = scope;
  const response = await oauth.genericTokenEndpointRequest(as, client, auth, 'password', params, insecure);
  return oauth.processGenericTokenEndpointResponse(as, client, response);
}

async function refreshGrant(client: oauth.Client, auth: oauth.ClientAuth, refreshToken: string) {
  const response = await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, insecure);
  return oauth.processRefreshTokenResponse(as, client, response);
}

/** The rejection of `promise`, which must be an OAuth error response from the server. */
async function oauthError(promise: Promise<unknown>): Promise<oauth.ResponseBodyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(oauth.ResponseBodyError);
  return err as oauth.ResponseBodyError;
}

describe('oauth4webapi against the quickstart app', () => {
  it('client_credentials with ClientSecretBasic', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      service,
      serviceAuth(),
      { scope: 'read write' },
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, service, response);
    // oauth4webapi lowercases token_type ("Bearer" on the wire).
    expect(tokens).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'read write',
    });
  });

  it('password grant, confidential client (ClientSecretBasic)', async () => {
    const tokens = await passwordGrant(service, serviceAuth(), 'read write');
    expect(tokens).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'read write',
    });
  });

  it('password grant, public client (None: client_id in the body), default scope', async () => {
    const tokens = await passwordGrant(spa, oauth.None());
    expect(tokens).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'read',
    });
  });

  it('a wrong password is invalid_grant', async () => {
    const params = { username: 'demo', password: 'not-the-password' };
    const response = await oauth.genericTokenEndpointRequest(as, spa, oauth.None(), 'password', params, insecure);
    const err = await oauthError(oauth.processGenericTokenEndpointResponse(as, spa, response));
    expect(err.status).toBe(400);
    expect(err.error).toBe('invalid_grant');
  });

  it.each([
    ['confidential client', service, serviceAuth, 'read write'],
    ['public client', spa, () => oauth.None(), 'read'],
  ] as const)(
    'refresh_token rotation, %s: the old token then fails with invalid_grant',
    async (_name, client, auth, scope) => {
      const first = await passwordGrant(client, auth(), scope);
      const original = first.refresh_token as string;

      const second = await refreshGrant(client, auth(), original);
      expect(second).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 3600,
        scope,
      });
      expect(second.refresh_token).not.toBe(original);
      expect(second.access_token).not.toBe(first.access_token);

      // Replaying the rotated token is refused...
      const replay = await oauthError(refreshGrant(client, auth(), original));
      expect(replay.status).toBe(400);
      expect(replay.error).toBe('invalid_grant');

      // ...and revokes the whole grant: the token issued by the rotation is dead too (RFC 9700 §4.14).
      const revoked = await oauthError(refreshGrant(client, auth(), second.refresh_token as string));
      expect(revoked.status).toBe(400);
      expect(revoked.error).toBe('invalid_grant');
    },
  );
});
