import { sha256Base64url } from '../internal/sha256';
import type { Request, RequestHandler, Response } from 'express';
import type { Store } from 'express-rate-limit';
import { ConfigurationError, RateLimitedError, TemporarilyUnavailableError } from '../errors';
import type { Emit, OAuthEventMap } from '../events';
import type { Logger } from '../internal/logger';
import type { ClientRecord, ClientStore, RateLimitRule } from '../stores/types';
import { guardStore } from './guarded-store';
import { createLimiter, type Limiter } from './limiter';
import { expressRateLimit } from './load-express-rate-limit';
import type { RateLimitedEndpoint, ResolvedRateLimits } from './options';
import { findClientGroup } from '../stores/client-status';

/** A password check that was let through: tell it when the password was right. */
export interface PasswordAttempt {
  /** The password was right: the attempt no longer counts as a failure. */
  succeeded(): Promise<void>;
}

/** What a password check is about (never the password). */
export interface PasswordCheck {
  username: string;
  realm?: string;
  clientId: string;
  endpoint: 'token' | 'login';
}

/** The server's rate limits, as the routes use them. */
export interface RateLimits {
  /**
   * The first step of `endpoint`'s routes: middleware counting the caller's IP address, or no
   * step at all when that limit is off (an empty list: Express flattens it away, so a disabled
   * limit costs nothing per request).
   */
  ip(endpoint: RateLimitedEndpoint): RequestHandler[];
  /** Counts a request of an identified client against its budget, then its group's. */
  client(req: Request, res: Response, client: ClientRecord, endpoint: RateLimitedEndpoint): Promise<void>;
  /** Counts a password check against the username's budget of failures, before bcrypt runs. */
  password(req: Request, res: Response, check: PasswordCheck): Promise<PasswordAttempt>;
}

type RateLimitedEvent = Omit<OAuthEventMap['rate_limited'], 'at'>;

const nothingToTakeBack: PasswordAttempt = { succeeded: async () => undefined };

/**
 * Builds the limiters: one express-rate-limit instance per IP endpoint, per window length of
 * client and group budgets (a client's own `rateLimit` may have its own window), and one for
 * failed passwords, each over its own store from the factory (or a `MemoryStore`).
 */
