import type { ErrorRequestHandler, Response } from 'express';
import { ConfigurationError, type OAuthError, TemporarilyUnavailableError } from '../errors';
import type { Emit } from '../events';
import type { Logger } from '../internal/logger';
import { logServerError, setNoStore, toErrorDescription, toOAuthError } from '../router/error-handler';

/**
 * The `error` codes of the client management API: RFC 6749's `invalid_request`, RFC 7591
 * §3.2.2's `invalid_client_metadata` and `invalid_redirect_uri` for client bodies, and two of
 * its own for 404 and 409. Errors of authorization (401/403) are RFC 6750's, from requireToken.
 * @example `{"error":"invalid_redirect_uri","error_description":"redirectUris[0]: must be an absolute URI without a fragment (RFC 6749 section 3.1.2)"}`
 */
export type AdminErrorCode = 'invalid_request' | 'invalid_client_metadata' | 'invalid_redirect_uri' | 'not_found' | 'conflict';

/** A refused admin request: the status and code the client gets, and a description naming the field. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: AdminErrorCode,
    description: string,
  ) {
    super(description);
    this.name = 'AdminApiError';
  }
}

/**
 * A `ConfigurationError` of `validateClientRecord(record, 'client')` (or of a group) as the
 * 400 the admin gets: the field path without the record prefix, and RFC 7591's
 * `invalid_redirect_uri` for redirect URIs.
 */
export function toFieldError(err: unknown, prefix: string, code: AdminErrorCode): unknown {
  if (!(err instanceof ConfigurationError)) return err;
  const field = err.path.startsWith(`${prefix}.`) ? err.path.slice(prefix.length + 1) : err.path;
  const problem = err.message.slice(err.path.length + 2);
  return new AdminApiError(400, field.startsWith('redirectUris') ? 'invalid_redirect_uri' : code, `${field}: ${problem}`);
}

/**
 * Every admin response: JSON written by hand (the same bytes on Express 4 and 5), never
 * cached; no body at all for `undefined` (204).
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  setNoStore(res);
  res.statusCode = status;
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

/**
 * The admin router's error responder: `AdminApiError`s as they are; a store's rejection as
 * a generic `server_error` (500, logged with its cause, emitted as `server.error`) or
 * `temporarily_unavailable` (503 with Retry-After) as at the token endpoint.
 */
export function createAdminErrorHandler(logger: Logger, emit: Emit): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof AdminApiError) {
      sendJson(res, err.status, { error: err.code, error_description: toErrorDescription(err.message) });
      return;
    }
    // Express's own 400 for a path it cannot decode (a malformed %-escape in an id).
    if ((err as { status?: unknown })?.status === 400 && err instanceof URIError) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'The request path is not valid percent-encoded UTF-8' });
      return;
    }
    const error: OAuthError = toOAuthError(err);
    logServerError(logger, error, req, emit);
    if (error instanceof TemporarilyUnavailableError) res.setHeader('Retry-After', '5');
    const body: Record<string, string> = { error: error.code };
    if (error.expose) body.error_description = toErrorDescription(error.message);
    sendJson(res, error.status, body);
  };
}
