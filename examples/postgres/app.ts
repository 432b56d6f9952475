/**
 * The quickstart on PostgreSQL: the same demo clients and users as examples/quickstart, the
 * same ES256 signing and the same protected route (`GET /api/me`), with every client, user,
 * code, token, pending authorization and consent kept in PostgreSQL through
 * `createPostgresStores()`. Several processes started with the same DATABASE_URL and the same
 * signing key behave as one server. Run it with `npm run start:postgres` (see ./README.md).
 *
 * This module only builds the app: creating the schema (`migrate(pool)`, ./server.ts, or the
 * `express-oauth2-provider-migrate` command) and the demo data (./seed.ts) happen before.
 */
import type { JsonWebKey } from 'node:crypto';
import express from 'express';
import { createOAuthServer } from 'express-oauth2-provider';
import { createPostgresRateLimitStore, createPostgresStores, type Queryable } from 'express-oauth2-provider/postgres';
import { DEMO, loadSigningKey, mountDemoRoutes, SCOPE_DESCRIPTIONS } from '../quickstart/app';

export { DEMO };

export interface PostgresQuickstartOptions {
  /** A `pg` Pool on a database that `migrate(pool)` has brought up to date. */
  pool: Queryable;
  /** The issuer, i.e. the URL the server is reached at, e.g. `'http://localhost:3000'`. */
  issuer: string;
  /**
   * The private JWK to sign access tokens with. Every instance must use the same one, or
   * the tokens of one cannot be verified by another.
   * @defaultValue `loadSigningKey()` of the quickstart: OAUTH_SIGNING_JWK, or a new key per process
   */
  signingKey?: JsonWebKey;
}

export function createPostgresQuickstart(options: PostgresQuickstartOptions) {
  const { pool, issuer } = options;
  const origin = issuer.replace(/\/$/, '');
  const signingKey = options.signingKey ?? loadSigningKey().jwk;

  // One pool for the whole app: the stores never open connections of their own. The adapter
  // also listens for the pool's 'error' event (an idle connection dying when the database
  // restarts), which would otherwise crash the process.
  const stores = createPostgresStores({ pool });

  const oauth = createOAuthServer({
    issuer,
    stores,
    signing: { keys: [signingKey] }, // ES256; the public half is served at /oauth2/jwks
    // A store call that has not answered after 5 s becomes 503 temporarily_unavailable
    // (the default, written out here: keep it well above the database's normal latency).
    storeTimeoutMs: 5000,
    // The default rate limits, counted in PostgreSQL so that every instance shares one budget
    // (a new store per limiter, over the rate_limits table of migration 3).
    rateLimits: { store: () => createPostgresRateLimitStore({ pool }) },
    scopeDescriptions: SCOPE_DESCRIPTIONS,
  });

  const app = express();
  app.use(oauth.router);

  // The same protected route and endpoint listing as the quickstart.
  mountDemoRoutes(app, oauth, origin, 'express-oauth2-provider quickstart on PostgreSQL');

  return { app, oauth, stores, demo: DEMO, signingKid: signingKey.kid as string };
}
