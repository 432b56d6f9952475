import type { Request, Router } from 'express';
import { registeredAuthMethod } from '../client-auth/verify-client';
import { InvalidClientError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import type { ClientRecord, Stores } from '../stores/types';
import { isGrantAllowed } from '../tokens/grant-status';
import { findToken, type FoundToken } from '../tokens/token-lookup';
import { methodNotAllowed } from './method-not-allowed';
import { readTokenRequest, type TokenRequestDeps } from './token-request';

/**
 * `POST {basePath}/introspect` (RFC 7662). Only authenticated (confidential) clients may ask.
 * A client sees its own tokens; a client with `canIntrospect` (a resource server) sees all.
 * Unknown, expired, revoked, consumed or foreign tokens are all just `{"active": false}`.
 */
export function mountIntrospectionEndpoint(
  router: Router,
  deps: TokenRequestDeps & { audience: string | string[]; accounts: Pick<Stores, 'clients' | 'users'> },
): void {
  router.post(
    deps.path,
    deps.limits.ip('introspect'),
    asyncHandler(async (req: Request, res) => {
      const { client, token, hint } = await readTokenRequest(req, res, deps, 'introspect');
      if (registeredAuthMethod(client) === 'none') throw new InvalidClientError('Public clients cannot use the introspection endpoint');
      const found = await findToken(token, hint, deps);
      // A token of a client or user disabled since it was issued is no longer active.
      const active = found !== undefined && isActive(found, client) && (await isGrantAllowed(deps.accounts, found.record));
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(active ? describe(found, deps) : { active: false }));
    }),
    deps.errorHandler,
  );
  router.all(deps.path, methodNotAllowed('The introspection endpoint accepts POST only'));
}

function isActive(found: FoundToken, client: ClientRecord): boolean {
  if (found.record.clientId !== client.id && !client.canIntrospect) return false;
  if (found.record.expiresAt.getTime() <= Date.now()) return false;
  return !(found.kind === 'refresh' && found.record.consumedAt);
}

/** RFC 7662 §2.2 members for an active token. */
function describe(found: FoundToken, deps: { issuer: string; audience: string | string[] }): Record<string, unknown> {
  const { record } = found;
  const body: Record<string, unknown> = { active: true };
  if (record.scope.length > 0) body.scope = record.scope.join(' ');
  body.client_id = record.clientId;
  if (found.kind === 'access') body.token_type = 'Bearer';
  body.exp = Math.floor(record.expiresAt.getTime() / 1000);
  body.iat = Math.floor(record.createdAt.getTime() / 1000);
  body.sub = record.userId ?? record.clientId;
  body.aud = found.kind === 'access' && found.claims ? found.claims.aud : deps.audience;
  body.iss = deps.issuer;
  if (found.kind === 'access' && found.claims) body.jti = found.claims.jti;
  return body;
}
