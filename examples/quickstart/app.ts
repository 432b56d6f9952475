/**
 * Quickstart: an Express app with an embedded OAuth 2.0 authorization server, in-memory
 * stores and one demo client of each kind. Run it with `npm start` (see ./README.md); for the
 * browser sign-in flow, run examples/client-web next to it (`npm run start:client`).
 *
 * Everything here is for local development only: the secrets are fixed demo strings and the
 * in-memory stores forget every token on restart.
 */
import express from 'express';
import { createMemoryStores, createOAuthServer } from 'express-oauth2-provider';

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
 * HS256 signing secret (at least 32 bytes). CHANGE IT: set OAUTH_JWT_SECRET to a long random
 * value (e.g. `openssl rand -base64 48`); anyone who knows it can mint access tokens.
 */
const DEMO_JWT_SECRET = 'demo-only-jwt-signing-secret-change-me-0123456789';

export interface QuickstartOptions {
  /** The issuer, i.e. the URL the server is reached at. @defaultValue `'http://localhost:3000'` */
  issuer?: string;
}

export function createQuickstartApp(options: QuickstartOptions = {}) {
  const issuer = options.issuer ?? 'http://localhost:3000';

  const stores = createMemoryStores({
    clients: [
      {
        id: DEMO.confidentialClient.id,
        name: 'Demo service',
        secret: DEMO.confidentialClient.secret, // hashed on load; only the hash is kept
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
        secret: DEMO.webClient.secret,
        tokenEndpointAuthMethod: 'client_secret_basic',
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: [...DEMO.webClient.redirectUris],
        scopes: ['read', 'write'],
        defaultScopes: ['read'],
      },
    ],
    users: [
      { id: DEMO.user.id, username: DEMO.user.username, password: DEMO.user.password },
      { id: DEMO.user2.id, username: DEMO.user2.username, password: DEMO.user2.password },
    ],
  });

  const oauth = createOAuthServer({
    issuer,
    stores,
    signing: { secret: process.env.OAUTH_JWT_SECRET ?? DEMO_JWT_SECRET },
    // Shown next to each scope on the consent page.
    scopeDescriptions: {
      read: 'Read your data',
      write: 'Change your data',
    },
  });

  const app = express();
  app.use(oauth.router); // POST /oauth2/token, GET /oauth2/authorize and the login and consent pages

  app.get('/', (_req, res) => {
    res.json({
      name: 'express-oauth2-provider quickstart',
      issuer: oauth.issuer,
      endpoints: { authorization: oauth.endpoints.authorization, token: oauth.endpoints.token },
      grants: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      clients: [
        { client_id: DEMO.confidentialClient.id, token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: DEMO.publicClient.id, token_endpoint_auth_method: 'none' },
        { client_id: DEMO.webClient.id, token_endpoint_auth_method: 'client_secret_basic' },
      ],
    });
  });

  return { app, oauth, stores, demo: DEMO };
}
