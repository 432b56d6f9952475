'use strict';
// Peer: oidc-provider 9 (panva), a certified OpenID Provider built on Koa, mounted in Express 5
// with provider.callback() as its docs show. The token endpoint is entirely oidc-provider's
// (its own body parsing, client authentication, grants, models); storage is a Map adapter
// (bench/peers/oidc-map-adapter.js: the built-in one is a 1000-entry LRU for development).
//
// Tokens: access tokens are issued for one resource server (features.resourceIndicators,
// defaulted so the contract's requests need no `resource` parameter), in the variant's format:
//   opaque  the native format: a random id, the token stored through the adapter;
//   es256   accessTokenFormat 'jwt', signed with the provider's jwks (a P-256 key made at start);
//   hs256   accessTokenFormat 'jwt' with the resource server's jwt.sign { alg: 'HS256', key },
//           which oidc-provider supports for JWT access tokens (a symmetric key shared with the
//           resource server) though asymmetric keys are its usual setup.
// oidc-provider has no resource-server middleware: the protected route is what an in-process
// resource server writes (opaque: its AccessToken/ClientCredentials models' find(), which also
// checks expiry; JWT: verify key, issuer and audience, with jsonwebtoken like the other peers).
// No password grant: oidc-provider does not implement it (RFC 9700 §2.4: must not be used).

// oidc-provider prints notices with console.info (stdout): keep stdout for the READY line.
console.info = (...args) => console.error(...args);

const { randomBytes } = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const { Provider, errors } = require('oidc-provider');
const f = require('../lib/fixtures');
const p = require('../peers/common');
const { MapAdapter } = require('../peers/oidc-map-adapter');

const MOUNT = '/oidc';
const TOKEN_PATH = `${MOUNT}/token`;
const PROTECTED_PATH = '/api/resource';

const { port, variant } = f.benchEnv();
const issuer = `http://127.0.0.1:${port}${MOUNT}`;
/** The resource server (API) the access tokens are for: their audience. */
const RESOURCE = `http://127.0.0.1:${port}/api`;
const es256 = f.es256KeyPair();

const resourceServer = {
  scope: f.SCOPE,
  audience: RESOURCE,
  accessTokenTTL: f.ACCESS_TOKEN_LIFETIME,
  accessTokenFormat: variant === 'opaque' ? 'opaque' : 'jwt',
  ...(variant === 'hs256' && { jwt: { sign: { alg: 'HS256', key: p.HS256_KEY } } }),
  ...(variant === 'es256' && { jwt: { sign: { alg: 'ES256' } } }),
};
/** How the protected route checks a JWT access token (undefined for opaque). */
const jwtCheck =
  variant === 'opaque'
    ? undefined
    : {
        key: variant === 'hs256' ? p.HS256_KEY : es256.publicKey,
        options: { algorithms: [variant.toUpperCase()], issuer, audience: RESOURCE },
      };

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: f.CLIENT_ID,
      client_secret: f.CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [f.REDIRECT_URI],
    },
  ],
  jwks: { keys: [es256.privateJwk] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' }, // the only key is P-256 (no ID tokens are issued here)
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: async (_ctx, id) =>
    id === p.USER_ID ? { accountId: id, claims: async () => ({ sub: id }) } : undefined,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new errors.InvalidTarget();
        return resourceServer;
      },
    },
  },
  ttl: {
    AccessToken: f.ACCESS_TOKEN_LIFETIME,
    ClientCredentials: f.ACCESS_TOKEN_LIFETIME,
    AuthorizationCode: f.CODE_LIFETIME,
    RefreshToken: p.REFRESH_TOKEN_LIFETIME,
    Grant: p.REFRESH_TOKEN_LIFETIME,
    IdToken: f.ACCESS_TOKEN_LIFETIME,
    Interaction: 3600,
    Session: p.REFRESH_TOKEN_LIFETIME,
  },
  rotateRefreshToken: true, // rotate on every use (its default rotates only public clients' tokens or late in life)
});

