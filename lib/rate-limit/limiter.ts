import type { Request, Response } from 'express';
import type { RateLimitInfo, Store } from 'express-rate-limit';
import { RateLimitedError } from '../errors';
import type { Logger } from '../internal/logger';
import { expressRateLimit } from './load-express-rate-limit';

/** Where express-rate-limit puts its counts on the request (not `rateLimit`, which may be the host's). */
const INFO = 'oauth2ProviderRateLimit';

/**
 * One check: the key (unprefixed: the store adds the limiter's name) and the budget (both
 * ignored by an IP limiter), and the `error_description` for a refusal.
 */
export interface Check {
  key?: string;
  limit?: number;
  describe(retryAfter: number): string;
}

/** One express-rate-limit instance, run as a promise: resolves if within budget, rejects otherwise. */
export interface Limiter {
  /**
   * Counts one hit; rejects with `RateLimitedError` over budget, or with the store's failure.
   * Resolves to whether the hit was counted (not when a failing store let it through).
   */
  hit(req: Request, res: Response, check: Check): Promise<boolean>;
  /** Takes a hit back (a password check that succeeded). */
  takeBack(key: string): Promise<void>;
}

/**
 * Builds one limiter over `store` with a fixed window. Its own response headers are off (several
 * limiters run on one request and would overwrite each other's); the 429 is produced by our
 * error handler from the `RateLimitedError`, with `Retry-After`. Its warnings (e.g. Express's
 * `trust proxy` set to `true`, which lets anyone pick their IP) go to our logger, never the console.
 */
export function createLimiter(o: {
  name: string;
  store: Store;
  windowSeconds: number;
  logger: Logger;
  refuse: boolean;
  /** Counts `req.ip` (IPv6 by /56) with express-rate-limit's own key generator and its checks. */
  byIp?: { limit: number };
}): Limiter {
  const pending = new WeakMap<Request, Check>();
  const log = (level: 'warn' | 'error') => (err: unknown, msg?: string) =>
    o.logger[level]({ err: (err as { cause?: unknown })?.cause ?? err, limiter: o.name }, msg ?? 'express-rate-limit');
  const middleware = expressRateLimit().rateLimit({
    windowMs: o.windowSeconds * 1000,
    limit: o.byIp ? o.byIp.limit : (req) => pending.get(req)?.limit as number,
    ...(o.byIp ? {} : { keyGenerator: (req: Request) => pending.get(req)?.key as string }),
    store: o.store,
    requestPropertyName: INFO,
    legacyHeaders: false,
    standardHeaders: false,
    passOnStoreError: !o.refuse,
    logger: { warn: log('warn'), error: log('error') },
    // Limiters for a client's own window are made on its first request, on purpose.
    validate: { creationStack: false },
    handler: (req, _res, next) => {
      const info = (req as unknown as Record<string, RateLimitInfo>)[INFO] as RateLimitInfo;
      const left = info.resetTime ? Math.ceil((info.resetTime.getTime() - Date.now()) / 1000) : o.windowSeconds;
      const retryAfter = Math.max(1, left);
      next(new RateLimitedError((pending.get(req) as Check).describe(retryAfter), retryAfter));
    },
  });
  return {
    hit: (req, res, check) =>
      new Promise<boolean>((resolve, reject) => {
        pending.set(req, check);
        const info = req as unknown as Record<string, RateLimitInfo | undefined>;
        // Set again only if the store counted this hit. Cleared, not deleted: a delete turns the
        // host's request into a slow dictionary-mode object for the rest of its life.
        info[INFO] = undefined;
        void middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve(info[INFO] !== undefined)));
      }),
    takeBack: async (key) => {
      try {
        await o.store.decrement(key);
      } catch (err) {
        // The password was right: a counter that cannot be corrected must not fail the sign-in.
        log('error')(err, 'rate-limit store failed to take back a hit');
      }
    },
  };
}
