import type { AccessTokenRecord, AuthorizationCodeRecord, FamilyMember, RefreshTokenRecord } from './types';

/**
 * How the memory store keeps family members (access tokens, refresh tokens, codes): one
 * object of fixed shape per record, times as numbers, the scope array shared between records
 * with the same scope. The store keeps every access token until it expires (docs/adr/0005),
 * and consumed refresh tokens and codes too (reuse detection, docs/adr/0004), so under load
 * these are most of what it holds. Measured by test/stores/memory-footprint.test.ts: an access
 * token 459 -> 185 bytes beyond its id strings, a consumed refresh token 564 -> 215, a consumed
 * code 590 -> 237 (docs/adr/0017-passport-off-the-hot-paths.md).
 * The id (jti or hash) is not kept here: it is the map key.
 */
abstract class StoredMember {
  constructor(
    readonly familyId: string,
    readonly clientId: string,
    readonly userId: string | undefined,
    readonly realm: string | undefined,
    readonly scope: readonly string[],
    readonly createdAtMs: number,
    readonly expiresAtMs: number,
  ) {}

  /** `head` completed with the shared fields, all fresh (new Dates, a new scope array): nothing stored can be mutated. */
  protected fill<T extends object>(head: T): T & FamilyMember {
    const record = head as T & FamilyMember;
    record.familyId = this.familyId;
    record.clientId = this.clientId;
    record.scope = [...this.scope];
    record.createdAt = new Date(this.createdAtMs);
    record.expiresAt = new Date(this.expiresAtMs);
    if (this.userId !== undefined) record.userId = this.userId;
    if (this.realm !== undefined) record.realm = this.realm;
    return record;
  }
}

export class StoredAccessToken extends StoredMember {
  toRecord(id: string): AccessTokenRecord {
    return this.fill({ id });
  }
}

export class StoredRefreshToken extends StoredMember {
  /** Set once, by the one consume that wins; the only field that ever changes. */
  consumedAtMs: number | undefined = undefined;

  toRecord(hash: string): RefreshTokenRecord {
    const record: RefreshTokenRecord = this.fill({ hash });
    if (this.consumedAtMs !== undefined) record.consumedAt = new Date(this.consumedAtMs);
    return record;
  }
}

export class StoredCode extends StoredMember {
  consumedAtMs: number | undefined = undefined;
  redirectUri = '';
  codeChallenge: string | undefined = undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined = undefined;

  toRecord(hash: string): AuthorizationCodeRecord {
    const record: AuthorizationCodeRecord = this.fill({ hash, redirectUri: this.redirectUri });
    if (this.codeChallenge !== undefined) record.codeChallenge = this.codeChallenge;
    if (this.codeChallengeMethod !== undefined) record.codeChallengeMethod = this.codeChallengeMethod;
    if (this.consumedAtMs !== undefined) record.consumedAt = new Date(this.consumedAtMs);
    return record;
  }
}

export type StoredRecord = StoredAccessToken | StoredRefreshToken | StoredCode;

/** Distinct scopes shared, up to a bound (a client choosing ever new subsets cannot grow it without limit). */
const MAX_SHARED_SCOPES = 1000;

/** Makes the stored forms of records, sharing one frozen array per distinct scope. */
export class RecordPacker {
  private readonly scopes = new Map<string, readonly string[]>();

  access(record: AccessTokenRecord): StoredAccessToken {
    return this.member(StoredAccessToken, record);
  }

  refresh(record: RefreshTokenRecord): StoredRefreshToken {
    const stored = this.member(StoredRefreshToken, record);
    stored.consumedAtMs = record.consumedAt?.getTime();
    return stored;
  }

  code(record: AuthorizationCodeRecord): StoredCode {
    const stored = this.member(StoredCode, record);
    stored.consumedAtMs = record.consumedAt?.getTime();
    stored.redirectUri = record.redirectUri;
    stored.codeChallenge = record.codeChallenge;
    stored.codeChallengeMethod = record.codeChallengeMethod;
    return stored;
  }

  private member<S extends StoredMember>(Kind: new (...args: ConstructorParameters<typeof StoredAccessToken>) => S, record: FamilyMember): S {
    return new Kind(
      record.familyId,
      record.clientId,
      record.userId,
      record.realm,
      this.shared(record.scope),
      record.createdAt.getTime(),
      record.expiresAt.getTime(),
    );
  }

  private shared(scope: readonly string[]): readonly string[] {
    const key = scope.join(' ');
    const known = this.scopes.get(key);
    // Scope tokens have no spaces (RFC 6749 §3.3), but the store is public API: compare anyway.
    if (known !== undefined && known.length === scope.length && known.every((s, i) => s === scope[i])) return known;
    const copy = Object.freeze([...scope]);
    if (this.scopes.size < MAX_SHARED_SCOPES) this.scopes.set(key, copy);
    return copy;
  }
}
