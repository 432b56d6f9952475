import type { Request, Router } from 'express';
import type { Emit } from '../events';
import { UnauthorizedClientError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import { findToken } from '../tokens/token-lookup';
import { methodNotAllowed } from './method-not-allowed';
import { readTokenRequest, type TokenRequestDeps } from './token-request';

/**
 * `POST {basePath}/revoke` (RFC 7009). The client authenticates as at the token endpoint; it
 * may revoke only tokens issued to it. Revoking any token revokes its whole grant family: a
 * refresh token takes its access tokens with it, and an access token its refresh token (the
 * behaviour the seeds promise). An unknown token is answered 200 (RFC 7009 §2.2).
 */
export function mountRevocationEndpoint(
  router: Router,
  deps: TokenRequestDeps & { emit: Emit },
): void {
  router.post(
    deps.path,
    deps.limits.ip('revoke'),
    asyncHandler(async (req: Request, res) => {
      const { client, token, hint } = await readTokenRequest(req, res, deps, 'revoke');
      const found = await findToken(token, hint, deps);
      if (found) {
        // RFC 7009 §2.1: a token of another client is refused, and the client told so.
        if (found.record.clientId !== client.id) throw new UnauthorizedClientError('The token was not issued to this client');
        await deps.tokens.revokeFamily(found.record.familyId, new Date());
        deps.emit('token.revoked', {
          ip: req.ip,
          clientId: client.id,
          userId: found.record.userId,
          familyId: found.record.familyId,
          tokenType: found.kind === 'access' ? 'access_token' : 'refresh_token',
        });
      }
      res.statusCode = 200;
      res.end();
    }),
    deps.errorHandler,
  );
  router.all(deps.path, methodNotAllowed('The revocation endpoint accepts POST only'));
}
