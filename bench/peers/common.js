'use strict';
// What the peer servers (bench/servers/peer-*.js) share on top of bench/lib/fixtures.js (the
// fixtures every bench server has): the same client, user, keys and lifetimes, prepared the
// same way, so that differences in the numbers come from the libraries, not from the setup.
const { createHash, createSecretKey, timingSafeEqual } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const bcrypt = require('bcryptjs');
const f = require('../lib/fixtures');

/** Refresh tokens live two weeks (node-oauth's and oidc-provider's default). */
const REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;

/** alice's bcrypt hash (cost 10, bcryptjs), made once at startup like a stored row. */
const USER_PASSWORD_HASH = bcrypt.hashSync(f.PASSWORD, 10);
const USER_ID = 'user-alice';

/**
 * The HS256 key as a KeyObject, imported once (as our library does). Given a *string* secret,
 * jsonwebtoken 9 first tries createPrivateKey() on it and catches the failure on every sign
 * and verify: ~0.7-1.5 ms per call on the bench machine against ~0.02 ms with a KeyObject
 * (measured), which would swamp what the libraries themselves cost.
 */
const HS256_KEY = createSecretKey(Buffer.from(f.HS256_SECRET, 'utf8'));

const CLIENT_SECRET_DIGEST = sha256(f.CLIENT_SECRET);
function sha256(value) {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks a presented client secret against the stored SHA-256 digest in constant time: the
 * work our library does (a digest, never the plain secret, is stored), done in the peers'
 * models where the model is ours to write.
 */
function clientSecretMatches(secret) {
  return typeof secret === 'string' && timingSafeEqual(sha256(secret), CLIENT_SECRET_DIGEST);
}

/** Checks alice's password with bcryptjs (cost 10), as every peer's user lookup does. */
async function verifyUserPassword(username, password) {
  if (username !== f.USERNAME || typeof password !== 'string') return false;
  return bcrypt.compare(password, USER_PASSWORD_HASH);
}

/** `name@version` of an installed package (read from disk: some packages' `exports` hide package.json). */
function libraryVersion(name) {
  const file = path.join(__dirname, '..', 'node_modules', ...name.split('/'), 'package.json');
  return `${name}@${JSON.parse(fs.readFileSync(file, 'utf8')).version}`;
}

/**
 * Mounts the two batch fixtures the harness calls before a run (never timed): `mint(i)` makes
 * one code (`{ code, code_verifier }`) or one refresh token (a string) through the library.
 * Minting runs in sequence: it is setup, and keeps the library's own code paths unchanged.
 */
function mountBatchFixtures(app, { mintCode, mintRefreshToken }) {
  const batch = (mint) => async (req, res) => {
    const n = f.countParam(req);
    if (n === undefined) return res.status(400).json({ error: 'n must be 1..500000' });
    try {
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = await mint();
      res.json(out);
    } catch (err) {
      fixtureFailed(req, res, err);
    }
  };
  if (mintCode) app.post('/__bench/codes', batch(mintCode));
  if (mintRefreshToken) app.post('/__bench/refresh-tokens', batch(mintRefreshToken));
}

/** The query of alice's authorization request (RFC 6749 §4.1.1) with a PKCE S256 challenge (RFC 7636 §4.3). */
function authorizeQuery(codeChallenge) {
  return {
    response_type: 'code',
    client_id: f.CLIENT_ID,
    redirect_uri: f.REDIRECT_URI,
    scope: f.SCOPE,
    state: 'bench',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
}

/**
 * The three fixtures for a peer whose library can be driven in process: `tokenRequest(body)`
 * runs one token request (Basic auth as bench-client) through the library and resolves to the
 * response body; `mintCode()` runs its authorize step for alice and resolves to
 * `{ code, code_verifier }`. The access token is a client_credentials one; a refresh token is
 * what redeeming a fresh code returns, so it is exactly what the library issues.
 */
function mountInProcessFixtures(app, { tokenRequest, mintCode }) {
  app.get('/__bench/access-token', async (req, res) => {
    try {
      res.json(await tokenRequest({ grant_type: 'client_credentials', scope: f.SCOPE }));
    } catch (err) {
      fixtureFailed(req, res, err);
    }
  });
  mountBatchFixtures(app, {
    mintCode,
    async mintRefreshToken() {
      const { code, code_verifier } = await mintCode();
      const body = await tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: f.REDIRECT_URI,
        code_verifier,
      });
      return body.refresh_token;
    },
  });
}

/** A fixture that failed: loud on stderr, a JSON 500 to the harness (setup must not fail quietly). */
function fixtureFailed(req, res, err) {
  process.stderr.write(`fixture ${req.method} ${req.path} failed: ${err?.stack || err}\n`);
  res.status(500).json({ error: 'fixture_failed', error_description: String(err?.message || err) });
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or undefined. */
function bearerToken(req) {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/** RFC 6750 §3 error response, for peers that leave the resource-server side to their users. */
function sendBearerError(res, status, error, description) {
  res.set('WWW-Authenticate', `Bearer realm="bench", error="${error}"`);
  res.status(status).json({ error, error_description: description });
}

/** Whether a space-separated (or array) scope grants `f.SCOPE`. */
function hasScope(scope) {
  const list = Array.isArray(scope) ? scope : typeof scope === 'string' ? scope.split(' ') : [];
  return list.includes(f.SCOPE);
}

module.exports = {
  REFRESH_TOKEN_LIFETIME,
  USER_ID,
  USER_PASSWORD_HASH,
  HS256_KEY,
  clientSecretMatches,
  verifyUserPassword,
  libraryVersion,
  mountBatchFixtures,
  mountInProcessFixtures,
  authorizeQuery,
  fixtureFailed,
  bearerToken,
  sendBearerError,
  hasScope,
};
