import oauth2orize, { type OAuth2Req, type OAuth2Server } from 'oauth2orize';
import type { ClientRecord } from '../stores/types';
import type { GrantContext } from './grant-context';
import type { BrowserRequest, Principal } from './browser-request';
import { responseModes } from './response-modes';

/**
 * `response_type=token` (RFC 6749 §4.2), only for clients that list `implicit`: the access
 * token goes in the URI fragment, never the query, and never with a refresh token (§4.2.2).
 */
export function registerImplicitGrant(server: OAuth2Server, ctx: GrantContext & { issuer: string }): void {
  server.grant(
    oauth2orize.grant.token(
      { modes: responseModes(ctx.issuer) },
      // Five named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (
        client: ClientRecord,
        user: Principal,
        _ares: unknown,
        areq: OAuth2Req,
        done: (err: Error | null, accessToken?: string, params?: Record<string, unknown>) => void,
      ) => {
        ctx.tokens
          .issue({
            client,
            userId: user.id,
            ...(user.realm !== undefined ? { realm: user.realm } : {}),
            scope: (areq as unknown as BrowserRequest).eop.scope,
            withRefreshToken: false,
            grantType: 'implicit',
            caller: areq as unknown as BrowserRequest,
          })
          .then((issued) => {
            const params: Record<string, unknown> = { expires_in: issued.expiresIn };
            if (issued.scope.length > 0) params.scope = issued.scope.join(' ');
            done(null, issued.accessToken, params);
          }, done);
      },
    ),
  );
}
