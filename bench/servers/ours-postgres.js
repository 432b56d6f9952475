'use strict';
// express-oauth2-provider (the repo's dist/) with its PostgreSQL stores, on DATABASE_URL.
// Tables get their own prefix (bench_) and are emptied at startup, so every run starts alike
// and the bench never touches an application's tables.
const { Pool } = require('pg');
const { hashClientSecret } = require('../../dist');
const { createPostgresStores, migrate } = require('../../dist/postgres');
const { CLIENT, createOursApp, userRecord } = require('../lib/ours-app');
const f = require('../lib/fixtures');

const TABLE_PREFIX = 'bench_';
/** The pool size the docs recommend per process (docs/postgres.md). */
const POOL_SIZE = 10;

async function main() {
  const { port, variant } = f.benchEnv();
  if (!process.env.DATABASE_URL) f.unsupported('DATABASE_URL is not set');
  const maintenance = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  await migrate(maintenance, { tablePrefix: TABLE_PREFIX });
  const { rows } = await maintenance.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'bench\\_%' AND tablename <> 'bench_schema_migrations'",
  );
  await maintenance.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')}`);
  await maintenance.end();

  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });
  const stores = createPostgresStores({ pool, tablePrefix: TABLE_PREFIX });
  await stores.clients.upsert({ ...CLIENT, secretHash: hashClientSecret(f.CLIENT_SECRET) });
  await stores.users.upsert(await userRecord());
  const { app, info } = createOursApp({
    name: 'ours-postgres',
    variant,
    stores,
    port,
    notes: { postgres: `pg Pool max ${POOL_SIZE}; the PostgreSQL server's own CPU and memory are not counted` },
  });
  const server = app.listen(port, '127.0.0.1', () => f.ready(info));
  f.closeOnSignal(server, () => pool.end());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
