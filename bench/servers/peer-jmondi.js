'use strict';
// Peer: @jmondi/oauth2-server 4 (ts-oauth2-server, a port of the PHP League's server), used
// from CommonJS (it ships dist/*.cjs) with its Express adapter (@jmondi/oauth2-server/express).
// Storage is the five repositories the user writes (client, scope, token, auth code, user),
// here over Maps. Everything it signs (access tokens, and by default refresh tokens and
// authorization codes too) goes through one JwtInterface:
//   hs256   its JwtService with the 32-byte secret (as a KeyObject, see peers/common.js);
//   es256   JwtService cannot: it signs with jsonwebtoken's default algorithm (HS256) and has
//           no algorithm option, so this uses the documented extension point instead, a
//           JwtInterface of our own (JwtService subclass pinning ES256 to a P-256 key pair);
//   opaque  unsupported: 4.x access tokens are always JWTs signed by the JwtInterface.
// Bearer check as its "Protect Resources" guide shows: JwtInterface.verify, then the token
// repository's getByAccessToken(jti) for revocation and expiry, then the scope.
const { randomBytes } = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const {
  AuthorizationServer,
  DateInterval,
  JwtService,
  OAuthException,
  OAuthRequest,
} = require('@jmondi/oauth2-server');
const { handleExpressError, handleExpressResponse, requestFromExpress } = require('@jmondi/oauth2-server/express');
const f = require('../lib/fixtures');
const p = require('../peers/common');

const TOKEN_PATH = '/token';
const PROTECTED_PATH = '/api/resource';

const { port, variant } = f.benchEnv();
if (variant === 'opaque') {
  f.unsupported(
    '@jmondi/oauth2-server 4.x issues access tokens only as JWTs signed by its JwtService (no opaque format)',
  );
}
const issuer = `http://127.0.0.1:${port}`;

/** ES256 through the JwtInterface extension point (JwtService itself only does the key's default, HS256). */
class Es256JwtService extends JwtService {
  constructor({ privateKey, publicKey, privateJwk }) {
    super(privateKey);
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.kid = privateJwk.kid;
  }
  sign(payload) {
    return new Promise((resolve, reject) => {
      jwt.sign(payload, this.privateKey, { algorithm: 'ES256', keyid: this.kid }, (err, encoded) =>
        encoded ? resolve(encoded) : reject(err),
      );
    });
  }
  verify(token, options = {}) {
    return new Promise((resolve, reject) => {
      jwt.verify(token, this.publicKey, { ...options, algorithms: ['ES256'] }, (err, decoded) =>
        decoded ? resolve(decoded) : reject(err),
      );
    });
  }
}
const jwtService = variant === 'es256' ? new Es256JwtService(f.es256KeyPair()) : new JwtService(p.HS256_KEY);

const readScope = { name: f.SCOPE };
const client = {
  id: f.CLIENT_ID,
  name: 'Bench client',
  secret: 'sha256-digest-only', // non-empty marks it confidential; isClientValid checks the digest
  redirectUris: [f.REDIRECT_URI],
  allowedGrants: ['client_credentials', 'authorization_code', 'refresh_token', 'password'],
  scopes: [readScope],
};
const alice = { id: p.USER_ID, username: f.USERNAME };

const randomId = () => randomBytes(32).toString('base64url');

const clientRepository = {
  async getByIdentifier(clientId) {
    if (clientId !== client.id) throw OAuthException.invalidClient();
    return client;
  },
  async isClientValid(grantType, c, clientSecret) {
    return c.allowedGrants.includes(grantType) && p.clientSecretMatches(clientSecret);
  },
};

const scopeRepository = {
  async getAllByIdentifiers(names) {
    return names.includes(readScope.name) ? [readScope] : [];
  },
  async finalize(scopes, _grantType, c) {
    return scopes.filter((s) => c.scopes.some((allowed) => allowed.name === s.name));
  },
};

const accessTokens = new Map(); // jti -> token (every access token is persisted by the library)
const refreshTokens = new Map(); // refresh token id -> token
const tokenRepository = {
  async issueToken(c, scopes, user) {
    return {
      accessToken: randomId(),
      accessTokenExpiresAt: new Date(Date.now() + f.ACCESS_TOKEN_LIFETIME * 1000),
      client: c,
      user,
      scopes,
    };
  },
  async issueRefreshToken(token) {
    token.refreshToken = randomId();
    token.refreshTokenExpiresAt = new Date(Date.now() + p.REFRESH_TOKEN_LIFETIME * 1000);
    refreshTokens.set(token.refreshToken, token);
    return token;
  },
  async persist(token) {
    accessTokens.set(token.accessToken, token);
    if (token.refreshToken) refreshTokens.set(token.refreshToken, token);
  },
  async revoke(token) {
    // Flag-based, as in its example repository: the row stays, marked expired.
    token.accessTokenExpiresAt = new Date(0);
    token.refreshTokenExpiresAt = new Date(0);
  },
  async isRefreshTokenRevoked(token) {
    return !token.refreshTokenExpiresAt || token.refreshTokenExpiresAt.getTime() < Date.now();
  },
  async getByRefreshToken(refreshToken) {
    const token = refreshTokens.get(refreshToken);
    if (!token) throw OAuthException.invalidGrant();
    return token;
  },
  async getByAccessToken(accessToken) {
    const token = accessTokens.get(accessToken);
    if (!token) throw OAuthException.invalidGrant();
    return token;
  },
};

