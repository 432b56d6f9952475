import { createMemoryStores, type ClientRecord } from 'express-oauth2-provider';
import { createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
import { runStoreConformance } from 'express-oauth2-provider/testing';
import type { Pool } from 'pg';
import { describeWithDatabase, schemaPool } from '../helpers/database';

declare const EXPECTED_EXPRESS_MAJOR: number;

// The kit against the in-memory stores: a fresh set per test, seeded as asked.
runStoreConformance({
  name: 'memory',
  describe,
  it,
  create: ({ clients, users }) =>
    createMemoryStores({
      clients: clients.map((c: ClientRecord) => ({ ...c })),
      users: users.map((u) => ({ ...u })),
    }),
  purgeExpired: async (stores) => (stores.tokens as ReturnType<typeof createMemoryStores>['tokens']).purgeExpired(),
  clientWrites: true,
});

// The kit against PostgreSQL: one schema for this file, records unique per test.
describeWithDatabase('PostgreSQL adapter', () => {
  let pool: Pool;
  beforeAll(async () => {
    // One schema per jest project: both projects run this file at the same time.
    pool = await schemaPool(`conformance_e${EXPECTED_EXPRESS_MAJOR}`);
    await migrate(pool);
  });
  afterAll(async () => {
    await pool?.end();
  });
  runStoreConformance({
    name: 'postgres',
    describe,
    it,
    create: async ({ clients, users }) => {
      const stores = createPostgresStores({ pool });
      for (const client of clients) await stores.clients.upsert(client);
      for (const user of users) await stores.users.upsert(user);
      return stores;
    },
    purgeExpired: (stores) => (stores as ReturnType<typeof createPostgresStores>).tokens.purgeExpired(),
    clientWrites: true,
  });
});
