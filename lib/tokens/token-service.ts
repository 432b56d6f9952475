import type { Emit } from '../events';
import { randomBase64url } from '../internal/random-pool';
import type { ClientRecord, FamilyMember, TokenStore } from '../stores/types';
import type { KeySet } from './keys';
import { formatScope } from './scope';
import { hashToken, randomToken } from './secrets';

/** What a grant asks the token service to issue. */
export interface IssueRequest {
  client: ClientRecord;
  /** The resource owner; absent for client_credentials (then `sub` is the client id, RFC 9068 §2.2). */
  userId?: string;
  realm?: string;
  /** The scope of this access token. */
  scope: string[];
  /**
   * The scope of the grant as a whole, kept on the refresh token so that a narrowed refresh
   * can widen back later (RFC 6749 §6: the new refresh token has the original scope).
   * @defaultValue `scope`
   */
  grantScope?: string[];
  /** The family to issue into (refresh rotation); a new family when absent. */
  familyId?: string;
  /** Whether to issue a refresh token too. */
  withRefreshToken: boolean;
  /** For the `token.issued` event: the grant and the caller's address. */
  grantType: string;
  /**
   * Where the caller's address is read, only when the event is built (`req.ip` runs proxy-addr
   * over the forwarding headers: not worth it for an event nobody listens to).
   */
  caller?: { readonly ip?: string | undefined };
  /**
   * Leave `token.issued` to the caller (`announce()`), for grants that issue before they
   * consume: a loser of the consume race revokes what it issued and must not report it.
   */
  announceLater?: boolean;
}

/** What the token endpoint returns (RFC 6749 §5.1), before serialisation. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  scope: string[];
  familyId: string;
}

export interface TokenServiceConfig {
  issuer: string;
  audience: string | string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  accessTokenFormat: AccessTokenFormat;
  keys: KeySet;
  tokens: TokenStore;
  emit: Emit;
}

/** JWTs (RFC 9068) verify anywhere with the JWKS; opaque tokens need a store lookup but die at once when revoked. */
export type AccessTokenFormat = 'jwt' | 'opaque';

/** Issues access and refresh tokens and records them in the token store. */
export class TokenService {
  constructor(private readonly config: TokenServiceConfig) {}

  /**
   * Issues an access token (a JWT per RFC 9068) and, when asked, a refresh token. Both
   * records are saved before this resolves, so a token a client holds is always one the
   * store knows (and can revoke).
   */
  async issue(request: IssueRequest): Promise<IssuedTokens> {
    const { client, userId, realm, scope } = request;
    const { issuer, audience, keys, tokens } = this.config;
    const now = Date.now();
    const createdAt = new Date(now);
    const iat = Math.floor(now / 1000);
    const expiresIn = client.accessTokenLifetime ?? this.config.accessTokenLifetime;
    let accessToken: string;
    let id: string;
    if ((client.accessTokenFormat ?? this.config.accessTokenFormat) === 'opaque') {
      accessToken = randomToken();
      id = hashToken(accessToken);
    } else {
      id = newId();
      const claims: Record<string, unknown> = {
        iss: issuer,
        sub: userId ?? client.id,
        aud: audience,
        client_id: client.id,
        iat,
        exp: iat + expiresIn,
        jti: id,
      };
      if (scope.length > 0) claims.scope = formatScope(scope);
      accessToken = await keys.sign(claims);
    }
    // A new family is named after its first access token's id (random already): one random id
    // and one stored string fewer per grant. Most families (every client_credentials grant)
    // hold just that token, and the memory store then finds the family by the token's own key.
    const familyId = request.familyId ?? id;

    const member: Omit<FamilyMember, 'scope' | 'expiresAt'> = { familyId, clientId: client.id, createdAt };
    if (userId !== undefined) member.userId = userId;
    if (realm !== undefined) member.realm = realm;
    const saves: Promise<void>[] = [
      tokens.saveAccessToken({ ...member, id, scope, expiresAt: new Date((iat + expiresIn) * 1000) }),
    ];
    let refreshToken: string | undefined;
    if (request.withRefreshToken) {
      refreshToken = randomToken();
      const lifetime = client.refreshTokenLifetime ?? this.config.refreshTokenLifetime;
      saves.push(
        tokens.saveRefreshToken({
          ...member,
          hash: hashToken(refreshToken),
          scope: request.grantScope ?? scope,
          expiresAt: new Date(now + lifetime * 1000),
        }),
      );
    }
    await Promise.all(saves);
    const issued = { accessToken, refreshToken, expiresIn, scope, familyId };
    if (!request.announceLater) this.announce(request, issued);
    return issued;
  }

  /** Emits `token.issued` for tokens that are really handed out. */
  announce(request: IssueRequest, issued: IssuedTokens): void {
    if (!this.config.emit.listening('token.issued')) return;
    this.config.emit('token.issued', {
      ip: request.caller?.ip,
      clientId: request.client.id,
      userId: request.userId,
      grantType: request.grantType,
      scope: issued.scope,
      familyId: issued.familyId,
      refreshToken: issued.refreshToken !== undefined,
    });
  }
}

/** A random 128-bit id (family ids, `jti`). */
export function newId(): string {
  return randomBase64url(16);
}
