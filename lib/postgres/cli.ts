#!/usr/bin/env node
/**
 * `npx express-oauth2-provider-migrate`: applies the schema migrations to the database named
 * by DATABASE_URL (table prefix from OAUTH_TABLE_PREFIX, default "oauth_"). Needs `pg`.
 */
import { migrate } from './migrate';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('express-oauth2-provider-migrate: set DATABASE_URL (postgresql://user@host:port/db)\n');
    process.exit(2);
  }
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const applied = await migrate(pool, { tablePrefix: process.env.OAUTH_TABLE_PREFIX || undefined });
    process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'schema is up to date\n');
  } finally {
    await pool.end();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`express-oauth2-provider-migrate: ${err.message}\n`);
  process.exit(1);
});
