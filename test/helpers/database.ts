import { Pool } from 'pg';

/**
 * The PostgreSQL test database, from DATABASE_URL. Without it, outside CI, suites skip with
 * a printed reason; in CI (CI=true) a missing database fails them (.ci/run starts one).
 */
export const DATABASE_URL = process.env.DATABASE_URL;
export const onCi = process.env.CI === 'true';

export function describeWithDatabase(name: string, fn: () => void): void {
  if (!DATABASE_URL && !onCi) {
    console.warn(`${name}: skipped, DATABASE_URL is not set (CI starts PostgreSQL; see .ci/run to run one locally)`);
    // Skipped on purpose, with the reason printed above: set DATABASE_URL to run these.
    describe.skip(name, fn);
    return;
  }
  describe(name, () => {
    beforeAll(() => {
      if (!DATABASE_URL) throw new Error('DATABASE_URL is not set: CI must start PostgreSQL (.ci/run)');
    });
    fn();
  });
}

/** A pool on its own schema, so parallel test files never see each other's tables. */
export async function schemaPool(schema: string): Promise<Pool> {
  const admin = new Pool({ connectionString: DATABASE_URL, max: 1 });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  return new Pool({ connectionString: DATABASE_URL, max: 10, options: `-c search_path=${schema}` });
}
