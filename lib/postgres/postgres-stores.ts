import { ConfigurationError, TemporarilyUnavailableError } from '../errors';
import { type Logger, stderrLogger } from '../internal/logger';
import type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  ConsentRecord,
  InteractionRecord,
  RefreshTokenRecord,
  Stores,
  TokenStore,
  UserContext,
  UserRecord,
  UserStore,
} from '../stores/types';
import { validateTablePrefix } from './migrate';
import { listenForPoolErrors } from './pool-errors';
import { createPostgresClientStore, type PostgresClientStore } from './postgres-clients';
import { nullify, set } from './sql-values';

/** The part of a `pg` Pool this adapter uses (a `pg.Pool` fits; so does a compatible wrapper). */
export interface Queryable {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  /** If present (a `pg.Pool` has it), an `error` listener is added: see `createPostgresStores`. */
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

/** Options of `createPostgresStores()`. */
export interface PostgresStoresOptions {
  /** A `pg` Pool (connection settings, pool size and timeouts are yours). */
  pool: Queryable;
  /** Prefix of every table name. @defaultValue `'oauth_'` */
  tablePrefix?: string;
  /** Where connection errors of idle pool clients are reported. @defaultValue JSON lines on stderr */
  logger?: Logger;
}

/** The PostgreSQL stores, plus what hosts need around them. */
export interface PostgresStores extends Stores {
  /** Clients and groups, with every write method (the client management API's) and `upsert`. */
  clients: PostgresClientStore;
  users: UserStore & {
    /** Inserts or replaces a user (`passwordHash` from `hashPassword()`). */
    upsert(user: UserRecord): Promise<void>;
  };
  tokens: TokenStore & {
    /** Deletes expired codes, tokens and interactions, and revocation markers nothing refers to. Returns the rows deleted. */
    purgeExpired(): Promise<number>;
  };
}

/**
 * Stores over PostgreSQL, created from a `pg` Pool. Every operation is one statement:
 * consuming a code, refresh token or interaction is `UPDATE ... WHERE consumed_at IS NULL`
 * (exactly one of many concurrent callers changes the row), and revoking a family is one
 * upsert into `revoked_families`, which every lookup consults. Connection failures and
 * timeouts become `TemporarilyUnavailableError` (503); other database errors stay errors (500).
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * import { createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const oauth = createOAuthServer({ issuer, signing, stores: createPostgresStores({ pool }) });
 * ```
 */
export function createPostgresStores(options: PostgresStoresOptions): PostgresStores {
  if (typeof options !== 'object' || options === null || typeof options.pool?.query !== 'function') {
    throw new ConfigurationError('pool', 'must be a pg Pool (an object with query())');
  }
  const p = validateTablePrefix(options.tablePrefix ?? 'oauth_');
  listenForPoolErrors(options.pool, options.logger ?? stderrLogger);
  const q = async (text: string, values: unknown[] = []) => {
    try {
      return await options.pool.query({ text, values });
    } catch (err) {
      throw isUnavailable(err) ? new TemporarilyUnavailableError(err) : err;
    }
  };
  const alive = (alias: string) => `NOT EXISTS (SELECT 1 FROM ${p}revoked_families r WHERE r.id = ${alias}.family_id)`;

  const clients = createPostgresClientStore(q, p);

  const users: PostgresStores['users'] = {
    async findByUsername(username: string, context: UserContext) {
      const { rows } = await q(`SELECT * FROM ${p}users WHERE username = $1 AND realm = $2`, [username, context.realm ?? '']);
      return rows[0] && toUser(rows[0]);
    },
    async findById(id: string, context: UserContext) {
      const { rows } = await q(`SELECT * FROM ${p}users WHERE id = $1 AND realm = $2`, [id, context.realm ?? '']);
      return rows[0] && toUser(rows[0]);
    },
    async upsert(user) {
      await q(
        `INSERT INTO ${p}users (id, username, realm, password_hash, disabled, password_changed_at) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (id) DO UPDATE SET username=$2, realm=$3, password_hash=$4, disabled=$5, password_changed_at=$6`,
        [user.id, user.username, user.realm ?? '', user.passwordHash, user.disabled, user.passwordChangedAt].map(nullify),
      );
    },
  };

  const member = (r: { familyId: string; clientId: string; userId?: string; realm?: string; scope: string[]; createdAt: Date; expiresAt: Date }) =>
    [r.familyId, r.clientId, r.userId, r.realm, r.scope, r.createdAt, r.expiresAt].map(nullify);
  const consume = async (table: string, hash: string, at: Date) => {
    const { rowCount } = await q(`UPDATE ${p}${table} t SET consumed_at = $2 WHERE t.hash = $1 AND t.consumed_at IS NULL AND ${alive('t')}`, [hash, at]);
    return rowCount === 1;
  };

  const tokens: PostgresStores['tokens'] = {
    async saveAccessToken(r: AccessTokenRecord) {
      await q(
        `INSERT INTO ${p}access_tokens (family_id, client_id, user_id, realm, scope, created_at, expires_at, id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
        [...member(r), r.id],
      );
    },
    async findAccessToken(id) {
      const { rows } = await q(`SELECT * FROM ${p}access_tokens t WHERE t.id = $1 AND ${alive('t')}`, [id]);
      return rows[0] && ({ id: rows[0].id, ...toMember(rows[0]) } as AccessTokenRecord);
    },
    async saveRefreshToken(r: RefreshTokenRecord) {
      await q(
        `INSERT INTO ${p}refresh_tokens (family_id, client_id, user_id, realm, scope, created_at, expires_at, hash, consumed_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
        [...member(r), r.hash, nullify(r.consumedAt)],
      );
    },
    async findRefreshToken(hash) {
      const { rows } = await q(`SELECT * FROM ${p}refresh_tokens t WHERE t.hash = $1 AND ${alive('t')}`, [hash]);
      return rows[0] && (withConsumed({ hash: rows[0].hash, ...toMember(rows[0]) }, rows[0]) as RefreshTokenRecord);
    },
    consumeRefreshToken: (hash, at) => consume('refresh_tokens', hash, at),
    async saveAuthorizationCode(r: AuthorizationCodeRecord) {
      await q(
        `INSERT INTO ${p}authorization_codes (family_id, client_id, user_id, realm, scope, created_at, expires_at, hash, redirect_uri,
           code_challenge, code_challenge_method, consumed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
        [...member(r), r.hash, r.redirectUri, nullify(r.codeChallenge), nullify(r.codeChallengeMethod), nullify(r.consumedAt)],
      );
    },
    async findAuthorizationCode(hash) {
      const { rows } = await q(`SELECT * FROM ${p}authorization_codes t WHERE t.hash = $1 AND ${alive('t')}`, [hash]);
      const row = rows[0];
      if (!row) return undefined;
      const record = withConsumed({ hash: row.hash, ...toMember(row), redirectUri: row.redirect_uri }, row) as AuthorizationCodeRecord;
      if (row.code_challenge !== null) {
        record.codeChallenge = row.code_challenge as string;
        record.codeChallengeMethod = row.code_challenge_method as 'S256' | 'plain';
      }
      return record;
    },
    consumeAuthorizationCode: (hash, at) => consume('authorization_codes', hash, at),
    async revokeFamily(familyId, at) {
      await q(`INSERT INTO ${p}revoked_families (id, revoked_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [familyId, at]);
    },

    async saveInteraction(r: InteractionRecord) {
      // A replace keeps consumed_at (a late login must not revive a decided request).
      await q(
        `INSERT INTO ${p}interactions (hash, browser_hash, csrf_token, client_id, redirect_uri, response_type, scope, state, code_challenge,
           code_challenge_method, user_id, realm, created_at, expires_at, consumed_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
         ON CONFLICT (hash) DO UPDATE SET browser_hash=$2, csrf_token=$3, client_id=$4, redirect_uri=$5, response_type=$6, scope=$7,
           state=$8, code_challenge=$9, code_challenge_method=$10, user_id=$11, realm=$12, created_at=$13, expires_at=$14,
           consumed_at=COALESCE(${p}interactions.consumed_at, EXCLUDED.consumed_at)`,
        [
          r.hash,
          r.browserHash,
          r.csrfToken,
          r.clientId,
          r.redirectUri,
          r.responseType,
          r.scope,
          r.state,
          r.codeChallenge,
          r.codeChallengeMethod,
          r.userId,
          r.realm,
          r.createdAt,
          r.expiresAt,
          r.consumedAt,
        ].map(nullify),
      );
    },
    async findInteraction(hash) {
      const { rows } = await q(`SELECT * FROM ${p}interactions WHERE hash = $1`, [hash]);
      return rows[0] && toInteraction(rows[0]);
    },
    async consumeInteraction(hash, at) {
      const { rowCount } = await q(`UPDATE ${p}interactions SET consumed_at = $2 WHERE hash = $1 AND consumed_at IS NULL`, [hash, at]);
      return rowCount === 1;
    },

    async saveConsent(r: ConsentRecord) {
      await q(
        `INSERT INTO ${p}consents (user_id, client_id, scope, updated_at) VALUES ($1,$2,$3,$4)
         ON CONFLICT (user_id, client_id) DO UPDATE SET scope=$3, updated_at=$4`,
        [r.userId, r.clientId, r.scope, r.updatedAt],
      );
    },
    async findConsent(userId, clientId) {
      const { rows } = await q(`SELECT * FROM ${p}consents WHERE user_id = $1 AND client_id = $2`, [userId, clientId]);
      const row = rows[0];
      return row && { userId: row.user_id as string, clientId: row.client_id as string, scope: row.scope as string[], updatedAt: row.updated_at as Date };
    },
    async deleteConsent(userId, clientId) {
      await q(`DELETE FROM ${p}consents WHERE user_id = $1 AND client_id = $2`, [userId, clientId]);
    },

    async purgeExpired() {
      // One statement: expired rows go, then markers of families with no member left.
      const { rows } = await q(
        `WITH a AS (DELETE FROM ${p}access_tokens WHERE expires_at <= now() RETURNING 1),
              r AS (DELETE FROM ${p}refresh_tokens WHERE expires_at <= now() RETURNING 1),
              c AS (DELETE FROM ${p}authorization_codes WHERE expires_at <= now() RETURNING 1),
              i AS (DELETE FROM ${p}interactions WHERE expires_at <= now() RETURNING 1),
              f AS (DELETE FROM ${p}revoked_families rf WHERE rf.revoked_at <= now() - interval '10 minutes'
                      AND NOT EXISTS (SELECT 1 FROM ${p}access_tokens x WHERE x.family_id = rf.id AND x.expires_at > now())
                      AND NOT EXISTS (SELECT 1 FROM ${p}refresh_tokens x WHERE x.family_id = rf.id AND x.expires_at > now())
                      AND NOT EXISTS (SELECT 1 FROM ${p}authorization_codes x WHERE x.family_id = rf.id AND x.expires_at > now())
                    RETURNING 1)
         SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM r) + (SELECT count(*) FROM c) + (SELECT count(*) FROM i) + (SELECT count(*) FROM f) AS n`,
      );
      return Number(rows[0]?.n ?? 0);
    },
  };

  return { clients, users, tokens };
}

/** Connection-level failures: the database is down, restarting, unreachable or too slow. */
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '57014', '53300'].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(message)
  );
}

