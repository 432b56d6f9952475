import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigurationError } from 'express-oauth2-provider';
import { createPostgresStores, listMigrations, migrate } from 'express-oauth2-provider/postgres';
import type { Pool } from 'pg';
import { DATABASE_URL, describeWithDatabase, schemaPool } from '../helpers/database';
import { schemaName } from './pg-helpers';

const ROOT = resolve(__dirname, '../..');
/** Every migration this version ships, in order. */
const SHIPPED = [
  { version: 1, name: '001_initial.sql' },
  { version: 2, name: '002_client_groups.sql' },
  { version: 3, name: '003_rate_limits.sql' },
];
const VERSIONS = SHIPPED.map((m) => m.version);
const TABLES = [
  'access_tokens',
  'authorization_codes',
  'client_groups',
  'clients',
  'consents',
  'deleted_clients',
  'interactions',
  'rate_limits',
  'refresh_tokens',
  'revoked_families',
  'schema_migrations',
  'users',
];

/** Runs the migration CLI the way `npx express-oauth2-provider-migrate` would, from source. */
function runCli(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', './scripts/register-ts.js', 'lib/postgres/cli.ts'],
      { cwd: ROOT, env, timeout: 30_000 },
      (err, stdout, stderr) => {
        done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

/** The environment of a host shell, without anything the CLI reads unless a test sets it. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  if (!('OAUTH_TABLE_PREFIX' in extra)) delete env.OAUTH_TABLE_PREFIX;
  if (!('PGOPTIONS' in extra)) delete env.PGOPTIONS;
  return env;
}

describeWithDatabase('PostgreSQL migrations: migrate() and express-oauth2-provider-migrate', () => {
  const pools: Pool[] = [];
  const fresh = async (base: string) => {
    const pool = await schemaPool(schemaName(base));
    pools.push(pool);
    return pool;
  };
  const tablesIn = async (pool: Pool, schema: string) => {
    const { rows } = await pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [schema],
    );
    return rows.map((r) => r.table_name);
  };
  const appliedIn = async (pool: Pool, prefix = 'oauth_') =>
    (await pool.query(`SELECT version, name FROM ${prefix}schema_migrations ORDER BY version`)).rows;

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('ships migrations 001_initial.sql, 002_client_groups.sql and 003_rate_limits.sql, in order', () => {
    expect(listMigrations().map(({ version, name }) => ({ version, name }))).toEqual(SHIPPED);
  });

  it('creates every table on a fresh schema and returns every version; a second run returns [] and changes nothing', async () => {
    const schema = schemaName('migrate_fresh');
    const pool = await fresh('migrate_fresh');
    expect(await tablesIn(pool, schema)).toEqual([]);

    expect(await migrate(pool)).toEqual(VERSIONS);
    expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `oauth_${t}`));
    expect(await appliedIn(pool)).toEqual(SHIPPED);
    // Nothing leaked into another schema through the search_path.
    expect(await tablesIn(pool, 'public')).not.toContain('oauth_clients');

    expect(await migrate(pool)).toEqual([]);
    expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `oauth_${t}`));
    expect(await appliedIn(pool)).toEqual(SHIPPED);
  });

  it('creates the keys, the family and expiry indexes, and the client paging indexes', async () => {
    const schema = schemaName('migrate_indexes');
    const pool = await fresh('migrate_indexes');
    await migrate(pool);
    const { rows } = await pool.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [
      schema,
    ]);
    expect(rows.map((r) => r.indexname).sort()).toEqual(
      [
        'oauth_access_tokens_expires',
        'oauth_access_tokens_family',
        'oauth_access_tokens_pkey',
        'oauth_authorization_codes_expires',
        'oauth_authorization_codes_family',
        'oauth_authorization_codes_pkey',
        'oauth_client_groups_pkey',
        'oauth_clients_group',
        'oauth_clients_id_c',
        'oauth_clients_pkey',
        'oauth_consents_pkey',
        'oauth_deleted_clients_pkey',
        'oauth_interactions_expires',
        'oauth_interactions_pkey',
        'oauth_rate_limits_pkey',
        'oauth_rate_limits_reset',
        'oauth_refresh_tokens_expires',
        'oauth_refresh_tokens_family',
        'oauth_refresh_tokens_pkey',
        'oauth_revoked_families_pkey',
        'oauth_schema_migrations_pkey',
        'oauth_users_pkey',
        'oauth_users_realm_username_key',
      ].sort(),
    );
  });

  it('8 concurrent migrate() calls all succeed, exactly one applies the migrations (advisory lock)', async () => {
    const schema = schemaName('migrate_concurrent');
    const pool = await fresh('migrate_concurrent');
    const results = await Promise.all(Array.from({ length: 8 }, () => migrate(pool)));
    expect(results.filter((r) => r.length > 0)).toEqual([VERSIONS]);
    expect(results.filter((r) => r.length === 0)).toHaveLength(7);
    expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `oauth_${t}`));
    expect(await appliedIn(pool)).toEqual(SHIPPED);
  });

  it('upgrades a version-1 schema that holds clients: migrate() applies [2, 3], and the clients read back unchanged, with no group', async () => {
    const pool = await fresh('migrate_upgrade');
    const [initial] = listMigrations();
    // What a database migrated by the previous release holds.
    await pool.query('CREATE TABLE oauth_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    await pool.query((initial as { sql: string }).sql.replaceAll('{{prefix}}', 'oauth_'));
    await pool.query("INSERT INTO oauth_schema_migrations (version, name) VALUES (1, '001_initial.sql')");
    await pool.query(`INSERT INTO oauth_clients (id, name, grants, scopes, disabled) VALUES ('old-client', 'Old', '{client_credentials}', '{read}', true)`);

    expect(await migrate(pool)).toEqual([2, 3]);
    expect(await appliedIn(pool)).toEqual(SHIPPED);
    const stores = createPostgresStores({ pool });
    expect(await stores.clients.findById('old-client')).toEqual({ id: 'old-client', name: 'Old', grants: ['client_credentials'], scopes: ['read'], disabled: true });
    expect(await stores.clients.listClients({ limit: 10 })).toEqual([{ id: 'old-client', name: 'Old', grants: ['client_credentials'], scopes: ['read'], disabled: true }]);
  });

  it('a custom tablePrefix creates prefixed tables, which the stores then use', async () => {
    const schema = schemaName('migrate_prefix');
    const pool = await fresh('migrate_prefix');
    expect(await migrate(pool, { tablePrefix: 'auth_' })).toEqual(VERSIONS);
    expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `auth_${t}`));
    expect(await appliedIn(pool, 'auth_')).toEqual(SHIPPED);
    expect(await migrate(pool, { tablePrefix: 'auth_' })).toEqual([]);

    const stores = createPostgresStores({ pool, tablePrefix: 'auth_' });
    await stores.clients.upsert({ id: 'prefixed-client', grants: ['password'], scopes: ['read'] });
    expect(await stores.clients.findById('prefixed-client')).toEqual({
      id: 'prefixed-client',
      grants: ['password'],
      scopes: ['read'],
    });
    expect((await pool.query('SELECT id FROM auth_clients')).rows).toEqual([{ id: 'prefixed-client' }]);

    // The default prefix is a separate set of tables with its own migration record.
    expect(await migrate(pool)).toEqual(VERSIONS);
    expect(await tablesIn(pool, schema)).toEqual(
      [...TABLES.map((t) => `auth_${t}`), ...TABLES.map((t) => `oauth_${t}`)].sort(),
    );
  });

  it.each(['Auth_', '1auth_', 'auth-', 'auth_; DROP TABLE x; --', '', `a${'b'.repeat(31)}`, 'auth.'])(
    'refuses the table prefix %j with ConfigurationError (path tablePrefix), before touching the database',
    async (tablePrefix) => {
      const pool = { connect: jest.fn(), query: jest.fn() };
      const rejection = migrate(pool, { tablePrefix });
      await expect(rejection).rejects.toBeInstanceOf(ConfigurationError);
      await expect(rejection).rejects.toMatchObject({ name: 'ConfigurationError', path: 'tablePrefix' });
      expect(() => createPostgresStores({ pool, tablePrefix })).toThrow(
        expect.objectContaining({ name: 'ConfigurationError', path: 'tablePrefix' }),
      );
      expect(pool.connect).not.toHaveBeenCalled();
      expect(pool.query).not.toHaveBeenCalled();
    },
  );

  it('accepts the longest allowed prefix (31 characters)', async () => {
    const pool = { connect: jest.fn().mockRejectedValue(new Error('reached the database')), query: jest.fn() };
    await expect(migrate(pool, { tablePrefix: `a${'b'.repeat(30)}` })).rejects.toThrow('reached the database');
  });

  describe('the CLI (lib/postgres/cli.ts)', () => {
    it("prints 'applied migrations: <every version>', then 'schema is up to date' on the next run", async () => {
      const schema = schemaName('migrate_cli');
      const pool = await fresh('migrate_cli');
      const env = cliEnv({ DATABASE_URL: DATABASE_URL as string, PGOPTIONS: `-c search_path=${schema}` });

      expect(await runCli(env)).toEqual({ code: 0, stdout: `applied migrations: ${VERSIONS.join(', ')}\n`, stderr: '' });
      expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `oauth_${t}`));
      expect(await runCli(env)).toEqual({ code: 0, stdout: 'schema is up to date\n', stderr: '' });
      expect(await appliedIn(pool)).toEqual(SHIPPED);
    });

    it('takes the table prefix from OAUTH_TABLE_PREFIX', async () => {
      const schema = schemaName('migrate_cli_prefix');
      const pool = await fresh('migrate_cli_prefix');
      const env = cliEnv({
        DATABASE_URL: DATABASE_URL as string,
        PGOPTIONS: `-c search_path=${schema}`,
        OAUTH_TABLE_PREFIX: 'idp_',
      });
      expect(await runCli(env)).toEqual({ code: 0, stdout: `applied migrations: ${VERSIONS.join(', ')}\n`, stderr: '' });
      expect(await tablesIn(pool, schema)).toEqual(TABLES.map((t) => `idp_${t}`));
    });

    it('exits 2 with a message when DATABASE_URL is unset', async () => {
      expect(await runCli(cliEnv({}))).toEqual({
        code: 2,
        stdout: '',
        stderr: 'express-oauth2-provider-migrate: set DATABASE_URL (postgresql://user@host:port/db)\n',
      });
    });

    it('exits 1 with the reason when OAUTH_TABLE_PREFIX is not a valid prefix', async () => {
      const env = cliEnv({ DATABASE_URL: DATABASE_URL as string, OAUTH_TABLE_PREFIX: 'Bad-Prefix' });
      expect(await runCli(env)).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'express-oauth2-provider-migrate: tablePrefix: must be lower-case letters, digits and "_", starting with a letter or "_" (at most 31 characters)\n',
      });
    });

    it('exits 1 with the reason when the database cannot be reached, without printing the password', async () => {
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      const env = cliEnv({ DATABASE_URL: 'postgresql://app:hunter2-db-password@127.0.0.1:1/app' });
      const result = await runCli(env);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(/^express-oauth2-provider-migrate: .*ECONNREFUSED.*\n$/),
      });
      expect(result.stderr).not.toContain('hunter2');
    });
  });
});
