import type { ErrorRequestHandler, Request } from 'express';
import { RateLimitedError, ServerError } from '../errors';
import { redirectUrl, sendRedirect } from '../grants/response-modes';
import type { Emit } from '../events';
import type { Logger } from '../internal/logger';
import { renderError } from '../interaction/pages';
import { setOutcome } from '../metrics/outcome';
import { logServerError, retryAfter, sendJsonError, toErrorDescription, toOAuthError } from './error-handler';
import type { RedirectTarget } from './authorize-request';

/** Per request, where its errors may be redirected; kept off the request object. */
const targets = new WeakMap<Request, RedirectTarget>();

/** Remembers where errors of this request may be redirected (once client and URI are proven). */
export function setRedirectTarget(req: Request, target: RedirectTarget): void {
  targets.set(req, target);
}

function getRedirectTarget(req: Request): RedirectTarget | undefined {
  return targets.get(req);
}

/**
 * Errors of the browser endpoints (authorize, login, decision). With a proven redirect target
 * and a redirectable error, the client gets it (RFC 6749 §4.1.2.1, §4.2.2.1) with `state` and
 * `iss`; otherwise the user gets an HTML error page and is never sent anywhere.
 */
export function createBrowserErrorHandler(options: { logger: Logger; issuer: string; css?: string; emit?: Emit }): ErrorRequestHandler {
  return (err, req, res, next) => {
    const error = toOAuthError(err);
    logServerError(options.logger, error, req, options.emit);
    setOutcome(req, error.code);
    if (res.headersSent) {
      next(err);
      return;
    }
    const target = getRedirectTarget(req);
    if (target && error.redirectable) {
      const params: Record<string, string | undefined> = { error: error.code, state: target.state };
      if (error.expose) params.error_description = toErrorDescription(error.message);
      const mode = target.responseType === 'token' ? 'fragment' : 'query';
      sendRedirect(res, redirectUrl(target.redirectUri, mode, params, options.issuer));
      return;
    }
    // A script polling these endpoints (not a person) asks for JSON: give it the JSON error.
    if (error instanceof RateLimitedError && req.accepts(['html', 'json']) === 'json') {
      sendJsonError(res, error);
      return;
    }
    const shown = error instanceof ServerError ? 'Something went wrong on our side. Please try again.' : error.message;
    const wait = retryAfter(error);
    if (wait !== undefined) res.setHeader('Retry-After', wait);
    renderError(res, error.status >= 500 || error instanceof RateLimitedError ? error.status : 400, error.code, shown, options.css);
  };
}
