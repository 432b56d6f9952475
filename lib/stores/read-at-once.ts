import type { AccessTokenRecord, TokenStore } from './types';

/** What `findAccessTokenAtOnce` returns when the store has no synchronous answer. */
export const NOT_AT_ONCE: unique symbol = Symbol('not at once');

type Find = (this: TokenStore, id: string) => AccessTokenRecord | undefined;

/** `findAccessToken` methods -> the same read, returning the record itself (not a promise). */
const readsAtOnce = new WeakMap<object, Find>();

/**
 * Registers `now` as the synchronous form of a store class's `findAccessToken`: the same
 * answer, for the same store, without a promise (docs/adr/0023-opaque-bearer-at-once.md).
 * Only for a store whose read neither waits nor fails (the memory store).
 * @internal
 */
export function answersAtOnce(findAccessToken: TokenStore['findAccessToken'], now: Find): void {
  readsAtOnce.set(findAccessToken, now);
}

/**
 * `store.findAccessToken(id)`'s answer, synchronously, when the method the store has right now
 * is one registered by `answersAtOnce`; else `NOT_AT_ONCE`, and the caller awaits the method.
 * Looked up on each call: a method replaced on the instance (a test spy, a host's
 * instrumentation, an `Object.create` override) has no synchronous form, so it is the one
 * that runs, as it would be without this.
 * @internal
 */
export function findAccessTokenAtOnce(store: TokenStore, id: string): AccessTokenRecord | undefined | typeof NOT_AT_ONCE {
  const now = readsAtOnce.get(store.findAccessToken);
  return now === undefined ? NOT_AT_ONCE : now.call(store, id);
}
