import bcrypt from 'bcryptjs';
import { ConfigurationError } from '../errors';
import { warnOnce } from '../internal/once-warn';
import { isNonEmptyString, isObject, rejectUnknownKeys } from '../internal/validate';
import { isPasswordHash } from '../tokens/passwords';
import { hashClientSecret } from '../tokens/secrets';
import { cloneRecord } from './clone-record';
import { loadGroups, MemoryClientStore } from './memory-clients';
import { MemberTable, NOT_FOUND, type MemberInput, type MemberKind } from './member-table';
import type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  ClientGroupRecord,
  ClientRecord,
  ConsentRecord,
  InteractionRecord,
  RefreshTokenRecord,
  Stores,
  TokenStore,
  UserContext,
  UserRecord,
  UserStore,
} from './types';
import { answersAtOnce } from './read-at-once';
import { settlesWithoutWaiting } from './time-limit';
import { validateClientRecord } from './validate-client';

/** A client in the seed: like `ClientRecord`, but may give the plain `secret` (hashed on load). */
export type MemoryClientSeed = Omit<ClientRecord, 'secretHash'> & { secret?: string; secretHash?: string };

/** A user in the seed: like `UserRecord`, but may give the plain `password` (bcrypt-hashed on load). */
export type MemoryUserSeed = Omit<UserRecord, 'passwordHash'> & { password?: string; passwordHash?: string };

/** Options of `createMemoryStores()`. */
export interface MemoryStoresOptions {
  /** Clients to register. Plain secrets are hashed at once and not kept. */
  clients?: MemoryClientSeed[];
  /** Users to register. Plain passwords are bcrypt-hashed (cost 10) at once and not kept. */
  users?: MemoryUserSeed[];
  /** Client groups (`ClientRecord.group` names one); a client whose group is missing is refused. @defaultValue `[]` */
  groups?: ClientGroupRecord[];
  /** How often expired codes and tokens are dropped, in milliseconds. @defaultValue `60000` */
  purgeIntervalMs?: number;
}

/** The in-memory stores, plus maintenance helpers. */
export interface MemoryStores extends Stores {
  tokens: MemoryTokenStore;
}

/**
 * In-memory stores: the embedded default for development, tests and single-process demos.
 * Single-use consumption is exact (each check-and-set runs without an `await` in between, so
 * no two callers can both win). Everything is lost on restart and not shared between
 * processes, so a warning is printed once when `NODE_ENV` is `production`.
 *
 * @example
 * ```ts
 * const stores = createMemoryStores({
 *   clients: [{ id: 'svc', secret: 'a-long-random-secret', grants: ['client_credentials'], scopes: ['read'] }],
 *   users: [{ id: 'u1', username: 'alice', password: 'wonderland' }],
 * });
 * ```
 */
export function createMemoryStores(options: MemoryStoresOptions = {}): MemoryStores {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
  rejectUnknownKeys(options, ['clients', 'users', 'groups', 'purgeIntervalMs'], '');
  if (process.env.NODE_ENV === 'production') {
    warnOnce(
      'EOP_MEMORY_STORE',
      'express-oauth2-provider: the in-memory stores lose every token on restart and are not shared between processes; use a database adapter in production.',
    );
  }
  const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  if (!Number.isInteger(purgeIntervalMs) || purgeIntervalMs < 1000) {
    throw new ConfigurationError('purgeIntervalMs', 'must be a whole number of milliseconds, at least 1000');
  }
  return {
    clients: new MemoryClientStore(loadClients(options.clients ?? []), loadGroups(options.groups ?? [])),
    users: new MemoryUserStore(loadUsers(options.users ?? [])),
    tokens: new MemoryTokenStore(purgeIntervalMs),
  };
}

function loadClients(seed: MemoryClientSeed[]): ClientRecord[] {
  if (!Array.isArray(seed)) throw new ConfigurationError('clients', 'must be an array');
  const ids = new Set<string>();
  return seed.map((entry, i) => {
    const path = `clients[${i}]`;
    if (!isObject(entry)) throw new ConfigurationError(path, 'must be an object');
    const { secret, ...rest } = entry;
    if (secret !== undefined && rest.secretHash !== undefined) {
      throw new ConfigurationError(`${path}.secret`, 'give secret or secretHash, not both');
    }
    if (secret !== undefined && !isNonEmptyString(secret)) {
      throw new ConfigurationError(`${path}.secret`, 'must be a non-empty string');
    }
    const client: ClientRecord = secret === undefined ? rest : { ...rest, secretHash: hashClientSecret(secret) };
    validateClientRecord(client, path);
    if (ids.has(client.id)) throw new ConfigurationError(`${path}.id`, `duplicate client id "${client.id}"`);
    ids.add(client.id);
    return client;
  });
}

