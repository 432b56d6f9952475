/**
 * The quickstart's demo clients and users, written into PostgreSQL. Idempotent: run it any
 * number of times, from any number of processes, and the tables end up the same.
 *
 * - Clients are upserted every time. A client secret is stored as `hashClientSecret(secret)`,
 *   a plain SHA-256, so the row written is the same on every run.
 * - A user is inserted with `hashPassword(password)` (bcrypt) only when it does not exist yet.
 *   bcrypt salts every hash, so re-hashing would rewrite the row on every run; and a seed must
 *   not reset a password someone has changed since.
 *
 * As a script (after the migrations):
 *   DATABASE_URL=postgresql://... node -r ./scripts/register-ts.js examples/postgres/seed.ts
 */
import { hashPassword } from 'express-oauth2-provider';
import { createPostgresStores, type PostgresStores } from 'express-oauth2-provider/postgres';
import { Pool } from 'pg';
import { DEMO, DEMO_CLIENTS } from '../quickstart/app';

/** The quickstart's clients (examples/quickstart/app.ts), as stored records: secrets hashed. */
export { DEMO_CLIENTS };

/** The quickstart's users, with their plain demo passwords (hashed when inserted). */
export const DEMO_USERS = [DEMO.user, DEMO.user2];

export interface SeedResult {
  /** The client ids upserted (all of them, every time). */
  clients: string[];
  /** The user ids inserted by this run; users that already existed are left as they are. */
  usersCreated: string[];
}

/**
 * Writes the demo clients and users. Every write is one upsert, so two processes seeding at
 * once cannot fail or duplicate anything.
 *
 * @param passwordCost - bcrypt cost for new users' password hashes. @defaultValue `10`
 */
export async function seedDemoData(
  stores: PostgresStores,
  options: { passwordCost?: number } = {},
): Promise<SeedResult> {
  for (const client of DEMO_CLIENTS) await stores.clients.upsert(client);
  const usersCreated: string[] = [];
  for (const user of DEMO_USERS) {
    const existing = await stores.users.findById(user.id, {});
    if (existing?.passwordHash !== undefined) continue;
    await stores.users.upsert({
      id: user.id,
      username: user.username,
      passwordHash: await hashPassword(user.password, options.passwordCost),
      passwordChangedAt: new Date(),
    });
    usersCreated.push(user.id);
  }
  return { clients: DEMO_CLIENTS.map((c) => c.id), usersCreated };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('seed: set DATABASE_URL (postgresql://user@host:port/db) and run the migrations first');
    process.exit(2);
  }
  const pool = new Pool({ connectionString: url, max: 2 });
  try {
    const result = await seedDemoData(createPostgresStores({ pool }));
    console.log(`seeded clients: ${result.clients.join(', ')}; new users: ${result.usersCreated.join(', ') || 'none'}`);
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`seed: ${err.message}`);
    process.exit(1);
  });
}
