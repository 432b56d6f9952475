import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  AccessDeniedError,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidScopeError,
  OAuthError,
  RateLimitedError,
  ServerError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  UnsupportedResponseTypeError,
} from '../errors';
import type { Emit } from '../events';
import type { Logger } from '../internal/logger';
import { setOutcome } from '../metrics/outcome';

/**
 * oauth2orize's own errors (TokenError, AuthorizationError) carry an RFC code but the wrong
 * status for some (403 for invalid_grant, 501 for unsupported_grant_type). We keep the code
 * and its message (they are protocol messages like "Missing required parameter: username")
 * and take the status from our class.
 */
const FROM_CODE: Record<string, (message: string) => OAuthError> = {
  invalid_request: (m) => new InvalidRequestError(m),
  invalid_client: () => new InvalidClientError(),
  invalid_grant: (m) => new InvalidGrantError(m),
  unauthorized_client: (m) => new UnauthorizedClientError(m),
  unsupported_grant_type: (m) => new UnsupportedGrantTypeError(m),
  invalid_scope: (m) => new InvalidScopeError(m),
  access_denied: (m) => new AccessDeniedError(m),
  unsupported_response_type: (m) => new UnsupportedResponseTypeError(m),
};

/** Turns anything thrown into an OAuthError; unknown errors become a generic ServerError. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  if (err instanceof Error && ['TokenError', 'AuthorizationError'].includes(err.name)) {
    const code = (err as { code?: unknown }).code;
    const make = typeof code === 'string' ? FROM_CODE[code] : undefined;
    if (make) return make(err.message);
  }
  return new ServerError(err);
}

/**
 * `error_description` may only hold %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1, §5.2):
 * our own messages keep to that; this guards the ones we pass through (oauth2orize's, and
 * OAuthErrors a store may throw).
 */
export function toErrorDescription(message: string): string {
  return message.replace(/"/g, "'").replace(/\\/g, '/').replace(/§/g, 'section ').replace(/[^\x20-\x7e]/g, '?');
}

/** Logs a 5xx with what caused it (never sent to the client); other errors are not logged. */
export function logServerError(logger: Logger, error: OAuthError, req: Request, emit?: Emit): void {
  if (error.status < 500) return;
  emit?.('server.error', { ip: req.ip, method: req.method, path: req.path, code: error.code });
  logger.error(
    { err: (error as { cause?: unknown }).cause ?? error, method: req.method, path: req.path },
    `${req.method} ${req.path} failed with ${error.code}`,
  );
}

/** Sets the headers every token-endpoint response carries (RFC 6749 §5.1, §5.2). */
export function setNoStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/**
 * The JSON error responder for our endpoints: `{ error, error_description }` with the status
 * of the RFC (§5.2), `WWW-Authenticate` on 401, no-store caching. 5xx details are logged with
 * their cause and never sent.
 */
export function createErrorHandler(options: { logger: Logger; realm: string; emit?: Emit }): ErrorRequestHandler {
  return (err, req, res, next) => {
    const error = toOAuthError(err);
    logServerError(options.logger, error, req, options.emit);
    setOutcome(req, error.code);
    if (res.headersSent) {
      // Too late to answer properly; end the response rather than leave it hanging.
      next(err);
      return;
    }
    if (error instanceof InvalidClientError) {
      res.setHeader('WWW-Authenticate', `Basic realm="${options.realm}"`);
    }
    sendJsonError(res, error);
  };
}

/** How long a client should wait before retrying after `error`, if it is that kind of error. */
export function retryAfter(error: OAuthError): string | undefined {
  if (error instanceof RateLimitedError) return String(error.retryAfter);
  return error instanceof TemporarilyUnavailableError ? '5' : undefined;
}

/** Writes `{ error, error_description }` with the error's status, no-store and `Retry-After`. */
export function sendJsonError(res: Response, error: OAuthError): void {
  setNoStore(res);
  const wait = retryAfter(error);
  if (wait !== undefined) res.setHeader('Retry-After', wait);
  const body: Record<string, string> = { error: error.code };
  if (error.expose) body.error_description = toErrorDescription(error.message);
  // Written by hand, not res.json(): the same Content-Type as oauth2orize's success
  // responses, and identical on Express 4 and 5.
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
