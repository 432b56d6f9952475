/**
 * Quickstart: an Express app with an embedded OAuth 2.0 authorization server, in-memory
 * stores, one demo client of each kind and one protected API route (`GET /api/me`). Run it
 * with `npm start` (see ./README.md). Next to it: the browser sign-in flow
 * (examples/client-web, `npm run start:client`) and a separate API that verifies the tokens
 * with this server's JWKS (examples/resource-server, `npm run start:api`).
 *
 * Everything here is for local development only: the client secrets are fixed demo strings,
 * the signing key is generated at startup unless OAUTH_SIGNING_JWK is set, and the in-memory
 * stores forget every token on restart.
 */
import { generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import express from 'express';
import {
  type AccessTokenContext,
  type ClientRecord,
  createMemoryStores,
  createOAuthServer,
  hashClientSecret,
  type OAuthServer,
} from 'express-oauth2-provider';

/** The demo credentials, fixed so that the printed curl commands work as-is. Demo only. */
export const DEMO = {
  /** A confidential client: a server-side app or a script, authenticating with HTTP Basic. */
  confidentialClient: { id: 'demo-service', secret: 'demo-service-secret-do-not-use-in-production' },
  /** A public client (an SPA or mobile app): no secret, it sends only its `client_id`. */
  publicClient: { id: 'demo-spa' },
  /**
   * A web app with a server side (examples/client-web) that signs its users in through the
   * browser: authorization code + PKCE, then refresh tokens.
   */
  webClient: {
    id: 'demo-web',
    secret: 'demo-web-secret-do-not-use-in-production',
    // http loopback redirect URIs may differ in port only (RFC 8252 §7.3): tests run the
    // client on any free port of 127.0.0.1 and still match the first one.
    redirectUris: ['http://127.0.0.1:3001/callback', 'http://localhost:3001/callback'],
  },
  /** A user: signs in on the login page, or with the password grant. */
  user: { id: 'user-demo', username: 'demo', password: 'demo-password' },
  /** A second user, to try the browser flow as someone who has not consented yet. */
  user2: { id: 'user-demo2', username: 'demo2', password: 'demo2-password' },
} as const;

/**
 * The private key access tokens are signed with (ES256, so that other services can verify
 * them with the public half this server publishes at /oauth2/jwks).
 *
 * From OAUTH_SIGNING_JWK (a private EC P-256 JWK as JSON, with a `kid`) when it is set.
 * Otherwise a new key is generated for this run: fine for a demo, but every restart makes the
 * tokens of the previous run fail verification ("signed with an unknown key"). To keep a key
 * across restarts, generate one once and put it in the environment (or a secret manager):
 *
 *   export OAUTH_SIGNING_JWK="$(node -e "const { privateKey } = require('node:crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' }); console.log(JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'quickstart-' + new Date().toISOString().slice(0, 10), alg: 'ES256', use: 'sig' }))")"
 *
 * Anyone who has the private JWK can mint access tokens: never commit it.
 */
export function loadSigningKey(env: NodeJS.ProcessEnv = process.env): { jwk: JsonWebKey; generated: boolean } {
  const fromEnv = env.OAUTH_SIGNING_JWK;
  if (fromEnv !== undefined && fromEnv !== '') {
    try {
      return { jwk: JSON.parse(fromEnv) as JsonWebKey, generated: false };
    } catch {
      throw new Error('OAUTH_SIGNING_JWK must be a private JWK as JSON (see examples/quickstart/app.ts)');
    }
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // The date says when the key was made; the random suffix makes every run's kid unique, so an
  // API that cached the previous run's key sees an unknown kid and fetches the JWKS again.
  const kid = `quickstart-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  return { jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }, generated: true };
}

/** The demo clients as stored records: only hashes of the secrets (also seeded by examples/postgres). */
export const DEMO_CLIENTS: ClientRecord[] = [
  {
    id: DEMO.confidentialClient.id,
    name: 'Demo service',
    secretHash: hashClientSecret(DEMO.confidentialClient.secret),
    tokenEndpointAuthMethod: 'client_secret_basic',
    grants: ['client_credentials', 'password', 'refresh_token'],
    scopes: ['read', 'write'],
    defaultScopes: ['read'],
  },
  {
    id: DEMO.publicClient.id,
    name: 'Demo single-page app',
    tokenEndpointAuthMethod: 'none',
    grants: ['password', 'refresh_token'],
    scopes: ['read', 'write'],
    defaultScopes: ['read'],
  },
  {
    id: DEMO.webClient.id,
    name: 'Demo Web App', // shown on the login and consent pages
    secretHash: hashClientSecret(DEMO.webClient.secret),
    tokenEndpointAuthMethod: 'client_secret_basic',
    grants: ['authorization_code', 'refresh_token'],
    redirectUris: [...DEMO.webClient.redirectUris],
    scopes: ['read', 'write'],
    defaultScopes: ['read'],
  },
];

/** Shown next to each scope on the consent page. */
export const SCOPE_DESCRIPTIONS = { read: 'Read your data', write: 'Change your data' };

/**
 * The demo's own routes next to the authorization server: a protected API route (a valid
 * access token with the scope `read`, or a 401/403 with a WWW-Authenticate challenge, RFC
 * 6750; `req.oauth` says who the token is for, `userId` is null for a client_credentials
 * token) and `GET /` describing the endpoints.
 */
export function mountDemoRoutes(app: express.Express, oauth: OAuthServer, origin: string, name: string, extra: Record<string, unknown> = {}) {
  app.get('/api/me', oauth.requireToken({ scope: 'read' }), (req, res) => {
    const { clientId, userId, scopes } = req.oauth as AccessTokenContext; // set by requireToken
    res.json({ clientId, userId: userId ?? null, scopes });
  });
  app.get('/', (_req, res) => {
    res.json({
      name,
      issuer: oauth.issuer,
      endpoints: {
        authorization: oauth.endpoints.authorization,
        token: oauth.endpoints.token,
        revocation: oauth.endpoints.revocation,
        introspection: oauth.endpoints.introspection,
        jwks: oauth.endpoints.jwks,
        metadata: `${origin}/.well-known/oauth-authorization-server`,
      },
      api: { me: `${origin}/api/me` },
      ...extra,
    });
  });
}

export interface QuickstartOptions {
  /** The issuer, i.e. the URL the server is reached at. @defaultValue `'http://localhost:3000'` */
  issuer?: string;
  /** The private JWK to sign access tokens with. @defaultValue `loadSigningKey()`: OAUTH_SIGNING_JWK, or a new key */
  signingKey?: JsonWebKey;
}

export function createQuickstartApp(options: QuickstartOptions = {}) {
  const issuer = options.issuer ?? 'http://localhost:3000';
  const origin = issuer.replace(/\/$/, '');
  const signingKey = options.signingKey ?? loadSigningKey().jwk;

  const stores = createMemoryStores({
    clients: DEMO_CLIENTS,
    users: [
      { id: DEMO.user.id, username: DEMO.user.username, password: DEMO.user.password },
      { id: DEMO.user2.id, username: DEMO.user2.username, password: DEMO.user2.password },
    ],
  });

  const oauth = createOAuthServer({
    issuer,
    stores,
    signing: { keys: [signingKey] }, // ES256; the public half is served at /oauth2/jwks
    scopeDescriptions: SCOPE_DESCRIPTIONS,
  });

  const app = express();
  // POST /oauth2/token, GET /oauth2/authorize with the login and consent pages, POST
  // /oauth2/revoke, POST /oauth2/introspect, GET /oauth2/jwks and the RFC 8414 metadata at
  // /.well-known/oauth-authorization-server.
  app.use(oauth.router);

  mountDemoRoutes(app, oauth, origin, 'express-oauth2-provider quickstart', {
    grants: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
    clients: [
      { client_id: DEMO.confidentialClient.id, token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: DEMO.publicClient.id, token_endpoint_auth_method: 'none' },
      { client_id: DEMO.webClient.id, token_endpoint_auth_method: 'client_secret_basic' },
    ],
  });

  return { app, oauth, stores, demo: DEMO, signingKid: signingKey.kid as string };
}
