'use strict';
// Peer: @node-oauth/oauth2-server 5 through @node-oauth/express-oauth-server 4, the maintained
// Express wrapper of the node-oauth organisation (the older `express-oauth-server` 2.0.0 pins
// the unmaintained oauth2-server 3.0.0). The library leaves storage to a "model" the user
// writes; this one keeps everything in Maps, like a small app would with an in-memory store.
//
// Variants: opaque is the library's native format (random 256-bit hex, stored by saveToken,
// found by getAccessToken). hs256/es256 give JWT access tokens through the model's
// generateAccessToken hook (jsonwebtoken, keys imported once as KeyObjects), checked
// statelessly in getAccessToken: the usual way to do JWTs with this library.
const { randomBytes } = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const ExpressOAuthServer = require('@node-oauth/express-oauth-server');
const { Request, Response } = require('@node-oauth/oauth2-server');
const f = require('../lib/fixtures');
const p = require('../peers/common');

const TOKEN_PATH = '/oauth/token';
const PROTECTED_PATH = '/api/resource';

const { port, variant } = f.benchEnv();
const issuer = `http://127.0.0.1:${port}`;
const jwtKeys = jwtKeysFor(variant);

const client = {
  id: f.CLIENT_ID,
  grants: ['client_credentials', 'authorization_code', 'refresh_token', 'password'],
  redirectUris: [f.REDIRECT_URI],
  accessTokenLifetime: f.ACCESS_TOKEN_LIFETIME,
  refreshTokenLifetime: p.REFRESH_TOKEN_LIFETIME,
};
const alice = { id: p.USER_ID, username: f.USERNAME };

const accessTokens = new Map(); // opaque variant only: JWTs are not stored
const refreshTokens = new Map();
const codes = new Map();

/** The model: what the library calls for each grant (https://node-oauthoauth2-server.readthedocs.io/en/master/model/spec.html). */
const model = {
  async getClient(clientId, clientSecret) {
    if (clientId !== client.id) return null;
    // The authorize handler looks the client up with clientSecret null (no secret is sent there).
    if (clientSecret != null && !p.clientSecretMatches(clientSecret)) return null;
    return client;
  },
  async getUser(username, password) {
    return (await p.verifyUserPassword(username, password)) ? alice : false;
  },
  async getUserFromClient(c) {
    return { id: c.id };
  },
  async validateScope(_user, _client, scope) {
    if (scope === undefined) return [f.SCOPE];
    return scope.every((s) => s === f.SCOPE) ? scope : false;
  },
  async verifyScope(token, scope) {
    return Array.isArray(token.scope) && scope.every((s) => token.scope.includes(s));
  },
  async saveToken(token, c, user) {
    const record = { ...token, client: c, user };
    if (!jwtKeys) accessTokens.set(token.accessToken, record);
    if (token.refreshToken) refreshTokens.set(token.refreshToken, record);
    return record;
  },
  async getAccessToken(accessToken) {
    if (!jwtKeys) return accessTokens.get(accessToken) ?? null;
    let claims;
    try {
      claims = jwt.verify(accessToken, jwtKeys.verifyKey, { algorithms: [jwtKeys.alg], issuer, audience: issuer });
    } catch {
      return null;
    }
    return {
      accessToken,
      accessTokenExpiresAt: new Date(claims.exp * 1000),
      scope: typeof claims.scope === 'string' ? claims.scope.split(' ') : undefined,
      client: { id: claims.client_id },
      user: { id: claims.sub },
    };
  },
  async getRefreshToken(refreshToken) {
    return refreshTokens.get(refreshToken) ?? null;
  },
  async revokeToken(token) {
    // Map#delete is the single-use consume: only the first of two parallel redemptions gets true.
    return refreshTokens.delete(token.refreshToken);
  },
  async saveAuthorizationCode(code, c, user) {
    const record = { ...code, client: c, user };
    codes.set(code.authorizationCode, record);
    return record;
  },
  async getAuthorizationCode(code) {
    return codes.get(code) ?? null;
  },
  async revokeAuthorizationCode(code) {
    return codes.delete(code.authorizationCode);
  },
};
if (jwtKeys) {
  model.generateAccessToken = async (c, user, scope) =>
    jwt.sign(
      {
        sub: String(user.id),
        client_id: c.id,
        scope: Array.isArray(scope) ? scope.join(' ') : undefined,
        jti: randomBytes(16).toString('base64url'),
      },
      jwtKeys.signKey,
      {
        algorithm: jwtKeys.alg,
        expiresIn: f.ACCESS_TOKEN_LIFETIME,
        issuer,
        audience: issuer,
        header: { typ: 'at+jwt', ...(jwtKeys.kid ? { kid: jwtKeys.kid } : {}) },
      },
    );
}

