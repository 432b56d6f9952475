import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ConfigurationError, InsufficientScopeError, InvalidRequestError, type OAuthError } from '../errors';
import type { Emit } from '../events';
import type { Logger } from '../internal/logger';
import { readCookie } from '../interaction/cookies';
import { logServerError, toOAuthError } from '../router/error-handler';
import { isScopeToken } from '../tokens/scope';
import type { AccessTokenVerifier, VerifyOptions } from '../tokens/access-token-verifier';
import { isNonEmptyString, isObject, rejectUnknownKeys } from '../internal/validate';
import type { AccessTokenContext } from './access-token-context';
import { B64TOKEN } from './b64token';
import { sendBearerChallenge } from './challenge';

/** Options of `requireToken()`. */
export interface RequireTokenOptions {
  /** Scopes the token must all have; missing ones give 403 `insufficient_scope`. @defaultValue none */
  scope?: string | string[];
  /** An `aud` the token must carry (for a resource with its own audience). @defaultValue not checked */
  audience?: string;
  /**
   * Check the token store on every request, so a revoked JWT fails at once (opaque tokens are
   * always checked). Costs one store read per request. @defaultValue `false`
   */
  checkRevocation?: boolean;
  /** Accept `access_token` in a form body your app has parsed (RFC 6750 §2.2). @defaultValue `false` */
  allowBodyToken?: boolean;
  /** Accept `?access_token=` (RFC 6750 §2.3; leaks into logs and history). @defaultValue `false` */
  allowQueryToken?: boolean;
  /** Accept a cookie of this name holding `Bearer <token>` (e.g. `'Authorization'`). @defaultValue none */
  cookie?: string;
  /** The `realm` of the challenge. @defaultValue the issuer */
  realm?: string;
}

const KNOWN = ['scope', 'audience', 'checkRevocation', 'allowBodyToken', 'allowQueryToken', 'cookie', 'realm'];
/** The Authorization scheme (RFC 6750 §2.1; schemes are case-insensitive, RFC 9110 §11.1). */
const BEARER = /^bearer(\s|$)/i;

/**
 * Builds `requireToken(options)`: RFC 6750 bearer-token middleware.
 *
 * `extractToken` reads the one token from the places the options allow, and the verifier
 * decides. This used to go through passport.authenticate with passport-http-bearer, but that
 * only handed our already-extracted token back to our verifier, for about 20-40 µs per request
 * (a middleware closure, an Object.create'd strategy with five callbacks, the parse again).
 * test/bearer/passport-http-bearer-parity.test.ts shows passport-http-bearer gives the verifier
 * the same token for every header we accept (docs/adr/0017-passport-off-the-hot-paths.md).
 */
export function createRequireToken(deps: {
  verify: AccessTokenVerifier;
  issuer: string;
  logger: Logger;
  canCheckRevocation: boolean;
  emit?: Emit;
  /** Metrics: told every decision, `'success'` with the token's client, else the error code or `'no_token'`. */
  observe?: (outcome: string, clientId?: string) => void;
}) {
  return (options: RequireTokenOptions = {}): RequestHandler => {
    const config = validate(options, deps.canCheckRevocation);
    const realm = config.realm ?? deps.issuer;
    const verifyOptions: VerifyOptions = { checkRevocation: config.checkRevocation === true };
    if (config.audience !== undefined) verifyOptions.audience = config.audience;
    const required = config.scope === undefined ? [] : ([] as string[]).concat(config.scope);

    // Only the Authorization header may carry the token (the default): the hot path applies.
    const headerOnly = config.allowBodyToken !== true && config.allowQueryToken !== true && !config.cookie;

    const challenge = (res: Response, error?: OAuthError) => {
      deps.observe?.(error ? error.code : 'no_token');
      sendBearerChallenge(res, realm, error);
    };
    const accept = (req: Request, res: Response, next: NextFunction, ctx: AccessTokenContext) => {
      for (const scope of required) {
        if (!ctx.scopes.includes(scope)) return challenge(res, new InsufficientScopeError(required));
      }
      deps.observe?.('success', ctx.clientId);
      req.oauth = ctx;
      // RFC 6750 §2.3: a response to a request with the token in its URI must not be shared.
      if (config.allowQueryToken === true && req.headers.authorization === undefined && hasQueryToken(req)) {
        res.setHeader('Cache-Control', 'private');
      }
      next();
    };

    return (req, res, next) => {
      // In the header, a JWT verified before (without the b64token test: a token equal to one
      // that passed the full check has its form), or an opaque token whose record the store
      // reads synchronously: answered at once, without a promise.
      if (headerOnly) {
        const raw = headerToken(req);
        const ctx = raw === undefined ? undefined : deps.verify.cached(raw, verifyOptions);
        if (ctx !== undefined) return accept(req, res, next, ctx);
      }
      let token: string | undefined;
      try {
        token = extractToken(req, config);
      } catch (err) {
        return challenge(res, err as OAuthError);
      }
      if (token === undefined) return challenge(res);
      deps.verify(token, verifyOptions).then(
        (ctx) => accept(req, res, next, ctx),
        (err: unknown) => {
          const error = toOAuthError(err);
          logServerError(deps.logger, error, req, deps.emit);
          challenge(res, error);
        },
      );
    };
  };
}