function loadUsers(seed: MemoryUserSeed[]): UserRecord[] {
  if (!Array.isArray(seed)) throw new ConfigurationError('users', 'must be an array');
  const ids = new Set<string>();
  const names = new Set<string>();
  return seed.map((entry, i) => {
    const path = `users[${i}]`;
    if (!isObject(entry)) throw new ConfigurationError(path, 'must be an object');
    rejectUnknownKeys(entry, ['id', 'username', 'password', 'passwordHash', 'realm', 'disabled', 'passwordChangedAt'], `${path}.`);
    const { password, ...rest } = entry;
    if (!isNonEmptyString(rest.id)) throw new ConfigurationError(`${path}.id`, 'must be a non-empty string');
    if (!isNonEmptyString(rest.username)) throw new ConfigurationError(`${path}.username`, 'must be a non-empty string');
    if (password !== undefined && rest.passwordHash !== undefined) {
      throw new ConfigurationError(`${path}.password`, 'give password or passwordHash, not both');
    }
    if (password !== undefined && (!isNonEmptyString(password) || Buffer.byteLength(password) > 72)) {
      throw new ConfigurationError(`${path}.password`, 'must be a non-empty string of at most 72 bytes');
    }
    if (rest.passwordHash !== undefined && !isPasswordHash(rest.passwordHash)) {
      throw new ConfigurationError(`${path}.passwordHash`, 'must be a bcrypt hash (from hashPassword())');
    }
    if (rest.passwordChangedAt !== undefined && !(rest.passwordChangedAt instanceof Date)) {
      throw new ConfigurationError(`${path}.passwordChangedAt`, 'must be a Date');
    }
    const key = `${rest.realm ?? ''}\u0000${rest.username}`;
    if (ids.has(rest.id)) throw new ConfigurationError(`${path}.id`, `duplicate user id "${rest.id}"`);
    if (names.has(key)) throw new ConfigurationError(`${path}.username`, `duplicate username "${rest.username}" in its realm`);
    ids.add(rest.id);
    names.add(key);
    // Seeding is a startup step; hashing synchronously keeps createMemoryStores() synchronous.
    return password === undefined ? rest : { ...rest, passwordHash: bcrypt.hashSync(password, 10) };
  });
}

class MemoryUserStore implements UserStore {
  private readonly users: UserRecord[];

  constructor(users: UserRecord[]) {
    this.users = users;
  }

  async findByUsername(username: string, context: UserContext): Promise<UserRecord | undefined> {
    const user = this.users.find((u) => u.username === username && u.realm === context.realm);
    return user && cloneRecord(user);
  }

  async findById(id: string, context: UserContext): Promise<UserRecord | undefined> {
    const user = this.users.find((u) => u.id === id && u.realm === context.realm);
    return user && cloneRecord(user);
  }
}
settlesWithoutWaiting(MemoryUserStore.prototype);

/**
 * The in-memory token store. Family members live in `MemberTable`s, one per kind, outside
 * the JavaScript heap (docs/adr/0019-memory-store-off-heap.md), and are handed out as fresh
 * records, so a caller mutating a record it got back cannot change what is stored; the rest
 * are cloned in and out.
 */
export class MemoryTokenStore implements TokenStore {
  /** One table per kind: a code's slot is larger (PKCE challenge, redirect URI). */
  private readonly members = { access: new MemberTable('access'), refresh: new MemberTable('refresh'), code: new MemberTable('code') };
  private readonly interactions = new Map<string, InteractionRecord>();
  /** `${userId}\u0000${clientId}` -> consent. */
  private readonly consents = new Map<string, ConsentRecord>();
  /** familyId -> until when to remember the revocation (the longest expiry seen in it). */
  private readonly revoked = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(purgeIntervalMs: number) {
    this.timer = setInterval(() => this.purgeExpired(), purgeIntervalMs);
    this.timer.unref(); // never keeps a process (or a test run) alive
  }