const oauth = new ExpressOAuthServer({
  model,
  accessTokenLifetime: f.ACCESS_TOKEN_LIFETIME,
  refreshTokenLifetime: p.REFRESH_TOKEN_LIFETIME,
  authorizationCodeLifetime: f.CODE_LIFETIME,
  alwaysIssueNewRefreshToken: true, // rotation (the default, stated)
});

const app = express();
app.disable('x-powered-by');
app.post(TOKEN_PATH, express.urlencoded({ extended: false }), oauth.token());
app.get(
  PROTECTED_PATH,
  oauth.authenticate({ scope: f.SCOPE, addAcceptedScopesHeader: false, addAuthorizedScopesHeader: false }),
  (_req, res) => {
    res.json({ ok: true, client_id: res.locals.oauth.token.client.id });
  },
);

// Fixtures: everything goes through the library's own handlers, in process, so codes and
// tokens are exactly what the timed requests will redeem.
const basic = `Basic ${Buffer.from(`${f.CLIENT_ID}:${f.CLIENT_SECRET}`).toString('base64')}`;

/** One token request through the library's token handler (form body, Basic auth). */
async function tokenRequest(body) {
  const encoded = new URLSearchParams(body).toString();
  const request = new Request({
    method: 'POST',
    query: {},
    body,
    headers: {
      authorization: basic,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(encoded)),
    },
  });
  const response = new Response();
  await oauth.server.token(request, response);
  return response.body;
}

/** One code through the library's authorize handler (alice already logged in and consenting), PKCE S256. */
async function mintCode() {
  const pkce = f.pkcePair();
  const request = new Request({
    method: 'GET',
    headers: {},
    body: {},
    query: p.authorizeQuery(pkce.challenge),
  });
  const code = await oauth.server.authorize(request, new Response(), { authenticateHandler: { handle: () => alice } });
  return { code: code.authorizationCode, code_verifier: pkce.verifier };
}

p.mountInProcessFixtures(app, { tokenRequest, mintCode });

const server = app.listen(port, '127.0.0.1', () => {
  f.ready({
    name: 'peer-node-oauth',
    library: p.libraryVersion('@node-oauth/oauth2-server'),
    variant,
    tokenPath: TOKEN_PATH,
    protectedPath: PROTECTED_PATH,
    supports: { clientCredentials: true, refresh: true, code: true, password: true, bearer: true },
    notes: {
      setup: `${p.libraryVersion('@node-oauth/express-oauth-server')}; in-memory model (Maps); ${
        jwtKeys
          ? `JWT via model.generateAccessToken (jsonwebtoken ${jwtKeys.alg}), verified in getAccessToken`
          : 'opaque tokens (native)'
      }`,
    },
  });
});
f.closeOnSignal(server);

/** Signing and verification keys of a JWT variant (undefined for opaque). */
function jwtKeysFor(v) {
  if (v === 'hs256') return { alg: 'HS256', signKey: p.HS256_KEY, verifyKey: p.HS256_KEY };
  if (v === 'es256') {
    const { privateKey, publicKey, privateJwk } = f.es256KeyPair();
    return { alg: 'ES256', signKey: privateKey, verifyKey: publicKey, kid: privateJwk.kid };
  }
  return undefined;
}
