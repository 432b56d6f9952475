import type { Emit } from '../events';
import type { Stores } from '../stores/types';
import type { Logger } from './logger';

/** What companion routers (the client management API) need of a server, beyond its public surface. */
export interface ServerInternals {
  /** The server's stores, with its store-call time limit applied. */
  stores: Stores;
  emit: Emit;
  logger: Logger;
}

// A WeakMap, not a property: nothing of this shows on the server object hosts hold and log.
const internals = new WeakMap<object, ServerInternals>();

export function registerServerInternals(server: object, value: ServerInternals): void {
  internals.set(server, value);
}

/** The internals of a server made by `createOAuthServer()`, or `undefined` for anything else. */
export function serverInternals(server: unknown): ServerInternals | undefined {
  return typeof server === 'object' && server !== null ? internals.get(server) : undefined;
}
