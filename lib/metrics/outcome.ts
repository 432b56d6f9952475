import type { Request } from 'express';
import type { OAuthErrorCode } from '../errors';

/**
 * The error code each request was answered with, recorded by the places that turn errors
 * into responses (the JSON and browser error handlers, the login page, the 405 responder).
 * Kept off the request object: nothing is written onto the host's `req`.
 */
const outcomes = new WeakMap<Request, string>();

/** Records the RFC error code the client is being sent (the last one recorded wins). */
export function setOutcome(req: Request, code: OAuthErrorCode): void {
  outcomes.set(req, code);
}

const CODES: ReadonlySet<string> = new Set<OAuthErrorCode>([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
]);

/**
 * A label value from a fixed set, whatever a client sends or a store throws: a known error
 * code, or `'other'` (an `OAuthError` built in JavaScript with a code of its own).
 */
export function codeLabel(code: string): string {
  return CODES.has(code) ? code : 'other';
}

/**
 * The `outcome` label of a finished response: `'rate_limited'` for any 429, else the error
 * code recorded for it, else `'success'` below 400; a 4xx or 5xx nobody named (a host hook's
 * own status) is `'client_error'` or `'server_error'`.
 */
export function outcomeLabel(req: Request, status: number): string {
  if (status === 429) return 'rate_limited';
  const recorded = outcomes.get(req);
  if (recorded !== undefined) return codeLabel(recorded);
  if (status >= 500) return 'server_error';
  return status >= 400 ? 'client_error' : 'success';
}
