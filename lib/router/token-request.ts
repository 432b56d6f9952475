import type { ErrorRequestHandler, Request, Response } from 'express';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError } from '../errors';
import type { ClientRecord, TokenStore } from '../stores/types';
import type { KeySet } from '../tokens/keys';
import { setNoStore } from './error-handler';
import { readParams } from './read-params';
import type { RateLimits } from '../rate-limit/rate-limits';

/** What the token-taking endpoints (revocation, introspection) are built from. */
export interface TokenRequestDeps {
  path: string;
  authenticateClient: ClientAuthenticator;
  tokens: TokenStore;
  keys: KeySet;
  issuer: string;
  errorHandler: ErrorRequestHandler;
  limits: RateLimits;
}

/**
 * The common start of the endpoints that take a token from an authenticated client
 * (revocation, RFC 7009 §2.1; introspection, RFC 7662 §2.1): no-store headers, our own body
 * parsing, client authentication as at the token endpoint, the client's rate limit, and the
 * required `token`. (The IP rate limit runs before, as the route's first step.)
 */
export async function readTokenRequest(
  req: Request,
  res: Response,
  deps: Pick<TokenRequestDeps, 'authenticateClient' | 'limits'>,
  endpoint: 'revoke' | 'introspect',
): Promise<{ client: ClientRecord; token: string; hint?: string }> {
  setNoStore(res);
  req.body = await readParams(req);
  const client = await deps.authenticateClient(req);
  await deps.limits.client(req, res, client, endpoint);
  const { token, token_type_hint: hint } = req.body as Record<string, string | undefined>;
  if (token === undefined) throw new InvalidRequestError('Missing required parameter: token');
  return { client, token, ...(hint !== undefined ? { hint } : {}) };
}
