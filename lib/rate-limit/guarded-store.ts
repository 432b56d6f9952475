import type { Store } from 'express-rate-limit';
import { TemporarilyUnavailableError } from '../errors';
import { withTimeout } from '../stores/time-limit';
import type { RateLimitStore } from './options';

/**
 * One limiter's view of a hit counter, as express-rate-limit sees it:
 * - every key is prefixed with the limiter's name, so limiters never count each other's hits
 *   even when a host's factory hands them stores over one table or keyspace;
 * - every call is bounded by `timeoutMs` (a stalled shared store must not hang requests);
 * - with `refuse`, any failure becomes `TemporarilyUnavailableError` (503), because
 *   express-rate-limit forwards it to our error handler, which would make anything else a 500.
 *   With `allow`, failures reach express-rate-limit as they are, and it lets the request
 *   through (`passOnStoreError`) after logging them through our logger.
 */
export function guardStore(name: string, store: RateLimitStore, o: { timeoutMs: number; refuse: boolean }): Store {
  const prefix = `${name}:`;
  const call = async <T>(op: string, work: () => T | Promise<T>): Promise<T> => {
    try {
      return await withTimeout(Promise.resolve().then(work), o.timeoutMs, `rate-limit ${op}`);
    } catch (err) {
      if (!o.refuse || err instanceof TemporarilyUnavailableError) throw err;
      throw new TemporarilyUnavailableError(err);
    }
  };
  return {
    prefix,
    localKeys: store.localKeys ?? false,
    init: (options) => store.init?.(options),
    increment: (key) => call('increment', () => store.increment(prefix + key)),
    decrement: (key) => call('decrement', () => store.decrement(prefix + key)),
    resetKey: (key) => call('resetKey', () => store.resetKey(prefix + key)),
    get: (key) => call('get', () => store.get?.(prefix + key)),
    shutdown: () => store.shutdown?.(),
  };
}