const app = express();
app.disable('x-powered-by');
app.get(PROTECTED_PATH, async (req, res, next) => {
  try {
    const token = p.bearerToken(req);
    if (!token) return p.sendBearerError(res, 401, 'invalid_request', 'no bearer token');
    let claims;
    if (jwtCheck) {
      try {
        const c = jwt.verify(token, jwtCheck.key, jwtCheck.options);
        claims = { clientId: c.client_id, scope: c.scope };
      } catch {
        claims = undefined;
      }
    } else {
      const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
      const aud = found && (Array.isArray(found.aud) ? found.aud : [found.aud]);
      claims = found && aud.includes(RESOURCE) ? { clientId: found.clientId, scope: found.scope } : undefined;
    }
    if (!claims) return p.sendBearerError(res, 401, 'invalid_token', 'invalid or expired access token');
    if (!p.hasScope(claims.scope)) return p.sendBearerError(res, 403, 'insufficient_scope', `needs scope ${f.SCOPE}`);
    res.json({ ok: true, client_id: claims.clientId });
  } catch (err) {
    next(err);
  }
});

// Fixtures. The access token comes from a real client_credentials request to the provider's
// own token endpoint; codes and refresh tokens are made with its models (Grant,
// AuthorizationCode, RefreshToken) and saved through the adapter, as its authorization and
// token endpoints do, one Grant each so that a replay only revokes its own family.
app.get('/__bench/access-token', async (req, res) => {
  try {
    const reply = await f.clientCredentialsRequest(port, TOKEN_PATH);
    res.status(reply.status).json(reply.json);
  } catch (err) {
    p.fixtureFailed(req, res, err);
  }
});

/** A consented Grant for alice: offline_access (so refresh tokens are issued) and the API's scope. */
async function saveGrant() {
  const grant = new provider.Grant({ accountId: p.USER_ID, clientId: f.CLIENT_ID });
  grant.addOIDCScope('offline_access');
  grant.addResourceScope(RESOURCE, f.SCOPE);
  return grant.save();
}
const GRANTED_SCOPE = `offline_access ${f.SCOPE}`;

p.mountBatchFixtures(app, {
  async mintCode() {
    const client = await provider.Client.find(f.CLIENT_ID);
    const pkce = f.pkcePair();
    const code = new provider.AuthorizationCode({
      accountId: p.USER_ID,
      client,
      grantId: await saveGrant(),
      redirectUri: f.REDIRECT_URI,
      scope: GRANTED_SCOPE,
      resource: RESOURCE,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
    });
    return { code: await code.save(), code_verifier: pkce.verifier };
  },
  async mintRefreshToken() {
    const client = await provider.Client.find(f.CLIENT_ID);
    const refreshToken = new provider.RefreshToken({
      accountId: p.USER_ID,
      client,
      grantId: await saveGrant(),
      gty: 'authorization_code',
      scope: GRANTED_SCOPE,
      resource: RESOURCE,
      rotations: 0,
    });
    return refreshToken.save();
  },
});

app.use(MOUNT, provider.callback());

const server = app.listen(port, '127.0.0.1', () => {
  f.ready({
    name: 'peer-oidc-provider',
    library: p.libraryVersion('oidc-provider'),
    variant,
    tokenPath: TOKEN_PATH,
    protectedPath: PROTECTED_PATH,
    supports: { clientCredentials: true, refresh: true, code: true, password: false, bearer: true },
    notes: {
      password: 'oidc-provider does not implement the resource owner password credentials grant',
      setup: `mounted with provider.callback(); Map adapter; resource indicator ${resourceServer.accessTokenFormat} access tokens${
        jwtCheck ? ` (${variant.toUpperCase()})` : ''
      }; bearer checked in-process (no RS middleware in the library)`,
    },
  });
});
f.closeOnSignal(server);
