// TypeScript consumer of the subpath exports: compiled with `tsc --noEmit` (strict,
// skipLibCheck off) against the installed tarball's .d.ts and @types/pg, under nodenext (.ts
// and .mts) and commonjs+bundler resolution. It proves the `types` conditions of
// `./postgres` and `./testing` resolve, and that a real `pg.Pool` fits what they ask for.
import { createOAuthServer, type Stores } from 'express-oauth2-provider';
import {
  createPostgresStores,
  listMigrations,
  type MigrationPool,
  migrate,
  type PostgresStores,
  type PostgresStoresOptions,
  type Queryable,
} from 'express-oauth2-provider/postgres';
import { runStoreConformance, type StoreConformanceOptions } from 'express-oauth2-provider/testing';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: 'postgresql://localhost/app', max: 10 });
const queryable: Queryable = pool;
const migrationPool: MigrationPool = pool;
const options: PostgresStoresOptions = {
  pool: queryable,
  tablePrefix: 'auth_',
  logger: { warn: (obj, msg) => console.warn(msg, obj), error: (obj, msg) => console.error(msg, obj) },
};
const stores: PostgresStores = createPostgresStores(options);
const plain: Stores = stores;

async function start(): Promise<void> {
  const applied: number[] = await migrate(migrationPool, { tablePrefix: 'auth_' });
  const versions: number[] = listMigrations().map((m) => m.version);
  await stores.clients.upsert({ id: 'svc', grants: ['client_credentials'], secretHash: 'sha256:x' });
  await stores.users.upsert({ id: 'u1', username: 'alice' });
  const purged: number = await stores.tokens.purgeExpired();
  console.log(applied, versions, purged);
}

const oauth = createOAuthServer({
  issuer: 'https://auth.example.com',
  stores: plain,
  signing: { secret: 'a-signing-secret-of-at-least-32-bytes!!' },
  storeTimeoutMs: 2000,
});

// runStoreConformance takes the runner's describe/it: these stand in for jest's or node:test's.
const suite = (name: string, fn: () => void): void => {
  console.log(name);
  fn();
};
const test = (name: string, fn: () => Promise<void>): void => {
  console.log(name, typeof fn);
};
const conformance: StoreConformanceOptions = {
  name: 'postgres',
  describe: suite,
  it: test,
  concurrency: 20,
  create: async ({ clients, users }) => {
    for (const client of clients) await stores.clients.upsert(client);
    for (const user of users) await stores.users.upsert(user);
    return stores;
  },
  purgeExpired: (s) => (s as PostgresStores).tokens.purgeExpired(),
};
runStoreConformance(conformance);

void start;
void oauth;