  async saveAccessToken(record: AccessTokenRecord): Promise<void> {
    this.save('access', record.id, record);
  }
  async findAccessToken(id: string): Promise<AccessTokenRecord | undefined> {
    return MemoryTokenStore.accessToken(this, id);
  }
  /** The read itself; static, so it is no method of the store that the store time limit would wrap and expose. */
  private static accessToken(store: MemoryTokenStore, id: string): AccessTokenRecord | undefined {
    const slot = store.members.access.find(id);
    return slot === NOT_FOUND ? undefined : store.members.access.accessRecord(slot, id);
  }
  static {
    // A bearer request with an opaque token reads its record without a promise (ADR 0023).
    answersAtOnce(MemoryTokenStore.prototype.findAccessToken, function (this: TokenStore, id) {
      return MemoryTokenStore.accessToken(this as MemoryTokenStore, id);
    });
  }
  async saveRefreshToken(record: RefreshTokenRecord): Promise<void> {
    this.save('refresh', record.hash, record);
  }
  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const slot = this.members.refresh.find(hash);
    return slot === NOT_FOUND ? undefined : this.members.refresh.refreshRecord(slot, hash);
  }
  async consumeRefreshToken(hash: string, at: Date): Promise<boolean> {
    // No await between the check and the set (inside consume): this makes it single-use.
    return this.members.refresh.consume(hash, at.getTime());
  }
  async saveAuthorizationCode(record: AuthorizationCodeRecord): Promise<void> {
    this.save('code', record.hash, record);
  }
  async findAuthorizationCode(hash: string): Promise<AuthorizationCodeRecord | undefined> {
    const slot = this.members.code.find(hash);
    return slot === NOT_FOUND ? undefined : this.members.code.codeRecord(slot, hash);
  }
  async consumeAuthorizationCode(hash: string, at: Date): Promise<boolean> {
    return this.members.code.consume(hash, at.getTime());
  }

  async revokeFamily(familyId: string, _at: Date): Promise<void> {
    const { access, refresh, code } = this.members;
    const latest = Math.max(access.removeFamily(familyId), refresh.removeFamily(familyId), code.removeFamily(familyId));
    // Remember the revocation while a member could still arrive: the family's own members
    // until they expire, and saves from requests in flight right now (well within 10 minutes).
    this.revoked.set(familyId, Math.max(this.revoked.get(familyId) ?? 0, latest, Date.now() + 600_000));
  }

  async saveInteraction(record: InteractionRecord): Promise<void> {
    const consumedAt = this.interactions.get(record.hash)?.consumedAt;
    this.interactions.set(record.hash, cloneRecord(consumedAt ? { ...record, consumedAt } : record));
  }
  async findInteraction(hash: string): Promise<InteractionRecord | undefined> {
    const record = this.interactions.get(hash);
    return record && cloneRecord(record);
  }
  async consumeInteraction(hash: string, at: Date): Promise<boolean> {
    const record = this.interactions.get(hash);
    if (!record || record.consumedAt) return false;
    record.consumedAt = new Date(at.getTime());
    return true;
  }

  async saveConsent(record: ConsentRecord): Promise<void> {
    this.consents.set(consentKey(record.userId, record.clientId), cloneRecord(record));
  }
  async findConsent(userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const record = this.consents.get(consentKey(userId, clientId));
    return record && cloneRecord(record);
  }
  async deleteConsent(userId: string, clientId: string): Promise<void> {
    this.consents.delete(consentKey(userId, clientId));
  }

  /** Drops expired records and stale revocation markers; runs on a timer, callable by hand. */
  purgeExpired(now = Date.now()): number {
    let dropped = this.members.access.purge(now) + this.members.refresh.purge(now) + this.members.code.purge(now);
    for (const [hash, record] of this.interactions) {
      if (record.expiresAt.getTime() <= now) {
        this.interactions.delete(hash);
        dropped++;
      }
    }
    for (const [familyId, until] of this.revoked) if (until <= now) this.revoked.delete(familyId);
    return dropped;
  }

  /** Stops the purge timer (the timer never holds the process open; this is for tidiness). */
  close(): void {
    clearInterval(this.timer);
  }

  private save(kind: MemberKind, key: string, record: MemberInput): void {
    // A member of a revoked family (e.g. the token a losing rotation just issued) is born dead.
    if (this.revoked.has(record.familyId)) return;
    this.members[kind].save(key, record);
  }
}
settlesWithoutWaiting(MemoryTokenStore.prototype);

function consentKey(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}
