import { ConfigurationError } from '../errors';
import { isObject, rejectUnknownKeys } from '../internal/validate';
import type { RateLimitRule } from '../stores/types';
import { validateRateLimitRule } from '../stores/validate-client';

/** The endpoints that are rate limited, as named in options, events and error messages. @example `'token'` */
export type RateLimitedEndpoint = 'token' | 'authorize' | 'login' | 'revoke' | 'introspect';

/** Which budget refused a request (the `limit` field of the `rate_limited` event). @example `'username'` */
export type RateLimitKind = 'ip' | 'client' | 'group' | 'username';

/**
 * A hit counter shared by the instances of a deployment. Structurally the `Store` interface of
 * express-rate-limit 8, so its stores plug in (rate-limit-redis, rate-limit-memcached, ...) as
 * well as `createPostgresRateLimitStore()` from `express-oauth2-provider/postgres`.
 *
 * Keys reach the store already namespaced by limiter (`ip-token:203.0.113.7`,
 * `client-60s:partner-app`, `username:<hash>`), so one table or keyspace serves every limiter.
 *
 * @example
 * ```ts
 * import { RedisStore } from 'rate-limit-redis';
 * rateLimits: { store: () => new RedisStore({ sendCommand: (...args: string[]) => redis.sendCommand(args) }) }
 * ```
 */
export interface RateLimitStore {
  /** Called once with the limiter's options before the first hit; `windowMs` is the window length. */
  init?(options: { windowMs: number }): void | Promise<void>;
  /** Counts one hit for `key` and returns the count in the current window and when it ends. */
  increment(key: string): Promise<{ totalHits: number; resetTime: Date | undefined }> | { totalHits: number; resetTime: Date | undefined };
  /** Takes one hit back (a password check that succeeded). */
  decrement(key: string): Promise<void> | void;
  /** Forgets `key`. */
  resetKey(key: string): Promise<void> | void;
  /** Forgets every key of this store. */
  resetAll?(): Promise<void> | void;
  /** The count and reset time of `key`, if any. */
  get?(key: string): Promise<{ totalHits: number; resetTime: Date | undefined } | undefined> | { totalHits: number; resetTime: Date | undefined } | undefined;
  /** Stops timers and releases resources. */
  shutdown?(): Promise<void> | void;
  /** `true` when keys counted here cannot be seen by other instances (an in-memory store). */
  localKeys?: boolean;
}

/**
 * Per-IP budgets, one per endpoint; `false` turns one endpoint's IP limit off, an endpoint left
 * out keeps its default.
 * @example `{ token: { limit: 1200, windowSeconds: 60 }, introspect: false }`
 */
export type IpRateLimits = Partial<Record<RateLimitedEndpoint, RateLimitRule | false>>;

/**
 * Rate limits (the `rateLimits` option of `createOAuthServer()`): per IP address and endpoint,
 * per client (and per client group), and failed password checks per username. Over budget is
 * `429 temporarily_unavailable` with `Retry-After`. See docs/rate-limits.md.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * import { createPostgresRateLimitStore } from 'express-oauth2-provider/postgres';
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL });
 * createOAuthServer({
 *   ...,
 *   rateLimits: {
 *     ip: { token: { limit: 1200, windowSeconds: 60 } },   // other endpoints keep their defaults
 *     client: { limit: 6000, windowSeconds: 60 },
 *     store: () => createPostgresRateLimitStore({ pool }), // shared by every instance
 *   },
 * });
 * ```
 */
export interface RateLimitOptions {
  /**
   * Requests per client IP address (IPv6 by /56 network), counted per endpoint before the
   * body is read and before client authentication. `authorize` also counts the consent form
   * and the resume after login. `false` turns every IP limit off.
   * @defaultValue token 600/min, authorize 300/min, login 60/min, revoke 600/min, introspect 3000/min
   */
  ip?: false | IpRateLimits;
  /**
   * Requests per authenticated client at token, revoke and introspect, and per validated
   * `client_id` at authorize: one budget over those endpoints. A client's own `rateLimit`
   * replaces it; a group's `rateLimit` (via `ClientStore.findGroup`) applies on top.
   * `false` removes this default (clients' and groups' own budgets still apply).
   * @defaultValue `{ limit: 3000, windowSeconds: 60 }`
   */
  client?: false | RateLimitRule;
  /**
   * Failed password checks per username and realm (password grant and login page together),
   * checked before bcrypt runs: a locked-out username costs no hash. A correct password does
   * not count. `false` turns it off.
   * @defaultValue `{ limit: 10, windowSeconds: 900 }` (10 failures per 15 minutes)
   */
  username?: false | RateLimitRule;
  /**
   * Makes a new hit counter for one limiter (`name` is e.g. `ip-token`, `client-60s`,
   * `username`): give every instance of a deployment the same shared store so they share one
   * budget. Must return a new object on each call (express-rate-limit forbids sharing one).
   * @defaultValue an in-memory store per limiter (express-rate-limit's `MemoryStore`)
   * @example `store: () => createPostgresRateLimitStore({ pool })`
   */
  store?: (name: string) => RateLimitStore;
  /**
   * When the store fails or takes longer than `storeTimeoutMs`: `'allow'` lets the request
   * through unlimited (logged through `logger.error`), `'refuse'` answers
   * `503 temporarily_unavailable`.
   * @defaultValue `'allow'`
   */
  onStoreError?: 'allow' | 'refuse';
}

