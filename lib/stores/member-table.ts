import { Interner } from './interner';
import { EMPTY, hashOf, SlotIndex, TOMBSTONE } from './slot-index';
import type { AccessTokenRecord, AuthorizationCodeRecord, FamilyMember, RefreshTokenRecord } from './types';

/**
 * Where the memory store keeps the family members of one kind (access tokens, refresh tokens
 * or codes; one table each): in fixed-size slots of plain bytes, outside the JavaScript heap,
 * found through open-addressing hash tables of slot numbers
 * (docs/adr/0019-memory-store-off-heap.md).
 *
 * Why: the store keeps every access token until it expires (docs/adr/0005) and consumed
 * refresh tokens and codes too (reuse detection, docs/adr/0004), so under load these are most
 * of what the process holds. As JavaScript objects in Maps they cost about 1,150 bytes of heap
 * per redeemed code, and V8 lets its old generation grow to several times what is live, so
 * each live byte cost three to four bytes of resident memory. Bytes in an ArrayBuffer cost
 * one, are never traced by the garbage collector, and a slot is 152 of them (196 for a code).
 *
 * Strings that repeat (client, user, realm, scope, redirect URI) are numbers into `Interner`s.
 * The id, family id and (codes) PKCE challenge are stored in the slot as Latin-1 bytes when
 * they fit (43 characters: hashes and S256 challenges are 43, ids 22); longer ones, and any
 * character above U+00FF, go to a side Map, so any string a caller passes round-trips exactly.
 */

export type MemberKind = 'access' | 'refresh' | 'code';

/** What `save` takes: any family member, with the fields of a refresh token or code if it is one. */
export type MemberInput = FamilyMember & Partial<Pick<AuthorizationCodeRecord, 'consumedAt' | 'redirectUri' | 'codeChallenge' | 'codeChallengeMethod'>>;

const FREE = 0;
const IN_USE = 1;

// The slot layout, in bytes.
const CHUNK_SHIFT = 12;
/** Slots per chunk: chunks are added as the table grows, so growing never copies a record. */
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const O_STATE = 0; // u8: FREE or IN_USE
const O_FLAGS = 1; // u8: the F_ bits
const O_KEY_HASH = 4; // u32
const O_FAMILY_HASH = 8; // u32
const O_NEWER = 12; // i32: the next newer member of the family, -1 if this is the newest
const O_OLDER = 16; // i32: the next older member, -1 if none; the next free slot when free
const O_CLIENT = 20; // u32 interned
const O_USER = 24; // u32 interned, when F_USER
const O_REALM = 28; // u32 interned, when F_REALM
const O_SCOPE = 32; // u32 interned
const O_REDIRECT = 36; // u32 interned (codes)
const O_CREATED = 40; // f64 ms
const O_EXPIRES = 48; // f64 ms
const O_CONSUMED = 56; // f64 ms, when F_CONSUMED (refresh tokens and codes)
/** The inline strings from byte 64, 44 bytes each: a length byte, then up to INLINE_CHARS Latin-1 bytes. */
const O_STRINGS = 64;
const STRING_BYTES = 44;
const KEY = 0;
const FAMILY = 1;
const CHALLENGE = 2;
const INLINE_CHARS = 43;
/** Key and family id; a code's slot adds its PKCE challenge. */
const SLOT_BYTES = O_STRINGS + 2 * STRING_BYTES;
const CODE_SLOT_BYTES = O_STRINGS + 3 * STRING_BYTES;
/** The length byte of a string kept in the side Map instead. */
const IN_SIDE_MAP = 255;

const F_USER = 1;
const F_REALM = 2;
const F_CONSUMED = 4;
const F_CHALLENGE = 8;
const F_S256 = 16;
const F_PLAIN = 32;

const NONE = -1;
/** What `find` returns for a member that is not stored. */
export const NOT_FOUND = NONE;

const asIs = (text: string): string => text;
/** A scope is interned under its JSON, which is exact whatever its tokens hold. */
const scopeOf = (json: string): readonly string[] => Object.freeze(JSON.parse(json) as string[]);

export class MemberTable {
  private readonly isCode: boolean;
  private readonly slotBytes: number;
  private readonly chunks: Buffer[] = [];
  private readonly views: DataView[] = [];
  /** Slots handed out so far (free or not); slots at and beyond this were never used. */
  private highWater = 0;
  private freeHead = NONE;
  private readonly keys = new SlotIndex();
  /** familyId -> the slot of its newest member; older ones follow through O_OLDER. */
  private readonly families = new SlotIndex();
  /** Strings that do not fit a slot, by `slot * 3 + field`. */
  private readonly side = new Map<number, string>();
  private readonly clients = new Interner<string>();
  private readonly users = new Interner<string>();
  private readonly realms = new Interner<string>();
  private readonly scopes = new Interner<readonly string[]>();
  private readonly redirects = new Interner<string>();

