import type { AccessTokenRecord } from './types';

/**
 * How the memory store keeps an access-token record: one object of fixed shape, times as
 * numbers, the scope array shared between tokens with the same scope. The store keeps every
 * access token until it expires (for revocation and introspection, docs/adr/0005), so under
 * load this is most of what it holds: 459 -> 185 bytes per token beyond its two id strings,
 * measured by test/stores/memory-footprint.test.ts (docs/adr/0017-passport-off-the-hot-paths.md).
 * The id is not kept here: it is the map key.
 */
export class StoredAccessToken {
  constructor(
    readonly familyId: string,
    readonly clientId: string,
    readonly userId: string | undefined,
    readonly realm: string | undefined,
    readonly scope: readonly string[],
    readonly createdAtMs: number,
    readonly expiresAtMs: number,
  ) {}

  /** A fresh record for a caller: new Dates and a new scope array, so nothing stored can be mutated. */
  toRecord(id: string): AccessTokenRecord {
    const record: AccessTokenRecord = {
      id,
      familyId: this.familyId,
      clientId: this.clientId,
      scope: [...this.scope],
      createdAt: new Date(this.createdAtMs),
      expiresAt: new Date(this.expiresAtMs),
    };
    if (this.userId !== undefined) record.userId = this.userId;
    if (this.realm !== undefined) record.realm = this.realm;
    return record;
  }
}

/** Distinct scopes shared, up to a bound (a client choosing ever new subsets cannot grow it without limit). */
const MAX_SHARED_SCOPES = 1000;

/** Makes StoredAccessTokens, sharing one frozen array per distinct scope. */
export class AccessTokenPacker {
  private readonly scopes = new Map<string, readonly string[]>();

  pack(record: AccessTokenRecord): StoredAccessToken {
    return new StoredAccessToken(
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