export function createRateLimits(
  config: ResolvedRateLimits,
  deps: { logger: Logger; emit: Emit; clients: ClientStore; timeoutMs: number },
): RateLimits {
  const refuse = config.onStoreError === 'refuse';
  const handedOut = new WeakSet<object>();
  const makeStore = (name: string): Store => {
    const store = config.store ? config.store(name) : new (expressRateLimit().MemoryStore)();
    if (typeof store !== 'object' || store === null || !['increment', 'decrement', 'resetKey'].every((m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function')) {
      throw new ConfigurationError('rateLimits.store', `returned no store for "${name}" (an object with increment, decrement and resetKey)`);
    }
    if (handedOut.has(store)) {
      throw new ConfigurationError('rateLimits.store', 'must return a new store on each call (express-rate-limit counts wrongly when limiters share one)');
    }
    handedOut.add(store);
    return guardStore(name, store, { timeoutMs: deps.timeoutMs, refuse });
  };
  const limiter = (name: string, windowSeconds: number, byIp?: { limit: number }) =>
    createLimiter({ name, store: makeStore(name), windowSeconds, logger: deps.logger, refuse, byIp });

  /**
   * Runs a check; a refusal is reported once, as the `rate_limited` event. The event is built
   * only then: `req.ip` runs proxy-addr, not worth it for requests within budget.
   */
  const check = async (work: Promise<boolean>, event: () => RateLimitedEvent): Promise<boolean> => {
    try {
      return await work;
    } catch (err) {
      if (err instanceof RateLimitedError) deps.emit('rate_limited', event());
      throw err;
    }
  };

  // Made now, so that a factory that cannot make stores fails at startup.
  const ipLimiters = new Map<RateLimitedEndpoint, Limiter>();
  for (const [endpoint, rule] of Object.entries(config.ip) as [RateLimitedEndpoint, RateLimitRule][]) {
    ipLimiters.set(endpoint, limiter(`ip-${endpoint}`, rule.windowSeconds, { limit: rule.limit }));
  }
  const byWindow = new Map<string, Limiter>();
  const forWindow = (kind: 'client' | 'group', windowSeconds: number): Limiter => {
    const name = `${kind}-${windowSeconds}s`;
    let found = byWindow.get(name);
    if (!found) {
      found = limiter(name, windowSeconds);
      byWindow.set(name, found);
    }
    return found;
  };
  if (config.client) forWindow('client', config.client.windowSeconds);
  const usernames = config.username && limiter('username', config.username.windowSeconds);

  /** A budget with a window not seen before gets its limiter now; if its store cannot be made, as a store failure. */
  const budget = (kind: 'client' | 'group', rule: RateLimitRule): Limiter | undefined => {
    try {
      return forWindow(kind, rule.windowSeconds);
    } catch (err) {
      if (refuse) throw new TemporarilyUnavailableError(err);
      deps.logger.error({ err, limiter: `${kind}-${rule.windowSeconds}s` }, 'rate-limit store could not be made; request allowed without this limit');
      return undefined;
    }
  };
  const spend = async (req: Request, res: Response, kind: 'client' | 'group', id: string, rule: RateLimitRule, event: () => RateLimitedEvent) => {
    const limiter = budget(kind, rule);
    const whose = kind === 'client' ? 'this client' : "this client's group";
    const describe = (s: number) => `Too many requests from ${whose} (at most ${rule.limit} per ${rule.windowSeconds} seconds); retry in ${s} seconds`;
    if (limiter) await check(limiter.hit(req, res, { key: id, limit: rule.limit, describe }), event);
  };

  return {
    ip(endpoint) {
      const limiter = ipLimiters.get(endpoint);
      if (!limiter) return [];
      const describe = (s: number) => `Too many requests to the ${endpoint} endpoint from this address; retry in ${s} seconds`;
      const limitIp: RequestHandler = (req, res, next) => {
        check(limiter.hit(req, res, { describe }), () => ({ ip: req.ip, endpoint, limit: 'ip' })).then(() => next(), next);
      };
      return [limitIp];
    },

    async client(req, res, client, endpoint) {
      const own = client.rateLimit ?? config.client;
      const event = { clientId: client.id, endpoint };
      if (own) await spend(req, res, 'client', client.id, own, () => ({ ip: req.ip, ...event, limit: 'client' }));
      const group = await findClientGroup(deps.clients, client);
      if (group?.rateLimit) await spend(req, res, 'group', group.id, group.rateLimit, () => ({ ip: req.ip, ...event, limit: 'group', groupId: group.id }));
    },

    async password(req, res, { username, realm, clientId, endpoint }) {
      if (!usernames || !config.username) return nothingToTakeBack;
      const key = usernameKey(username, realm);
      const describe = (s: number) => `Too many failed sign-in attempts for this username; retry in ${s} seconds`;
      const event = () => ({ ip: req.ip, clientId, endpoint, limit: 'username' as const, username, ...(realm !== undefined ? { realm } : {}) });
      const counted = await check(usernames.hit(req, res, { key, limit: config.username.limit, describe }), event);
      // A hit a failing store did not count must not be taken back (it would erase another failure).
      return counted ? { succeeded: () => usernames.takeBack(key) } : nothingToTakeBack;
    },
  };
}

/**
 * The username's key: case and Unicode compatibility forms folded (so `Alice` and `ａｌｉｃｅ`
 * share one budget whatever the user store matches), realm kept apart, and hashed so that the
 * shared store holds no usernames.
 */
function usernameKey(username: string, realm: string | undefined): string {
  return sha256Base64url(`${realm ?? ''}\u0000${username.normalize('NFKC').toLowerCase()}`);
}
