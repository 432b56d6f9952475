import { validateClientGroupRecord, validateClientRecord } from '../stores/validate-client';
import type { ClientAdminStore, ClientGroupRecord, ClientRecord, ListQuery, RateLimitRule } from '../stores/types';
import { nullify, set } from './sql-values';

/** Runs one statement (connection failures already mapped to TemporarilyUnavailableError). */
export type Query = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;

/** The PostgreSQL client store: every ClientStore method, plus `upsert` for hosts' own seeding. */
export type PostgresClientStore = ClientAdminStore & {
  /**
   * Inserts or replaces a client (validated like the in-memory seed; secrets as hashes only).
   * It is the host's own tool, so it may register again the id of a client deleted through
   * the admin API.
   */
  upsert(client: ClientRecord): Promise<void>;
};

/** `ClientRecord` fields and their columns (`rateLimit` is two columns, handled apart). */
const CLIENT_COLUMNS: [field: keyof ClientRecord, column: string, type: string][] = [
  ['id', 'id', 'text'],
  ['name', 'name', 'text'],
  ['secretHash', 'secret_hash', 'text'],
  ['tokenEndpointAuthMethod', 'token_endpoint_auth_method', 'text'],
  ['grants', 'grants', 'text[]'],
  ['redirectUris', 'redirect_uris', 'text[]'],
  ['scopes', 'scopes', 'text[]'],
  ['defaultScopes', 'default_scopes', 'text[]'],
  ['accessTokenLifetime', 'access_token_lifetime', 'integer'],
  ['refreshTokenLifetime', 'refresh_token_lifetime', 'integer'],
  ['accessTokenFormat', 'access_token_format', 'text'],
  ['canIntrospect', 'can_introspect', 'boolean'],
  ['requirePkce', 'require_pkce', 'boolean'],
  ['firstParty', 'first_party', 'boolean'],
  ['disabled', 'disabled', 'boolean'],
  ['group', 'group_id', 'text'],
];
const RATE_COLUMNS: [column: string, type: string][] = [
  ['rate_limit', 'integer'],
  ['rate_limit_window_seconds', 'integer'],
];
const COLUMNS = [...CLIENT_COLUMNS.map(([, column, type]) => [column, type]), ...RATE_COLUMNS] as [string, string][];
const COLUMN_LIST = COLUMNS.map(([column]) => column).join(', ');
/** `$1::text, $2::text, ...`: typed, so that `INSERT ... SELECT` knows every parameter's type. */
const TYPED_PARAMS = COLUMNS.map(([, type], i) => `$${i + 1}::${type}`).join(', ');
/** `name = $2, ...`: every column but the id (`$1`). */
const ASSIGNMENTS = COLUMNS.slice(1)
  .map(([column], i) => `${column} = $${i + 2}`)
  .join(', ');

function clientValues(client: ClientRecord): unknown[] {
  return [...CLIENT_COLUMNS.map(([field]) => client[field]), ...rateValues(client.rateLimit)].map(nullify);
}

function rateValues(rule: RateLimitRule | undefined): unknown[] {
  return [rule?.limit, rule?.windowSeconds];
}

/** Maps a `clients` row to the record, leaving NULL columns out. */
export function toClient(row: Record<string, unknown>): ClientRecord {
  const client = {} as ClientRecord;
  for (const [field, column] of CLIENT_COLUMNS) set(client, field, row[column]);
  set(client, 'rateLimit', toRule(row));
  return client;
}

function toGroup(row: Record<string, unknown>): ClientGroupRecord {
  const group = { id: row.id } as ClientGroupRecord;
  set(group, 'name', row.name);
  set(group, 'disabled', row.disabled);
  set(group, 'rateLimit', toRule(row));
  return group;
}

function toRule(row: Record<string, unknown>): RateLimitRule | undefined {
  return row.rate_limit === null ? undefined : { limit: row.rate_limit as number, windowSeconds: row.rate_limit_window_seconds as number };
}

