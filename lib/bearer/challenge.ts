import type { Response } from 'express';
import { InsufficientScopeError, type OAuthError } from '../errors';
import { toErrorDescription } from '../router/error-handler';

/**
 * The one place a resource-server error becomes a response (RFC 6750 §3): a
 * `WWW-Authenticate: Bearer` challenge with realm, error, description (and the required
 * scope for insufficient_scope), the same as JSON in the body, never cached.
 * With no error (the request carried no token at all), the challenge is bare (§3.1).
 */
export function sendBearerChallenge(res: Response, realm: string, error?: OAuthError): void {
  const params = [`realm="${quote(realm)}"`];
  const body: Record<string, string> = {};
  if (error) {
    const description = toErrorDescription(error.message);
    params.push(`error="${error.code}"`, `error_description="${description}"`);
    if (error instanceof InsufficientScopeError) params.push(`scope="${error.requiredScope.join(' ')}"`);
    body.error = error.code;
    body.error_description = description;
  } else {
    body.error_description = 'This resource requires a bearer access token (RFC 6750)';
  }
  res.statusCode = error ? error.status : 401;
  // A 5xx is not an authentication challenge.
  if (res.statusCode < 500) res.setHeader('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  if (res.statusCode === 503) res.setHeader('Retry-After', '5');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

function quote(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