function toUser(row: Record<string, unknown>): UserRecord {
  const user: UserRecord = { id: row.id as string, username: row.username as string };
  if (row.realm !== '') set(user, 'realm', row.realm);
  set(user, 'passwordHash', row.password_hash);
  set(user, 'disabled', row.disabled);
  set(user, 'passwordChangedAt', row.password_changed_at);
  return user;
}

function toMember(row: Record<string, unknown>) {
  const m = {
    familyId: row.family_id as string,
    clientId: row.client_id as string,
    scope: row.scope as string[],
    createdAt: row.created_at as Date,
    expiresAt: row.expires_at as Date,
  };
  set(m, 'userId', row.user_id);
  set(m, 'realm', row.realm);
  return m;
}

function withConsumed<T extends object>(record: T, row: Record<string, unknown>): T {
  set(record, 'consumedAt', row.consumed_at);
  return record;
}

function toInteraction(row: Record<string, unknown>): InteractionRecord {
  const r = {
    hash: row.hash,
    browserHash: row.browser_hash,
    csrfToken: row.csrf_token,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    responseType: row.response_type,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  } as InteractionRecord;
  set(r, 'state', row.state);
  set(r, 'codeChallenge', row.code_challenge);
  set(r, 'codeChallengeMethod', row.code_challenge_method);
  set(r, 'userId', row.user_id);
  set(r, 'realm', row.realm);
  set(r, 'consumedAt', row.consumed_at);
  return r;
}
