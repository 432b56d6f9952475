import oauth2orize, { type ExchangeDoneFunction, type OAuth2Server } from 'oauth2orize';
import { InvalidGrantError, InvalidScopeError } from '../errors';
import type { ClientRecord, RefreshTokenRecord } from '../stores/types';
import { parseScope } from '../tokens/scope';
import { hashToken } from '../tokens/secrets';
import type { IssueRequest } from '../tokens/token-service';
import { type AuthInfo, type Body, type GrantContext, respond } from './grant-context';

/**
 * `grant_type=refresh_token` (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14):
 * every refresh consumes the presented token and issues a new one in the same family;
 * presenting a consumed token again revokes the whole family. Scope may narrow, never widen;
 * the new refresh token keeps the original grant's scope (§6). The token is bound to the
 * client it was issued to.
 */
export function registerRefreshTokenGrant(server: OAuth2Server, ctx: GrantContext): void {
  server.exchange(
    'refresh_token',
    oauth2orize.exchange.refreshToken(
      { userProperty: ctx.clientProperty },
      // Six named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (
        client: ClientRecord,
        refreshToken: string,
        _scope: string[],
        body: Body,
        authInfo: AuthInfo,
        done: ExchangeDoneFunction,
      ) => {
        respond(done, refresh(ctx, client, refreshToken, body, authInfo));
      },
    ),
  );
}

async function refresh(ctx: GrantContext, client: ClientRecord, refreshToken: string, body: Body, authInfo: AuthInfo) {
  const { tokens: store, users } = ctx.stores;
  const hash = hashToken(refreshToken);
  const record = await store.findRefreshToken(hash);
  // Another client's token is answered exactly like an unknown one, and left untouched: a
  // client that merely learnt the value must not be able to burn the owner's token.
  if (!record || record.clientId !== client.id) throw new InvalidGrantError('Invalid refresh token');
  if (record.consumedAt) await revokeReused(ctx, record, authInfo);
  if (record.expiresAt.getTime() <= Date.now()) throw new InvalidGrantError('The refresh token has expired');

  const requested = parseScope(body.scope);
  const granted = new Set(record.scope);
  if (requested?.some((s) => !granted.has(s))) {
    throw new InvalidScopeError('The requested scope exceeds the scope originally granted');
  }
  // Scopes the client has since lost are dropped silently; the response shows what was granted.
  const allowed = new Set(client.scopes ?? []);
  const scope = (requested ?? record.scope).filter((s) => allowed.has(s));

  if (record.userId !== undefined) {
    const user = await users.findById(record.userId, { realm: record.realm });
    if (!user) throw new InvalidGrantError('The resource owner no longer exists');
    if (user.disabled) throw new InvalidGrantError('The resource owner is disabled');
  }

  // Save the successor before consuming: if the store fails here, the presented token is
  // still unconsumed and the client's retry works (instead of being taken for reuse).
  const request: IssueRequest = {
    client,
    userId: record.userId,
    realm: record.realm,
    scope,
    grantScope: record.scope,
    familyId: record.familyId,
    withRefreshToken: true,
    grantType: 'refresh_token',
    caller: authInfo,
    announceLater: true,
  };
  const issued = await ctx.tokens.issue(request);
  // The single point of truth: of many concurrent refreshes, exactly one consumes the token.
  // A loser revokes the family, which also kills the successor it just saved.
  if (!(await store.consumeRefreshToken(hash, new Date()))) await revokeReused(ctx, record, authInfo);
  ctx.tokens.announce(request, issued);
  ctx.emit('token.refreshed', { ip: authInfo?.ip, clientId: client.id, userId: record.userId, familyId: record.familyId, scope: issued.scope });
  return issued;
}

async function revokeReused(ctx: GrantContext, record: RefreshTokenRecord, authInfo: AuthInfo): Promise<never> {
  await ctx.stores.tokens.revokeFamily(record.familyId, new Date());
  ctx.emit('refresh_token.reused', { ip: authInfo?.ip, clientId: record.clientId, userId: record.userId, familyId: record.familyId });
  throw new InvalidGrantError('The refresh token was already used; the grant has been revoked');
}
