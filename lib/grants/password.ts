import oauth2orize, { type ExchangeDoneFunction, type OAuth2Server } from 'oauth2orize';
import { InvalidGrantError, InvalidRequestError } from '../errors';
import type { ClientRecord } from '../stores/types';
import { PASSWORD_EXPIRED, isPasswordExpired } from '../tokens/password-age';
import { parseScope, resolveClientScope } from '../tokens/scope';
import { type AuthInfo, type Body, type GrantContext, respond } from './grant-context';

/**
 * `grant_type=password` (RFC 6749 §4.3): the resource owner's username and password, checked
 * with bcrypt against the user store, in the realm the request names (`realm`, as IBM API
 * Connect sends it). A refresh token is issued when the client may use `refresh_token`.
 */
export function registerPasswordGrant(server: OAuth2Server, ctx: GrantContext): void {
  server.exchange(
    'password',
    oauth2orize.exchange.password(
      { userProperty: ctx.clientProperty },
      // Seven named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (
        client: ClientRecord,
        username: string,
        password: string,
        _scope: string[],
        body: Body,
        authInfo: AuthInfo,
        done: ExchangeDoneFunction,
      ) => {
        respond(done, issue(ctx, client, username, password, body, authInfo));
      },
    ),
  );
}

async function issue(ctx: GrantContext, client: ClientRecord, username: string, password: string, body: Body, authInfo: AuthInfo) {
  // Scope first: a malformed or forbidden scope costs no bcrypt.
  const scope = resolveClientScope(parseScope(body.scope), client);
  const realm = body.realm;
  // With realms configured, a realm outside the list is a bad parameter value, refused before
  // the store or bcrypt is asked anything.
  if (realm !== undefined && ctx.realmIds.size > 0 && !ctx.realmIds.has(realm)) {
    throw new InvalidRequestError('Unknown realm');
  }
  // Before any lookup or bcrypt: a username whose budget of failures is spent costs nothing (429).
  const attempt = await authInfo?.checkPassword?.(username, realm);
  const user = await ctx.stores.users.findByUsername(username, { realm });
  // Always one bcrypt comparison, whether or not the user exists (no enumeration by timing).
  const valid = await ctx.verifyPassword(password, user?.passwordHash);
  if (!user || !valid) {
    ctx.emit('user.authentication_failed', { ip: authInfo?.ip, clientId: client.id, username, realm, via: 'password_grant' });
    throw new InvalidGrantError('Invalid resource owner credentials');
  }
  await attempt?.succeeded();
  if (user.disabled) throw new InvalidGrantError('The resource owner is disabled');
  if (isPasswordExpired(user, ctx.maxPasswordAgeDays)) throw new InvalidGrantError(PASSWORD_EXPIRED);
  return ctx.tokens.issue({
    client,
    userId: user.id,
    realm: user.realm ?? realm,
    scope,
    withRefreshToken: client.grants.includes('refresh_token'),
    grantType: 'password',
    caller: authInfo,
  });
}
