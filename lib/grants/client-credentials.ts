import oauth2orize, { type ExchangeDoneFunction, type OAuth2Server } from 'oauth2orize';
import { UnauthorizedClientError } from '../errors';
import { registeredAuthMethod } from '../client-auth/verify-client';
import type { ClientRecord } from '../stores/types';
import { parseScope, resolveClientScope } from '../tokens/scope';
import { type AuthInfo, type Body, type GrantContext, respond } from './grant-context';

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client gets a token for
 * itself (`sub` is its id). Never a refresh token (§4.4.3).
 */
export function registerClientCredentialsGrant(server: OAuth2Server, ctx: GrantContext): void {
  server.exchange(
    'client_credentials',
    oauth2orize.exchange.clientCredentials(
      { userProperty: ctx.clientProperty },
      // Five named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (client: ClientRecord, _scope: string[], body: Body, authInfo: AuthInfo, done: ExchangeDoneFunction) => {
        respond(done, issue(ctx, client, body, authInfo));
      },
    ),
  );
}

async function issue(ctx: GrantContext, client: ClientRecord, body: Body, authInfo: AuthInfo) {
  // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
  if (registeredAuthMethod(client) === 'none') {
    throw new UnauthorizedClientError('A public client cannot use client_credentials');
  }
  const scope = resolveClientScope(parseScope(body.scope), client);
  return ctx.tokens.issue({ client, scope, withRefreshToken: false, grantType: 'client_credentials', caller: authInfo });
}
