/**
 * Errors. Every error a client can see is an `OAuthError` with an RFC error code; the
 * router's error handler (lib/router/error-handler.ts) is the only place one becomes a
 * response. Anything that is not an `OAuthError` becomes a generic `server_error`.
 *
 * @module
 */

/** Every error code this server sends (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope';

/**
 * Base class of every protocol error.
 *
 * @example
 * ```ts
 * if (err instanceof OAuthError) logger.warn({ code: err.code, status: err.status }, err.message);
 * ```
 */
export class OAuthError extends Error {
  /** The RFC error code, sent as `error`. */
  readonly code: OAuthErrorCode;
  /** The HTTP status of the response. */
  readonly status: number;
  /** Whether `message` may be sent to the client as `error_description`. */
  readonly expose: boolean;
  /** Whether an authorization-endpoint error may be redirected to the client (RFC 6749 §4.1.2.1). */
  readonly redirectable: boolean;

  constructor(
    code: OAuthErrorCode,
    status: number,
    description: string,
    flags: { expose?: boolean; redirectable?: boolean; cause?: unknown } = {},
  ) {
    super(description, flags.cause === undefined ? undefined : { cause: flags.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = flags.expose ?? true;
    this.redirectable = flags.redirectable ?? true;
  }
}

/** RFC 6749 §5.2: the request is missing a parameter, repeats one, or is otherwise malformed. */
export class InvalidRequestError extends OAuthError {
  constructor(description: string) {
    super('invalid_request', 400, description);
  }
}

/**
 * RFC 6749 §5.2: client authentication failed. Always 401 with a `WWW-Authenticate`
 * challenge; the description never says which part (id or secret) was wrong.
 */
export class InvalidClientError extends OAuthError {
  constructor(description = 'Client authentication failed') {
    super('invalid_client', 401, description, { redirectable: false });
  }
}

/** RFC 6749 §5.2: the grant (code, refresh token, user credentials) is invalid, expired, revoked or not this client's. */
export class InvalidGrantError extends OAuthError {
  constructor(description: string) {
    super('invalid_grant', 400, description);
  }
}

/** RFC 6749 §5.2: the authenticated client may not use this grant type. */
export class UnauthorizedClientError extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', 400, description);
  }
}

/** RFC 6749 §5.2: the server does not support this grant type. */
export class UnsupportedGrantTypeError extends OAuthError {
  constructor(description: string) {
    super('unsupported_grant_type', 400, description);
  }
}

/** RFC 6749 §5.2: the scope is malformed, unknown, or beyond what the client (or grant) allows. */
export class InvalidScopeError extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', 400, description);
  }
}

/** RFC 6749 §4.1.2.1: the resource owner or server denied the request. */
export class AccessDeniedError extends OAuthError {
  constructor(description: string) {
    super('access_denied', 403, description);
  }
}

/** RFC 6749 §4.1.2.1: the server does not support this `response_type`. */
export class UnsupportedResponseTypeError extends OAuthError {
  constructor(description: string) {
    super('unsupported_response_type', 400, description);
  }
}

/**
 * An unexpected failure. The description sent is always generic; `cause` (logged, never
 * sent) keeps what really happened.
 */
export class ServerError extends OAuthError {
  constructor(cause?: unknown) {
    super('server_error', 500, 'The server encountered an unexpected condition', { cause });
  }
}

/** The server cannot handle the request now (a store timed out or is down). */
export class TemporarilyUnavailableError extends OAuthError {
  constructor(cause?: unknown) {
    super('temporarily_unavailable', 503, 'The server is temporarily unable to handle the request', { cause });
  }
}

/**
 * Over a rate limit: `429` (RFC 6585 §4) with `Retry-After`, and the error code RFC 6749
 * defines for a server that cannot handle the request now. Never redirected to the client: the
 * browser gets the page (or JSON) directly, with the header.
 *
 * @example
 * ```ts
 * if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfter));
 * ```
 */
export class RateLimitedError extends OAuthError {
  /** Whole seconds until the budget that refused the request renews (the `Retry-After` value). */
  readonly retryAfter: number;
  constructor(description: string, retryAfter: number) {
    super('temporarily_unavailable', 429, description, { redirectable: false });
    this.retryAfter = retryAfter;
  }
}

/** RFC 6750 §3.1: the access token is missing a part, expired, revoked, malformed or not for here. */
export class InvalidTokenError extends OAuthError {
  constructor(description: string) {
    super('invalid_token', 401, description, { redirectable: false });
  }
}

/** RFC 6750 §3.1: the token is fine but lacks a scope the resource requires. */
export class InsufficientScopeError extends OAuthError {
  /** The scopes the resource requires (sent back in the challenge's `scope`). */
  readonly requiredScope: string[];
  constructor(requiredScope: string[]) {
    super('insufficient_scope', 403, `The access token lacks a required scope: ${requiredScope.join(' ')}`, { redirectable: false });
    this.requiredScope = requiredScope;
  }
}

/**
 * A mistake in the options given to `createOAuthServer()` or in seed data. Thrown at
 * construction, never at request time; `path` names the offending option.
 *
 * @example
 * ```ts
 * try { createOAuthServer({ issuer: 'nope', ... }) }
 * catch (e) { if (e instanceof ConfigurationError) console.error(e.path) } // "issuer"
 * ```
 */
export class ConfigurationError extends Error {
  /** The option path, e.g. `signing.secret` or `clients[0].redirectUris[1]`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ConfigurationError';
    this.path = path;
  }
}
