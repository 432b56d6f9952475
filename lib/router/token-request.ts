import type { ErrorRequestHandler, Request, Response } from 'express';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError } from '../errors';
import type { ClientRecord, TokenStore } from '../stores/types';
import type { KeySet } from '../tokens/keys';
import { setNoStore } from './error-handler';
import { readParams } from './read-params';

/** What the token-taking endpoints (revocation, introspection) are built from. */
export interface TokenRequestDeps {
  path: string;
  authenticateClient: ClientAuthenticator;
  tokens: TokenStore;
  keys: KeySet;
  issuer: string;
  errorHandler: ErrorRequestHandler;
}

/**
 * The common start of the endpoints that take a token from an authenticated client
 * (revocation, RFC 7009 §2.1; introspection, RFC 7662 §2.1): no-store headers, our own body
 * parsing, client authentication as at the token endpoint, and the required `token`.
 */
export async function readTokenRequest(
  req: Request,
  res: Response,
  authenticateClient: ClientAuthenticator,
): Promise<{ client: ClientRecord; token: string; hint?: string }> {
  setNoStore(res);
  req.body = await readParams(req);
  const client = await authenticateClient(req, res);
  const { token, token_type_hint: hint } = req.body as Record<string, string | undefined>;
  if (token === undefined) throw new InvalidRequestError('Missing required parameter: token');
  return { client, token, ...(hint !== undefined ? { hint } : {}) };
}
