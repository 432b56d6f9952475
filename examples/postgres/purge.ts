/**
 * Deletes expired codes, tokens and pending authorizations, and revocation markers that no
 * live record needs any more; prints how many rows went. For a cron job (examples/postgres/
 * README.md, "Purging expired rows"):
 *
 *   DATABASE_URL=postgresql://... node -r ./scripts/register-ts.js examples/postgres/purge.ts
 *
 * One statement, idempotent: running it on several machines at once, or twice, is harmless.
 */
import { createPostgresStores } from 'express-oauth2-provider/postgres';
import { Pool } from 'pg';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('purge: set DATABASE_URL (postgresql://user@host:port/db)');
    process.exit(2);
  }
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const deleted = await createPostgresStores({ pool }).tokens.purgeExpired();
    console.log(`purged ${deleted} expired rows`);
  } finally {
    await pool.end();
  }
}

main().catch((err: Error) => {
  console.error(`purge: ${err.message}`);
  process.exit(1);
});
