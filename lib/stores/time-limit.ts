import { TemporarilyUnavailableError } from '../errors';
import { addDeadline } from '../internal/deadlines';
import type { ClientStore, Stores, TokenStore, UserStore } from './types';

/**
 * Bounds every store call: one that has not settled after `ms` fails with
 * `TemporarilyUnavailableError` (503), so a stalled database never leaves a request hanging.
 * The call itself is not cancelled (no driver offers that for every operation); a write that
 * completes late is harmless because nothing was returned for it, except a consume: see
 * docs/postgres.md, "Faults".
 */
export function limitStoreCalls(stores: Stores, ms: number): Stores {
  return {
    clients: wrap<ClientStore>(stores.clients, ms),
    users: wrap<UserStore>(stores.users, ms),
    tokens: wrap<TokenStore>(stores.tokens, ms),
  };
}

function wrap<T extends object>(store: T, ms: number): T {
  const limited: Record<string, unknown> = {};
  // Every function the store has, own or inherited (class-based adapters keep methods on the prototype).
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const value = (store as Record<string, unknown>)[name];
      if (name === 'constructor' || name in limited || typeof value !== 'function') continue;
      // Looked up on each call, not captured: a method replaced later (a test spy, a host's
      // instrumentation) is the one that runs.
      limited[name] = (...args: unknown[]) => {
        const method = (store as Record<string, unknown>)[name] as (...a: unknown[]) => Promise<unknown>;
        const work = method.apply(store, args);
        return settlesAtOnce.has(method) ? work : withTimeout(work, ms, name);
      };
    }
  }
  return limited as T;
}

/** Methods marked by `settlesWithoutWaiting`. */
const settlesAtOnce = new WeakSet<object>();

/**
 * Marks every method of a store class as one that settles without waiting on anything: its
 * promise is settled when the call returns (the memory stores: no I/O, no timers). A deadline
 * could never fire for such a call (its timer runs after the promise's reactions), so it gets
 * none: a deadline costs a promise, three closures and a queue entry per call (ADR 0022). Only
 * these very functions are exempt: an override in a subclass, or a method
 * replaced on an instance (a test spy, a host's instrumentation), is bounded as usual.
 * @internal
 */
export function settlesWithoutWaiting(prototype: object): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const value = (prototype as Record<string, unknown>)[name];
    if (name !== 'constructor' && typeof value === 'function') settlesAtOnce.add(value);
  }
}

/**
 * Rejects with `TemporarilyUnavailableError` when `work` has not settled after `ms`. One shared
 * timer per duration watches every pending call (lib/internal/deadlines.ts), not one each.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = addDeadline(ms, () => reject(new TemporarilyUnavailableError(new Error(`store call ${name} took longer than ${ms} ms`))));
    Promise.resolve(work).then(
      (value) => {
        cancel();
        resolve(value);
      },
      (err: unknown) => {
        cancel();
        reject(err);
      },
    );
  });
}