/** What follows `Bearer` in the Authorization header, not yet checked for form; `undefined` without one. */
function headerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header !== undefined && BEARER.test(header) ? header.slice(6).trim() : undefined;
}

function hasQueryToken(req: Request): boolean {
  return new URLSearchParams(req.originalUrl.split('?')[1] ?? '').has('access_token');
}

/** The one token the request carries, from the places allowed; two places is invalid_request (RFC 6750 §2). Exported for the parity test. */
export function extractToken(req: Request, options: RequireTokenOptions): string | undefined {
  const found: string[] = [];
  const fromHeader = headerToken(req);
  if (fromHeader !== undefined) found.push(bearerValue(fromHeader));
  if (options.allowBodyToken && req.method !== 'GET' && req.is('application/x-www-form-urlencoded')) {
    const body = req.body as Record<string, unknown> | undefined;
    if (body && body.access_token !== undefined) {
      if (typeof body.access_token !== 'string') throw new InvalidRequestError('access_token must be given once');
      found.push(bearerValue(body.access_token));
    }
  }
  if (options.allowQueryToken) {
    const values = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').getAll('access_token');
    if (values.length > 1) throw new InvalidRequestError('access_token must be given once');
    if (values[0] !== undefined) found.push(bearerValue(values[0]));
  }
  if (options.cookie) {
    const raw = readCookie(req, options.cookie);
    if (raw !== undefined) {
      let value: string;
      try {
        value = decodeURIComponent(raw.replace(/^"|"$/g, ''));
      } catch {
        throw new InvalidRequestError('The access token cookie is malformed');
      }
      if (!/^bearer\s/i.test(value)) throw new InvalidRequestError("The access token cookie must hold 'Bearer <token>'");
      found.push(bearerValue(value.slice(6).trim()));
    }
  }
  if (found.length > 1) throw new InvalidRequestError('Send the access token one way only (RFC 6750 section 2)');
  return found[0];
}

function bearerValue(value: string): string {
  if (!B64TOKEN.test(value)) throw new InvalidRequestError('The bearer token is malformed (RFC 6750 section 2.1)');
  return value;
}

function validate(options: RequireTokenOptions, canCheckRevocation: boolean): RequireTokenOptions {
  if (!isObject(options)) throw new ConfigurationError('requireToken', 'options must be an object');
  rejectUnknownKeys(options, KNOWN, 'requireToken.');
  const scopes = options.scope === undefined ? [] : ([] as unknown[]).concat(options.scope);
  scopes.forEach((s, i) => {
    if (!isScopeToken(s)) throw new ConfigurationError(`requireToken.scope[${i}]`, 'must be a scope token (RFC 6749 §3.3)');
  });
  for (const name of ['audience', 'cookie', 'realm'] as const) {
    if (options[name] !== undefined && !isNonEmptyString(options[name])) {
      throw new ConfigurationError(`requireToken.${name}`, 'must be a non-empty string');
    }
  }
  for (const flag of ['checkRevocation', 'allowBodyToken', 'allowQueryToken'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new ConfigurationError(`requireToken.${flag}`, 'must be a boolean');
    }
  }
  if (options.checkRevocation && !canCheckRevocation) {
    throw new ConfigurationError('requireToken.checkRevocation', 'needs the token store (use oauth.requireToken on the authorization server)');
  }
  return options;
}
