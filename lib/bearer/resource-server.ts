import type { RequestHandler } from 'express';
import { ConfigurationError } from '../errors';
import { type Logger, stderrLogger } from '../internal/logger';
import { isNonEmptyString, isObject, rejectUnknownKeys } from '../internal/validate';
import { createAccessTokenVerifier } from '../tokens/access-token-verifier';
import { createRemoteKeySet } from './remote-jwks';
import { createRequireToken, type RequireTokenOptions } from './require-token';

/** Options of `createResourceServer()`. */
export interface ResourceServerOptions {
  /** The authorization server's issuer, exactly as in its tokens' `iss`. */
  issuer: string;
  /** Its JWKS URL (the metadata's `jwks_uri`), e.g. `https://auth.example.com/oauth2/jwks`. */
  jwksUri: string;
  /** The `aud` every token must carry here, unless a route asks for another. @defaultValue not checked */
  audience?: string;
  /** Where JWKS fetch failures are reported. @defaultValue JSON lines on stderr */
  logger?: Logger;
}

/**
 * For an API that runs apart from the authorization server: verifies its JWT access tokens
 * with the keys it publishes, without a shared store. Revocation checks and opaque tokens
 * need the token store, so they are only available on `oauth.requireToken`.
 *
 * @example
 * ```ts
 * const api = createResourceServer({ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/oauth2/jwks' });
 * app.get('/orders', api.requireToken({ scope: 'orders:read' }), (req, res) => res.json({ user: req.oauth?.userId }));
 * ```
 */
export function createResourceServer(options: ResourceServerOptions): { requireToken(options?: RequireTokenOptions): RequestHandler } {
  if (!isObject(options)) throw new ConfigurationError('options', 'must be an object');
  rejectUnknownKeys(options, ['issuer', 'jwksUri', 'audience', 'logger'], '');
  if (!isNonEmptyString(options.issuer)) throw new ConfigurationError('issuer', 'is required');
  if (!isNonEmptyString(options.jwksUri) || !/^https?:\/\//.test(options.jwksUri)) {
    throw new ConfigurationError('jwksUri', 'must be an absolute http(s) URL');
  }
  if (options.audience !== undefined && !isNonEmptyString(options.audience)) {
    throw new ConfigurationError('audience', 'must be a non-empty string');
  }
  const logger = options.logger ?? stderrLogger;
  const verify = createAccessTokenVerifier({ issuer: options.issuer, keys: createRemoteKeySet({ jwksUri: options.jwksUri, logger }) });
  const build = createRequireToken({ verify, issuer: options.issuer, logger, canCheckRevocation: false });
  return {
    requireToken: (routeOptions = {}) =>
      build(options.audience !== undefined && routeOptions.audience === undefined ? { ...routeOptions, audience: options.audience } : routeOptions),
  };
}