  constructor(kind: MemberKind) {
    this.isCode = kind === 'code';
    this.slotBytes = this.isCode ? CODE_SLOT_BYTES : SLOT_BYTES;
  }

  /** Live members. */
  get size(): number {
    return this.keys.live;
  }

  /** Families with a live member. */
  get familyCount(): number {
    return this.families.live;
  }

  /** Bytes held outside the heap (for tests and docs). */
  get externalBytes(): number {
    return this.chunks.length * CHUNK_SLOTS * this.slotBytes + this.keys.entries.byteLength + this.families.entries.byteLength;
  }

  /** Stores a copy of `record` under `key`, replacing a member stored under it. */
  save(key: string, record: MemberInput): void {
    // Everything that can throw on a malformed record runs before a slot is taken: a slot
    // half written and never indexed would be lost, or indexed wrongly by the next rebuild.
    const hash = hashOf(key);
    const familyHash = hashOf(record.familyId);
    const createdAtMs = record.createdAt.getTime();
    const expiresAtMs = record.expiresAt.getTime();
    const consumedAtMs = record.consumedAt?.getTime();
    const scopeJson = JSON.stringify(record.scope);
    if (!Array.isArray(record.scope) || typeof scopeJson !== 'string') throw new TypeError('scope must be an array');
    if (typeof key !== 'string' || typeof record.familyId !== 'string') throw new TypeError('the key and familyId must be strings');
    if (this.isCode && record.codeChallenge !== undefined && typeof record.codeChallenge !== 'string') throw new TypeError('codeChallenge must be a string');
    const existing = this.findHashed(hash, key);
    if (existing !== NONE) this.remove(existing);
    // Before the new slot is written: a rebuild walks the written slots, and would index it twice.
    if (this.keys.full) this.keys.rebuild(this.keyEntries());
    if (this.families.full) this.families.rebuild(this.familyEntries());
    const slot = this.allocate();
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    let flags = 0;
    view.setUint8(at + O_STATE, IN_USE);
    view.setUint32(at + O_KEY_HASH, hash);
    view.setUint32(at + O_FAMILY_HASH, familyHash);
    view.setUint32(at + O_CLIENT, this.clients.ref(record.clientId, asIs));
    if (record.userId !== undefined) {
      flags |= F_USER;
      view.setUint32(at + O_USER, this.users.ref(record.userId, asIs));
    }
    if (record.realm !== undefined) {
      flags |= F_REALM;
      view.setUint32(at + O_REALM, this.realms.ref(record.realm, asIs));
    }
    view.setUint32(at + O_SCOPE, this.scopes.ref(scopeJson, scopeOf));
    view.setFloat64(at + O_CREATED, createdAtMs);
    view.setFloat64(at + O_EXPIRES, expiresAtMs);
    if (consumedAtMs !== undefined) {
      flags |= F_CONSUMED;
      view.setFloat64(at + O_CONSUMED, consumedAtMs);
    }
    this.writeString(slot, KEY, key);
    this.writeString(slot, FAMILY, record.familyId);
    if (this.isCode) {
      view.setUint32(at + O_REDIRECT, this.redirects.ref(record.redirectUri as string, asIs));
      if (record.codeChallenge !== undefined) {
        flags |= F_CHALLENGE;
        this.writeString(slot, CHALLENGE, record.codeChallenge);
      }
      if (record.codeChallengeMethod === 'S256') flags |= F_S256;
      if (record.codeChallengeMethod === 'plain') flags |= F_PLAIN;
    }
    view.setUint8(at + O_FLAGS, flags);
    this.keys.add(hash, slot);
    this.linkIntoFamily(slot, record.familyId);
  }

  /** The slot of the member stored under `key`, or -1. */
  find(key: string): number {
    return this.findHashed(hashOf(key), key);
  }

