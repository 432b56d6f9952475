import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../errors';

/** What `migrate()` needs of a `pg` Pool: a dedicated connection for one transaction. */
export interface MigrationPool {
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>; release(): void }>;
}

/** Table prefixes become part of SQL identifiers: lower-case letters, digits and `_` only. */
export function validateTablePrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !/^[a-z_][a-z0-9_]{0,30}$/.test(prefix)) {
    throw new ConfigurationError('tablePrefix', 'must be lower-case letters, digits and "_", starting with a letter or "_" (at most 31 characters)');
  }
  return prefix;
}

/** The shipped migrations, in order: `NNN_name.sql` files next to this module. */
export function listMigrations(): { version: number; name: string; sql: string }[] {
  const dir = join(__dirname, 'migrations');
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: everything
 * happens in one transaction under a PostgreSQL advisory lock, so one process migrates and
 * the others wait, then find nothing left to do. Returns the versions it applied.
 *
 * @example
 * ```ts
 * await migrate(pool);                         // tables oauth_clients, oauth_users, ...
 * await migrate(pool, { tablePrefix: 'auth_' });
 * ```
 */
export async function migrate(pool: MigrationPool, options: { tablePrefix?: string } = {}): Promise<number[]> {
  const prefix = validateTablePrefix(options.tablePrefix ?? 'oauth_');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Waiting for another process's migration must not count as a slow statement.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`express-oauth2-provider:migrate:${prefix}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${prefix}schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query(`SELECT version FROM ${prefix}schema_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of listMigrations()) {
      if (done.has(m.version)) continue;
      await client.query(m.sql.replaceAll('{{prefix}}', prefix));
      await client.query(`INSERT INTO ${prefix}schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