/**
 * `WHERE` and `LIMIT` of a page: ids in byte order (`COLLATE "C"`, whatever the database's
 * collation, so the order is the one the store contract fixes), after the cursor.
 */
function pageSql(query: ListQuery & { group?: string }): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  if (query.after !== undefined) where.push(`id COLLATE "C" > $${values.push(query.after)}`);
  if (query.group !== undefined) where.push(`group_id = $${values.push(query.group)}`);
  const text = `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id COLLATE "C" LIMIT $${values.push(query.limit)}`;
  return { text, values };
}

/**
 * The client store over the `clients`, `client_groups` and `deleted_clients` tables. Every
 * method is one statement; `createClient` inserts only if the id is neither taken nor
 * deleted, in one `INSERT ... SELECT ... WHERE NOT EXISTS ... ON CONFLICT DO NOTHING`, so
 * of concurrent creates exactly one inserts.
 */
export function createPostgresClientStore(q: Query, p: string): PostgresClientStore {
  return {
    async findById(id) {
      const { rows } = await q(`SELECT * FROM ${p}clients WHERE id = $1`, [id]);
      return rows[0] && toClient(rows[0]);
    },
    async upsert(client) {
      validateClientRecord(client, 'client');
      await q(
        `WITH revived AS (DELETE FROM ${p}deleted_clients WHERE id = $1)
         INSERT INTO ${p}clients (${COLUMN_LIST}) VALUES (${TYPED_PARAMS}) ON CONFLICT (id) DO UPDATE SET ${ASSIGNMENTS}`,
        clientValues(client),
      );
    },
    async createClient(client) {
      validateClientRecord(client, 'client');
      const { rowCount } = await q(
        `INSERT INTO ${p}clients (${COLUMN_LIST}) SELECT ${TYPED_PARAMS}
         WHERE NOT EXISTS (SELECT 1 FROM ${p}deleted_clients d WHERE d.id = $1) ON CONFLICT (id) DO NOTHING`,
        clientValues(client),
      );
      return rowCount === 1;
    },
    async updateClient(client) {
      validateClientRecord(client, 'client');
      const { rowCount } = await q(`UPDATE ${p}clients SET ${ASSIGNMENTS} WHERE id = $1`, clientValues(client));
      return rowCount === 1;
    },
    async deleteClient(id) {
      const { rowCount } = await q(
        `WITH gone AS (DELETE FROM ${p}clients WHERE id = $1 RETURNING id)
         INSERT INTO ${p}deleted_clients (id, deleted_at) SELECT id, now() FROM gone
         ON CONFLICT (id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at`,
        [id],
      );
      return rowCount === 1;
    },
    async listClients(query) {
      const page = pageSql(query);
      const { rows } = await q(`SELECT * FROM ${p}clients ${page.text}`, page.values);
      return rows.map(toClient);
    },
    async findGroup(id) {
      const { rows } = await q(`SELECT * FROM ${p}client_groups WHERE id = $1`, [id]);
      return rows[0] && toGroup(rows[0]);
    },
    async saveGroup(group) {
      validateClientGroupRecord(group, 'group');
      await q(
        `INSERT INTO ${p}client_groups (id, name, disabled, rate_limit, rate_limit_window_seconds) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET name = $2, disabled = $3, rate_limit = $4, rate_limit_window_seconds = $5`,
        [group.id, group.name, group.disabled, ...rateValues(group.rateLimit)].map(nullify),
      );
    },
    async listGroups(query) {
      const page = pageSql(query);
      const { rows } = await q(`SELECT * FROM ${p}client_groups ${page.text}`, page.values);
      return rows.map(toGroup);
    },
    async deleteGroup(id) {
      const { rowCount } = await q(`DELETE FROM ${p}client_groups WHERE id = $1`, [id]);
      return rowCount === 1;
    },
  };
}