  private findHashed(hash: number, key: string): number {
    const entries = this.keys.entries;
    const mask = entries.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = entries[i] as number;
      if (slot === EMPTY) return NONE;
      if (slot === TOMBSTONE) continue;
      const view = this.viewOf(slot);
      const at = this.offsetOf(slot);
      if (view.getUint32(at + O_KEY_HASH) === hash && this.stringEquals(slot, KEY, key)) return slot;
    }
  }

  /** Marks the member consumed unless it is missing or already consumed; true if this call did it. */
  consume(key: string, atMs: number): boolean {
    const slot = this.find(key);
    if (slot === NONE) return false;
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    const flags = view.getUint8(at + O_FLAGS);
    if (flags & F_CONSUMED) return false;
    view.setFloat64(at + O_CONSUMED, atMs);
    view.setUint8(at + O_FLAGS, flags | F_CONSUMED);
    return true;
  }

  accessRecord(slot: number, id: string): AccessTokenRecord {
    return this.fill(slot, { id });
  }

  refreshRecord(slot: number, hash: string): RefreshTokenRecord {
    const record: RefreshTokenRecord = this.fill(slot, { hash });
    this.fillConsumed(slot, record);
    return record;
  }

  codeRecord(slot: number, hash: string): AuthorizationCodeRecord {
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    const flags = view.getUint8(at + O_FLAGS);
    const record: AuthorizationCodeRecord = this.fill(slot, { hash, redirectUri: this.redirects.value(view.getUint32(at + O_REDIRECT)) });
    if (flags & F_CHALLENGE) record.codeChallenge = this.readString(slot, CHALLENGE);
    if (flags & F_S256) record.codeChallengeMethod = 'S256';
    if (flags & F_PLAIN) record.codeChallengeMethod = 'plain';
    this.fillConsumed(slot, record);
    return record;
  }

  /** Removes every member of the family; the latest expiry among them, or -Infinity if it had none. */
  removeFamily(familyId: string): number {
    let latest = -Infinity;
    let slot = this.newestOf(familyId);
    while (slot !== NONE) {
      const older = this.viewOf(slot).getInt32(this.offsetOf(slot) + O_OLDER);
      latest = Math.max(latest, this.viewOf(slot).getFloat64(this.offsetOf(slot) + O_EXPIRES));
      this.remove(slot);
      slot = older;
    }
    return latest;
  }

  /** Removes the members that expired by `nowMs`; how many. */
  purge(nowMs: number): number {
    let removed = 0;
    for (let slot = 0; slot < this.highWater; slot++) {
      const view = this.viewOf(slot);
      const at = this.offsetOf(slot);
      if (view.getUint8(at + O_STATE) !== FREE && view.getFloat64(at + O_EXPIRES) <= nowMs) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** The slot of the family's newest member, or -1. */
  private newestOf(familyId: string): number {
    const hash = hashOf(familyId);
    const entries = this.families.entries;
    const mask = entries.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = entries[i] as number;
      if (slot === EMPTY) return NONE;
      if (slot === TOMBSTONE) continue;
      if (this.viewOf(slot).getUint32(this.offsetOf(slot) + O_FAMILY_HASH) === hash && this.stringEquals(slot, FAMILY, familyId)) return slot;
    }
  }

  private linkIntoFamily(slot: number, familyId: string): void {
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    const hash = view.getUint32(at + O_FAMILY_HASH);
    view.setInt32(at + O_NEWER, NONE);
    const newest = this.newestOf(familyId);
    if (newest === NONE) {
      view.setInt32(at + O_OLDER, NONE);
      this.families.add(hash, slot);
      return;
    }
    view.setInt32(at + O_OLDER, newest);
    this.viewOf(newest).setInt32(this.offsetOf(newest) + O_NEWER, slot);
    this.families.entries[this.families.positionOf(hash, newest)] = slot;
  }

  private remove(slot: number): void {
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    const newer = view.getInt32(at + O_NEWER);
    const older = view.getInt32(at + O_OLDER);
    if (older !== NONE) this.viewOf(older).setInt32(this.offsetOf(older) + O_NEWER, newer);
    if (newer !== NONE) {
      this.viewOf(newer).setInt32(this.offsetOf(newer) + O_OLDER, older);
    } else {
      const position = this.families.positionOf(view.getUint32(at + O_FAMILY_HASH), slot);
      if (older !== NONE) this.families.entries[position] = older;
      else this.families.remove(position);
    }
    this.keys.remove(this.keys.positionOf(view.getUint32(at + O_KEY_HASH), slot));

    const flags = view.getUint8(at + O_FLAGS);
    this.clients.release(view.getUint32(at + O_CLIENT));
    if (flags & F_USER) this.users.release(view.getUint32(at + O_USER));
    if (flags & F_REALM) this.realms.release(view.getUint32(at + O_REALM));
    this.scopes.release(view.getUint32(at + O_SCOPE));
    if (this.isCode) this.redirects.release(view.getUint32(at + O_REDIRECT));
    for (const field of this.isCode ? [KEY, FAMILY, CHALLENGE] : [KEY, FAMILY]) {
      if (view.getUint8(at + O_STRINGS + field * STRING_BYTES) === IN_SIDE_MAP) this.side.delete(slot * 3 + field);
    }
    // Zeroed, so a reused slot starts clean (no stale length byte or flag).
    this.chunks[slot >>> CHUNK_SHIFT]?.fill(0, at, at + this.slotBytes);
    view.setInt32(at + O_OLDER, this.freeHead);
    this.freeHead = slot;
  }

  private allocate(): number {
    if (this.freeHead !== NONE) {
      const slot = this.freeHead;
      this.freeHead = this.viewOf(slot).getInt32(this.offsetOf(slot) + O_OLDER);
      return slot;
    }
    if (this.highWater === this.chunks.length * CHUNK_SLOTS) {
      const chunk = Buffer.alloc(CHUNK_SLOTS * this.slotBytes);
      this.chunks.push(chunk);
      this.views.push(new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return this.highWater++;
  }

  private *keyEntries(): Iterable<[number, number]> {
    for (let slot = 0; slot < this.highWater; slot++) {
      const view = this.viewOf(slot);
      const at = this.offsetOf(slot);
      if (view.getUint8(at + O_STATE) !== FREE) yield [view.getUint32(at + O_KEY_HASH), slot];
    }
  }

  /** The newest member of each family (the one its entry points at). */
  private *familyEntries(): Iterable<[number, number]> {
    for (let slot = 0; slot < this.highWater; slot++) {
      const view = this.viewOf(slot);
      const at = this.offsetOf(slot);
      if (view.getUint8(at + O_STATE) !== FREE && view.getInt32(at + O_NEWER) === NONE) yield [view.getUint32(at + O_FAMILY_HASH), slot];
    }
  }

  /** `head` completed with the shared fields, all fresh (new Dates, a new scope array). */
  private fill<T extends object>(slot: number, head: T): T & FamilyMember {
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    const flags = view.getUint8(at + O_FLAGS);
    const record = head as T & FamilyMember;
    record.familyId = this.readString(slot, FAMILY);
    record.clientId = this.clients.value(view.getUint32(at + O_CLIENT));
    record.scope = [...this.scopes.value(view.getUint32(at + O_SCOPE))];
    record.createdAt = new Date(view.getFloat64(at + O_CREATED));
    record.expiresAt = new Date(view.getFloat64(at + O_EXPIRES));
    if (flags & F_USER) record.userId = this.users.value(view.getUint32(at + O_USER));
    if (flags & F_REALM) record.realm = this.realms.value(view.getUint32(at + O_REALM));
    return record;
  }

  private fillConsumed(slot: number, record: { consumedAt?: Date }): void {
    const view = this.viewOf(slot);
    const at = this.offsetOf(slot);
    if (view.getUint8(at + O_FLAGS) & F_CONSUMED) record.consumedAt = new Date(view.getFloat64(at + O_CONSUMED));
  }

  private writeString(slot: number, field: number, text: string): void {
    const bytes = this.chunks[slot >>> CHUNK_SHIFT] as Buffer;
    const at = this.offsetOf(slot) + O_STRINGS + field * STRING_BYTES;
    if (text.length <= INLINE_CHARS) {
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0xff) break;
        bytes[at + 1 + i] = code;
      }
      if (i === text.length) {
        bytes[at] = text.length;
        return;
      }
    }
    bytes[at] = IN_SIDE_MAP;
    this.side.set(slot * 3 + field, text);
  }

  private readString(slot: number, field: number): string {
    const bytes = this.chunks[slot >>> CHUNK_SHIFT] as Buffer;
    const at = this.offsetOf(slot) + O_STRINGS + field * STRING_BYTES;
    const length = bytes[at] as number;
    if (length === IN_SIDE_MAP) return this.side.get(slot * 3 + field) as string;
    return bytes.toString('latin1', at + 1, at + 1 + length);
  }

  private stringEquals(slot: number, field: number, text: string): boolean {
    const bytes = this.chunks[slot >>> CHUNK_SHIFT] as Buffer;
    const at = this.offsetOf(slot) + O_STRINGS + field * STRING_BYTES;
    const length = bytes[at] as number;
    if (length === IN_SIDE_MAP) return this.side.get(slot * 3 + field) === text;
    if (length !== text.length) return false;
    for (let i = 0; i < length; i++) if (bytes[at + 1 + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  private viewOf(slot: number): DataView {
    return this.views[slot >>> CHUNK_SHIFT] as DataView;
  }

  private offsetOf(slot: number): number {
    return (slot & (CHUNK_SLOTS - 1)) * this.slotBytes;
  }
}
