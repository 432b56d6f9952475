import type { Logger } from '../internal/logger';
import type { Queryable } from './postgres-stores';

/** Pools that already have our error listener: one per pool, however many stores share it. */
const listening = new WeakSet<object>();

/**
 * pg emits 'error' on the pool when an idle connection dies (the database restarted); with
 * no listener, Node turns that into an uncaught exception and the process exits. Adds one
 * listener per pool that logs the loss as a warning.
 */
export function listenForPoolErrors(pool: Queryable, logger: Logger): void {
  if (listening.has(pool)) return;
  listening.add(pool);
  // Only code and message: pg attaches the client (with its cancel key) to these errors.
  pool.on?.('error', (err: Error & { code?: string }) =>
    logger.warn({ err: { code: err.code, message: err.message } }, 'PostgreSQL connection lost; the pool will reconnect'),
  );
}
