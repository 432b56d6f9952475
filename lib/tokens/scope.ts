import { InvalidScopeError } from '../errors';
import type { ClientRecord } from '../stores/types';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether a string is a valid single scope token (RFC 6749 §3.3). */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Parses a `scope` parameter: space-delimited tokens, duplicates dropped, order kept.
 * `undefined` in, `undefined` out (the request did not ask for a scope).
 *
 * @throws InvalidScopeError when the value is not a list of RFC 6749 §3.3 scope tokens.
 */
export function parseScope(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const tokens = raw.split(' ');
  if (!tokens.every(isScopeToken)) {
    throw new InvalidScopeError('scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)');
  }
  return [...new Set(tokens)];
}

/**
 * Decides the scope to grant a client: the requested scope if every token is one the client
 * may have, the client's default scope if none was requested.
 *
 * @throws InvalidScopeError naming the scopes the client may not have.
 */
export function resolveClientScope(requested: string[] | undefined, client: ClientRecord): string[] {
  if (requested === undefined) return [...(client.defaultScopes ?? [])];
  const allowed = new Set(client.scopes ?? []);
  const refused = requested.filter((s) => !allowed.has(s));
  if (refused.length > 0) {
    throw new InvalidScopeError(`The client may not request: ${refused.join(' ')}`);
  }
  return requested;
}

/** Formats a scope list for a response or a JWT claim. */
export function formatScope(scope: readonly string[]): string {
  return scope.join(' ');
}
