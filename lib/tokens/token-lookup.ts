import jwt from 'jsonwebtoken';
import type { AccessTokenRecord, RefreshTokenRecord, TokenStore } from '../stores/types';
import type { KeySet } from './keys';
import { hashToken } from './secrets';

export type FoundToken =
  | { kind: 'access'; record: AccessTokenRecord; claims?: Record<string, unknown> }
  | { kind: 'refresh'; record: RefreshTokenRecord };

/**
 * Finds the stored record of a token of ours, whatever its kind (RFC 7009 §2.1, RFC 7662 §2.1:
 * `token_type_hint` decides the order of the search, never its extent). A JWT counts only
 * with a valid signature of ours, expired or not; expiry is the caller's decision.
 */
export async function findToken(
  token: string,
  hint: string | undefined,
  deps: { tokens: TokenStore; keys: KeySet; issuer: string },
): Promise<FoundToken | undefined> {
  const access = async (): Promise<FoundToken | undefined> => {
    const claims = verifiedClaims(token, deps);
    const id = claims ? (claims.jti as string) : hashToken(token);
    const record = await deps.tokens.findAccessToken(id);
    return record && { kind: 'access', record, ...(claims ? { claims } : {}) };
  };
  const refresh = async (): Promise<FoundToken | undefined> => {
    const record = await deps.tokens.findRefreshToken(hashToken(token));
    return record && { kind: 'refresh', record };
  };
  const order = hint === 'refresh_token' ? [refresh, access] : [access, refresh];
  for (const look of order) {
    const found = await look();
    if (found) return found;
  }
  return undefined;
}

function verifiedClaims(token: string, deps: { keys: KeySet; issuer: string }): Record<string, unknown> | undefined {
  const kid = (jwt.decode(token, { complete: true }) as { header?: { kid?: unknown } } | null)?.header?.kid;
  const key = typeof kid === 'string' ? deps.keys.byKid(kid) : undefined;
  if (!key) return undefined;
  try {
    const claims = jwt.verify(token, key.verifyKey, { algorithms: [key.alg], issuer: deps.issuer, ignoreExpiration: true });
    return typeof claims === 'object' && typeof claims.jti === 'string' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
