import oauth2orize, { type ExchangeDoneFunction, type OAuth2Req, type OAuth2Server } from 'oauth2orize';
import { InvalidGrantError } from '../errors';
import type { AuthorizationCodeRecord, ClientRecord } from '../stores/types';
import { verifyPkce } from '../tokens/pkce';
import { hashToken, randomToken } from '../tokens/secrets';
import { type IssueRequest, newId } from '../tokens/token-service';
import { type AuthInfo, type Body, type GrantContext, respond } from './grant-context';
import type { BrowserRequest, Principal } from './browser-request';
import { responseModes } from './response-modes';

/**
 * `response_type=code` (RFC 6749 §4.1) and its exchange at the token endpoint
 * (`grant_type=authorization_code`, §4.1.3) with PKCE (RFC 7636).
 *
 * A code is 256 random bits, stored only as its hash, bound to the client, the exact
 * redirect URI and the PKCE challenge, and lives `authorizationCodeLifetime` seconds (60 by
 * default). It is consumed atomically; presenting it again revokes everything issued from it.
 */
export function registerAuthorizationCodeGrant(
  server: OAuth2Server,
  ctx: GrantContext & { issuer: string; codeLifetime: number },
): void {
  server.grant(
    oauth2orize.grant.code(
      { modes: responseModes(ctx.issuer) },
      // Seven named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (
        client: ClientRecord,
        redirectUri: string,
        user: Principal,
        _ares: unknown,
        areq: OAuth2Req,
        _locals: unknown,
        done: (err: Error | null, code?: string) => void,
      ) => {
        issueCode(ctx, client, redirectUri, user, areq as unknown as BrowserRequest).then((code) => done(null, code), done);
      },
    ),
  );

  server.exchange(
    'authorization_code',
    oauth2orize.exchange.authorizationCode(
      { userProperty: ctx.clientProperty },
      // Six named parameters: oauth2orize picks the call by fn.length (docs/adr/0001).
      (client: ClientRecord, code: string, redirectUri: string, body: Record<string, unknown>, authInfo: AuthInfo, done: ExchangeDoneFunction) => {
        respond(done, exchange(ctx, client, code, redirectUri, body as Body, authInfo));
      },
    ),
  );
}

async function issueCode(ctx: GrantContext & { codeLifetime: number }, client: ClientRecord, redirectUri: string, user: Principal, areq: BrowserRequest) {
  const code = randomToken();
  const now = Date.now();
  const request = areq.eop;
  await ctx.stores.tokens.saveAuthorizationCode({
    hash: hashToken(code),
    familyId: newId(),
    clientId: client.id,
    userId: user.id,
    ...(user.realm !== undefined ? { realm: user.realm } : {}),
    scope: request.scope,
    redirectUri,
    ...(request.codeChallenge !== undefined ? { codeChallenge: request.codeChallenge, codeChallengeMethod: request.codeChallengeMethod } : {}),
    createdAt: new Date(now),
    expiresAt: new Date(now + ctx.codeLifetime * 1000),
  });
  return code;
}

async function exchange(ctx: GrantContext, client: ClientRecord, code: string, redirectUri: string | undefined, body: Body, authInfo: AuthInfo) {
  const { tokens: store, users } = ctx.stores;
  const hash = hashToken(code);
  const record = await store.findAuthorizationCode(hash);
  // Another client's code is answered like an unknown one and left untouched.
  if (!record || record.clientId !== client.id) throw new InvalidGrantError('Invalid authorization code');
  if (record.consumedAt) await revokeReplayed(ctx, record, authInfo);
  if (record.expiresAt.getTime() <= Date.now()) throw new InvalidGrantError('The authorization code has expired');
  // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request, exactly.
  if (redirectUri !== record.redirectUri) {
    throw new InvalidGrantError('redirect_uri does not match the one of the authorization request');
  }
  const verifier = body.code_verifier;
  if (record.codeChallenge !== undefined) {
    if (verifier === undefined) throw new InvalidGrantError('code_verifier is required (RFC 7636 section 4.5)');
    if (!verifyPkce(verifier, record.codeChallenge, record.codeChallengeMethod ?? 'S256')) {
      throw new InvalidGrantError('code_verifier does not match the code_challenge (RFC 7636 section 4.6)');
    }
  } else if (verifier !== undefined) {
    // A verifier for a code issued without a challenge is a PKCE downgrade (RFC 9700 §2.1.1).
    throw new InvalidGrantError('code_verifier was sent but the authorization request had no code_challenge');
  }
  if (record.userId !== undefined) {
    const user = await users.findById(record.userId, { realm: record.realm });
    if (!user || user.disabled) throw new InvalidGrantError('The resource owner is no longer allowed to sign in');
  }
  const allowed = new Set(client.scopes ?? []);
  // Saved before the code is consumed: a store failure leaves the code redeemable (ADR 0004).
  const request: IssueRequest = {
    client,
    userId: record.userId,
    realm: record.realm,
    scope: record.scope.filter((s) => allowed.has(s)),
    familyId: record.familyId,
    withRefreshToken: client.grants.includes('refresh_token'),
    grantType: 'authorization_code',
    caller: authInfo,
    announceLater: true,
  };
  const issued = await ctx.tokens.issue(request);
  if (!(await store.consumeAuthorizationCode(hash, new Date()))) await revokeReplayed(ctx, record, authInfo);
  ctx.tokens.announce(request, issued);
  return issued;
}

async function revokeReplayed(ctx: GrantContext, record: AuthorizationCodeRecord, authInfo: AuthInfo): Promise<never> {
  // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization
  // server MUST deny the request and SHOULD revoke (when possible) all tokens previously
  // issued based on that authorization code."
  await ctx.stores.tokens.revokeFamily(record.familyId, new Date());
  ctx.emit('authorization_code.replayed', { ip: authInfo?.ip, clientId: record.clientId, userId: record.userId, familyId: record.familyId });
  throw new InvalidGrantError('The authorization code was already used; tokens issued from it have been revoked');
}