/** Rate limits after defaults and validation; `undefined` budgets are off. */
export interface ResolvedRateLimits {
  ip: Partial<Record<RateLimitedEndpoint, RateLimitRule>>;
  client?: RateLimitRule;
  username?: RateLimitRule;
  store?: (name: string) => RateLimitStore;
  onStoreError: 'allow' | 'refuse';
}

/**
 * Defaults: generous enough for normal traffic through one NAT or proxy address, tight where
 * people type passwords. Reasons in docs/adr/0011-rate-limiting.md.
 */
export const DEFAULT_RATE_LIMITS = {
  ip: {
    token: { limit: 600, windowSeconds: 60 },
    authorize: { limit: 300, windowSeconds: 60 },
    login: { limit: 60, windowSeconds: 60 },
    revoke: { limit: 600, windowSeconds: 60 },
    introspect: { limit: 3000, windowSeconds: 60 },
  },
  client: { limit: 3000, windowSeconds: 60 },
  username: { limit: 10, windowSeconds: 900 },
} as const satisfies { ip: Record<RateLimitedEndpoint, RateLimitRule>; client: RateLimitRule; username: RateLimitRule };

const ENDPOINTS = Object.keys(DEFAULT_RATE_LIMITS.ip) as RateLimitedEndpoint[];
const OFF: ResolvedRateLimits = { ip: {}, onStoreError: 'allow' };

/** Applies defaults to `rateLimits` and validates it; throws `ConfigurationError` naming the field. */
export function resolveRateLimits(value: unknown): ResolvedRateLimits {
  if (value === false) return OFF;
  if (value === undefined) return resolveRateLimits({});
  if (!isObject(value)) throw new ConfigurationError('rateLimits', 'must be false or an object { ip, client, username, store, onStoreError }');
  rejectUnknownKeys(value, ['ip', 'client', 'username', 'store', 'onStoreError'], 'rateLimits.');
  if (value.store !== undefined && typeof value.store !== 'function') {
    throw new ConfigurationError('rateLimits.store', 'must be a function (name) => store, returning a new store on each call');
  }
  const onStoreError = value.onStoreError ?? 'allow';
  if (onStoreError !== 'allow' && onStoreError !== 'refuse') throw new ConfigurationError('rateLimits.onStoreError', 'must be "allow" or "refuse"');
  return {
    ip: resolveIp(value.ip),
    client: ruleOrOff(value.client, DEFAULT_RATE_LIMITS.client, 'rateLimits.client'),
    username: ruleOrOff(value.username, DEFAULT_RATE_LIMITS.username, 'rateLimits.username'),
    store: value.store as ResolvedRateLimits['store'],
    onStoreError,
  };
}

function resolveIp(value: unknown): ResolvedRateLimits['ip'] {
  if (value === false) return {};
  const given = value ?? {};
  if (!isObject(given)) throw new ConfigurationError('rateLimits.ip', `must be false or an object with any of ${ENDPOINTS.join(', ')}`);
  rejectUnknownKeys(given, ENDPOINTS, 'rateLimits.ip.');
  const ip: ResolvedRateLimits['ip'] = {};
  for (const endpoint of ENDPOINTS) {
    const rule = ruleOrOff(given[endpoint], DEFAULT_RATE_LIMITS.ip[endpoint], `rateLimits.ip.${endpoint}`);
    if (rule) ip[endpoint] = rule;
  }
  return ip;
}

function ruleOrOff(value: unknown, fallback: RateLimitRule, path: string): RateLimitRule | undefined {
  if (value === false) return undefined;
  if (value === undefined) return { ...fallback };
  validateRateLimitRule(value, path);
  return value as RateLimitRule;
}
