import { ConfigurationError } from '../errors';
import { type Logger, stderrLogger } from '../internal/logger';
import type { RateLimitStore } from '../rate-limit/options';
import { validateTablePrefix } from './migrate';
import { listenForPoolErrors } from './pool-errors';
import type { Queryable } from './postgres-stores';

/** Options of `createPostgresRateLimitStore()`. */
export interface PostgresRateLimitStoreOptions {
  /** A `pg` Pool (it may be the one your `createPostgresStores()` uses). */
  pool: Queryable;
  /** Prefix of the table name, as given to `migrate()`. @defaultValue `'oauth_'` */
  tablePrefix?: string;
  /** Where a failed background purge and lost pool connections are reported. @defaultValue JSON lines on stderr */
  logger?: Logger;
}

/** A rate-limit store over the `rate_limits` table (migration 3). */
export interface PostgresRateLimitStore extends RateLimitStore {
  /**
   * Deletes the rows whose window has ended; returns how many. The store already does this by
   * itself, at most once per window, on a hit: call it from a job only if you want to.
   */
  purgeExpired(): Promise<number>;
}

/**
 * A hit counter in PostgreSQL, shared by every instance of a deployment: give it to
 * `rateLimits.store` and all instances count against one budget.
 *
 * Each hit is one atomic statement, `INSERT ... ON CONFLICT (key) DO UPDATE`, that starts a new
 * window when the stored one has ended and otherwise adds one: concurrent hits on any number of
 * instances are all counted, none lost, with no read-then-write race. Windows run on the
 * database's clock, so instances with skewed clocks still agree. Rows whose window has ended
 * are reused by the key's next hit, and deleted in the background at most once per window.
 *
 * Run `migrate()` (or `npx express-oauth2-provider-migrate`) first: it creates the table.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * import { createPostgresRateLimitStore, createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool);
 * const oauth = createOAuthServer({
 *   issuer, signing,
 *   stores: createPostgresStores({ pool }),
 *   rateLimits: { store: () => createPostgresRateLimitStore({ pool }) }, // a new store per limiter
 * });
 * ```
 */
export function createPostgresRateLimitStore(options: PostgresRateLimitStoreOptions): PostgresRateLimitStore {
  if (typeof options !== 'object' || options === null || typeof options.pool?.query !== 'function') {
    throw new ConfigurationError('pool', 'must be a pg Pool (an object with query())');
  }
  const table = `${validateTablePrefix(options.tablePrefix ?? 'oauth_')}rate_limits`;
  const logger = options.logger ?? stderrLogger;
  listenForPoolErrors(options.pool, logger);
  const q = (text: string, values: unknown[] = []) => options.pool.query({ text, values });
  let windowMs: number | undefined;
  let lastPurge = 0;

  const purgeExpired = async () => (await q(`DELETE FROM ${table} WHERE reset_at <= now()`)).rowCount ?? 0;
  /** At most once per window, on a hit, without making the hit wait for it. */
  const purgeNow = (window: number) => {
    const now = Date.now();
    if (now - lastPurge < window) return;
    lastPurge = now;
    purgeExpired().catch((err: Error & { code?: string }) =>
      logger.warn({ err: { code: err.code, message: err.message } }, 'Purging expired rate-limit rows failed; the next window retries'),
    );
  };

  return {
    localKeys: false,
    init(limiterOptions) {
      windowMs = limiterOptions.windowMs;
    },
    async increment(key) {
      if (windowMs === undefined) throw new Error('The rate-limit store was used before init() gave it a window');
      purgeNow(windowMs);
      // In ON CONFLICT DO UPDATE every expression sees the row as it was: both CASEs agree.
      const { rows } = await q(
        `INSERT INTO ${table} AS r (key, hits, reset_at) VALUES ($1, 1, now() + $2::double precision * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
           reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
         RETURNING hits, reset_at`,
        [key, windowMs],
      );
      const row = rows[0] as { hits: number; reset_at: Date };
      return { totalHits: row.hits, resetTime: row.reset_at };
    },
    async decrement(key) {
      await q(`UPDATE ${table} SET hits = hits - 1 WHERE key = $1 AND hits > 0 AND reset_at > now()`, [key]);
    },
    async resetKey(key) {
      await q(`DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    async get(key) {
      const { rows } = await q(`SELECT hits, reset_at FROM ${table} WHERE key = $1 AND reset_at > now()`, [key]);
      const row = rows[0] as { hits: number; reset_at: Date } | undefined;
      return row && { totalHits: row.hits, resetTime: row.reset_at };
    },
    purgeExpired,
  };
}