const codes = new Map();
const authCodeRepository = {
  issueAuthCode(c, user, scopes) {
    return { code: randomId(), client: c, user, scopes, expiresAt: new Date(Date.now() + f.CODE_LIFETIME * 1000) };
  },
  async persist(authCode) {
    codes.set(authCode.code, authCode);
  },
  async getByIdentifier(code) {
    const authCode = codes.get(code);
    if (!authCode) throw OAuthException.invalidGrant();
    return authCode;
  },
  async isRevoked(code) {
    return !codes.has(code);
  },
  async revoke(code) {
    codes.delete(code);
  },
};

const userRepository = {
  // The auth code grant looks the user up by id without a password; the password grant by
  // username with one (bcryptjs cost 10).
  async getUserByCredentials(identifier, password) {
    if (password === undefined) return identifier === alice.id ? alice : undefined;
    return (await p.verifyUserPassword(identifier, password)) ? alice : undefined;
  },
};

const authorizationServer = new AuthorizationServer(clientRepository, tokenRepository, scopeRepository, jwtService, {
  issuer,
});
const ttl = new DateInterval(`${f.ACCESS_TOKEN_LIFETIME}s`);
authorizationServer.enableGrantTypes(
  ['client_credentials', ttl],
  ['refresh_token', ttl],
  [{ grant: 'authorization_code', authCodeRepository, userRepository }, ttl],
  [{ grant: 'password', userRepository }, ttl],
);

const app = express();
app.disable('x-powered-by');
app.post(TOKEN_PATH, express.urlencoded({ extended: false }), async (req, res) => {
  try {
    handleExpressResponse(res, await authorizationServer.respondToAccessTokenRequest(requestFromExpress(req)));
  } catch (e) {
    handleExpressError(e, res);
  }
});
app.get(PROTECTED_PATH, async (req, res) => {
  const token = p.bearerToken(req);
  if (!token) return p.sendBearerError(res, 401, 'invalid_request', 'no bearer token');
  let payload;
  let stored;
  try {
    payload = await jwtService.verify(token);
    if (payload.iss !== issuer) throw new Error('issuer');
    stored = await tokenRepository.getByAccessToken(payload.jti);
    if (stored.accessTokenExpiresAt.getTime() < Date.now()) throw new Error('revoked or expired');
  } catch {
    return p.sendBearerError(res, 401, 'invalid_token', 'invalid, expired or revoked access token');
  }
  if (!p.hasScope(payload.scope)) return p.sendBearerError(res, 403, 'insufficient_scope', `needs scope ${f.SCOPE}`);
  res.json({ ok: true, client_id: payload.cid });
});

// Fixtures, through the library in process: the authorize steps (validate the request, alice
// approves, complete: the code is persisted and encoded by the library) and its token endpoint.
const basic = `Basic ${Buffer.from(`${f.CLIENT_ID}:${f.CLIENT_SECRET}`).toString('base64')}`;
async function tokenRequest(body) {
  const response = await authorizationServer.respondToAccessTokenRequest(
    new OAuthRequest({ headers: { authorization: basic }, body }),
  );
  return response.body;
}
async function mintCode() {
  const pkce = f.pkcePair();
  const authRequest = await authorizationServer.validateAuthorizationRequest(
    new OAuthRequest({
      query: p.authorizeQuery(pkce.challenge),
    }),
  );
  authRequest.user = alice;
  authRequest.isAuthorizationApproved = true;
  const response = await authorizationServer.completeAuthorizationRequest(authRequest);
  return { code: new URL(response.headers.location).searchParams.get('code'), code_verifier: pkce.verifier };
}
p.mountInProcessFixtures(app, { tokenRequest, mintCode });

const server = app.listen(port, '127.0.0.1', () => {
  f.ready({
    name: 'peer-jmondi',
    library: p.libraryVersion('@jmondi/oauth2-server'),
    variant,
    tokenPath: TOKEN_PATH,
    protectedPath: PROTECTED_PATH,
    supports: { clientCredentials: true, refresh: true, code: true, password: true, bearer: true },
    notes: {
      setup: `Express adapter; in-memory repositories (Maps); ${
        variant === 'es256' ? 'ES256 via a custom JwtInterface (JwtService is HS256-only)' : 'JwtService HS256'
      }; refresh tokens and codes are JWTs too (library default); bearer = verify + getByAccessToken(jti) as its guide shows`,
    },
  });
});
f.closeOnSignal(server);
