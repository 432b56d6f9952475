'use strict';
// The Express app around our library, shared by servers/ours.js (memory stores) and
// servers/ours-postgres.js (PostgreSQL stores). The library comes from the repo's built
// dist/, so the bench measures what users install.
const path = require('node:path');
const dist = require('../../dist');

/**
 * Express and bcryptjs as the library itself resolves them, from the repo root: in a user's app
 * npm installs one Express (a peer dependency of the library) and one bcryptjs. The copies in
 * bench/node_modules are the peers'; taking those here loaded a second Express into ours'
 * process only (idle RSS 68.0 MB with two copies, 63.7 with one).
 */
const fromLibrary = (name) => require(require.resolve(name, { paths: [path.join(__dirname, '../..')] }));
const bcrypt = fromLibrary('bcryptjs');
const express = fromLibrary('express');
const rootPackage = require('../../package.json');
const f = require('./fixtures');

const TOKEN_PATH = '/oauth2/token';
const PROTECTED_PATH = '/api/resource';

/** The client record every store gets (the secret is hashed by the caller's store). */
const CLIENT = {
  id: f.CLIENT_ID,
  tokenEndpointAuthMethod: 'client_secret_basic',
  grants: ['client_credentials', 'authorization_code', 'refresh_token', 'password'],
  redirectUris: [f.REDIRECT_URI],
  scopes: [f.SCOPE],
};
const USER_ID = 'user-alice';

/** The signing options and token format of a variant. */
function signingFor(variant) {
  if (variant === 'es256') return { format: 'jwt', signing: { keys: [f.es256KeyPair().privateJwk] } };
  return { format: variant === 'opaque' ? 'opaque' : 'jwt', signing: { secret: f.HS256_SECRET } };
}

/**
 * The user fixture as a record: bcrypt cost 10, made with bcryptjs at startup as the peers'
 * fixtures are. Not with the library's `hashPassword`: that runs in a worker thread (ADR 0014),
 * which would then sit idle for 30 s, about 12 MB of RSS counted against us in cells that
 * check no password at all. The password cells start the library's own workers anyway.
 */
async function userRecord() {
  return { id: USER_ID, username: f.USERNAME, passwordHash: bcrypt.hashSync(f.PASSWORD, 10) };
}

/**
 * Builds the app: the library's router, a protected route, and the /__bench fixture routes,
 * which write codes and refresh tokens through the store the library itself uses (so that
 * redeeming them does the full real work: lookup, single-use consume, new tokens).
 */
function createOursApp({ name, variant, stores, port, notes }) {
  const { format, signing } = signingFor(variant);
  const issuer = `http://127.0.0.1:${port}`;
  const oauth = dist.createOAuthServer({
    issuer,
    stores,
    signing,
    accessTokenFormat: format,
    accessTokenLifetime: f.ACCESS_TOKEN_LIFETIME,
    authorizationCodeLifetime: f.CODE_LIFETIME,
    // One client hammering from one address is exactly what the default limits refuse; no peer
    // limits anything, so the comparison runs ours without them (docs/performance.md).
    rateLimits: false,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(oauth.router);
  app.get(PROTECTED_PATH, oauth.requireToken({ scope: f.SCOPE }), (req, res) => {
    res.json({ ok: true, client_id: req.oauth.clientId });
  });

  const family = () => ({ familyId: randomId(), clientId: f.CLIENT_ID, userId: USER_ID, scope: [f.SCOPE] });
  app.get('/__bench/access-token', async (_req, res, next) => {
    try {
      // A real client_credentials request to our own token endpoint: the token is issued and
      // stored exactly as in the cc scenario.
      const reply = await f.clientCredentialsRequest(port, TOKEN_PATH);
      res.status(reply.status).json(reply.json);
    } catch (err) {
      next(err);
    }
  });
  fixtureRoute(app, '/__bench/refresh-tokens', {
    make: () => randomToken(),
    save: (token, now) =>
      stores.tokens.saveRefreshToken({
        ...family(),
        hash: dist.hashToken(token),
        createdAt: new Date(now),
        expiresAt: new Date(now + 86_400_000),
      }),
    reveal: (token) => token,
  });
  // PKCE S256 on every code: the secure default path (RFC 9700 §2.1.1), verifier checked on redemption.
  fixtureRoute(app, '/__bench/codes', {
    make: () => ({ code: randomToken(), pkce: f.pkcePair() }),
    save: ({ code, pkce }, now) =>
      stores.tokens.saveAuthorizationCode({
        ...family(),
        hash: dist.hashToken(code),
        redirectUri: f.REDIRECT_URI,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: 'S256',
        createdAt: new Date(now),
        expiresAt: new Date(now + f.CODE_LIFETIME * 1000),
      }),
    reveal: ({ code, pkce }) => ({ code, code_verifier: pkce.verifier }),
  });

  const info = {
    name,
    library: `${rootPackage.name}@${rootPackage.version}`,
    variant,
    tokenPath: TOKEN_PATH,
    protectedPath: PROTECTED_PATH,
    supports: { clientCredentials: true, refresh: true, code: true, password: true, bearer: true },
  };
  if (notes) info.notes = notes;
  return { app, info };
}

/** `POST path?n=N`: makes N fixtures, saves each through the store, answers what the client sees of them. */
function fixtureRoute(app, path, { make, save, reveal }) {
  app.post(path, async (req, res, next) => {
    const n = f.countParam(req);
    if (n === undefined) return res.status(400).json({ error: 'n must be 1..500000' });
    try {
      const now = Date.now();
      const items = Array.from({ length: n }, make);
      await inBatches(items, (item) => save(item, now));
      res.json(items.map(reveal));
    } catch (err) {
      next(err);
    }
  });
}

/** 256 random bits, base64url: the same shape as the library's own codes and refresh tokens. */
function randomToken() {
  return f.randomValue(32);
}
/** A family id like the library's (128 random bits). */
function randomId() {
  return f.randomValue(16);
}

/** Runs `fn` over `items`, `width` at a time (a database store gets parallel inserts, not 100k at once). */
async function inBatches(items, fn, width = 16) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

module.exports = { CLIENT, USER_ID, createOursApp, userRecord };
