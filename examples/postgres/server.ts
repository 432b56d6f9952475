/**
 * Starts the quickstart on PostgreSQL: connects to DATABASE_URL, applies the migrations,
 * seeds the demo clients and users, listens on http://127.0.0.1:$PORT (default 3000) and
 * prints how to try it. The issuer is $ISSUER, by default http://localhost:$PORT.
 * `npm run start:postgres` runs this file. Ctrl-C (SIGINT) or SIGTERM stops accepting
 * requests, then closes the pools.
 */
import { createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
import { Pool } from 'pg';
import { loadSigningKey } from '../quickstart/app';
import { createPostgresQuickstart } from './app';
import { seedDemoData } from './seed';

/** How often this process deletes expired rows (see README: "Purging expired rows"). */
const PURGE_INTERVAL_MS = 15 * 60 * 1000;

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`DATABASE_URL is not set. Point it at a PostgreSQL database, for example:
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/oauth npm run start:postgres
(examples/postgres/README.md shows how to start a local PostgreSQL.)`);
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 3000);
  // Behind a load balancer every instance has the same public URL: ISSUER sets it.
  const issuer = process.env.ISSUER ?? `http://localhost:${port}`;

  // The app's pool. Its size bounds this process's connections (docs/postgres.md, "Connection
  // pool sizing"). Both timeouts sit well below storeTimeoutMs (5000 ms): a saturated pool
  // fails fast instead of queueing, and a slow statement is cancelled by PostgreSQL itself,
  // which rolls it back, so a client's retry after the 503 works (docs/postgres.md, "Faults").
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 2000, statement_timeout: 2000 });
  // Maintenance on one connection of its own, without statement_timeout: migrate() may wait
  // for another instance's migration, and a purge after a long pause may take a while.
  const maintenance = new Pool({ connectionString: url, max: 1 });

  const applied = await migrate(maintenance); // safe when several instances start at once
  const signing = loadSigningKey();
  const { app, oauth, stores, demo } = createPostgresQuickstart({ pool, issuer, signingKey: signing.jwk });
  const seeded = await seedDemoData(stores); // idempotent: every instance may run it

  // Expired codes, tokens and pending authorizations are deleted here every 15 minutes. The
  // purge is one idempotent statement, so every instance may run it; or run purge.ts from cron.
  const purger = createPostgresStores({ pool: maintenance }).tokens;
  const purge = setInterval(() => {
    purger.purgeExpired().then(
      (n) => n > 0 && console.log(`purged ${n} expired rows`),
      (err: Error) => console.error(`purge failed: ${err.message}`),
    );
  }, PURGE_INTERVAL_MS);
  purge.unref();

  const server = app.listen(port, '127.0.0.1', () => {
    const token = oauth.endpoints.token;
    const { confidentialClient: service, publicClient: spa, user } = demo;
    const basic = `-u '${service.id}:${service.secret}'`;
    const keyNote = signing.generated
      ? 'generated for this run: set OAUTH_SIGNING_JWK to keep tokens valid across restarts and instances'
      : 'from OAUTH_SIGNING_JWK';
    console.log(`OAuth 2.0 quickstart on PostgreSQL listening on http://127.0.0.1:${port}, issuer ${issuer} (token endpoint: ${token})
Database: ${redact(url)}; migrations applied now: ${applied.length ? applied.join(', ') : 'none (up to date)'}; new demo users: ${seeded.usersCreated.length ? seeded.usersCreated.join(', ') : 'none'}
Signing key: ES256, kid "${String(signing.jwk.kid)}", ${keyNote}.

# client_credentials (confidential client, HTTP Basic)
curl -s ${basic} -d grant_type=client_credentials -d scope=read ${token}

# password (public client), then refresh with the refresh_token it returns
curl -s -d grant_type=password -d client_id=${spa.id} -d username=${user.username} -d password=${user.password} ${token}
curl -s -d grant_type=refresh_token -d client_id=${spa.id} -d refresh_token=REFRESH_TOKEN ${token}

# call the protected API GET /api/me with an access token
TOKEN=$(curl -s ${basic} -d grant_type=client_credentials -d scope=read ${token} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
curl -s -H "Authorization: Bearer $TOKEN" ${issuer}/api/me

# see what the server stored (hashes and ids only, never a token)
psql "$DATABASE_URL" -c 'SELECT client_id, user_id, scope, expires_at, consumed_at FROM oauth_refresh_tokens'

# the browser flow: \`npm run start:client\` in another terminal, then open http://127.0.0.1:3001
`);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(purge);
      server.close(() => {
        Promise.all([pool.end(), maintenance.end()]).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
      server.closeAllConnections();
    });
  }
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

main().catch((err: Error) => {
  console.error(`could not start: ${err.message}`);
  process.exit(1);
});
