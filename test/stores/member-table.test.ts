/**
 * The memory store's off-heap table (lib/stores/member-table.ts, docs/adr/0019): records
 * round-trip exactly whatever strings they hold, the hash indexes stay right through growth,
 * removal and reuse of slots, and nothing is left behind when members go.
 */
import { MemberTable, NOT_FOUND, type MemberInput } from '../../lib/stores/member-table';

const now = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
const member = (extra: Partial<MemberInput> = {}): MemberInput => ({
  familyId: 'fam-1',
  clientId: 'client-1',
  scope: ['read', 'write'],
  createdAt: new Date(now),
  expiresAt: new Date(now + 60_000),
  ...extra,
});
/** The interned values still held (client, user, realm, scope, redirect URI) and side strings. */
const held = (table: MemberTable) => {
  const t = table as unknown as Record<'clients' | 'users' | 'realms' | 'scopes' | 'redirects', { size: number }> & { side: Map<number, string> };
  return [t.clients.size, t.users.size, t.realms.size, t.scopes.size, t.redirects.size, t.side.size];
};

describe('MemberTable', () => {
  it('round-trips every field of each kind, with millisecond times', () => {
    const tables = { access: new MemberTable('access'), refresh: new MemberTable('refresh'), code: new MemberTable('code') };
    const stored = { familyId: 'fam-1', clientId: 'client-1', scope: ['read', 'write'], createdAt: new Date(now), expiresAt: new Date(now + 60_000) };
    tables.access.save('jti-1', member({ userId: 'user-1', realm: 'staff' }));
    tables.refresh.save('hash-r', member({ consumedAt: new Date(now + 5) }));
    tables.code.save('hash-c', member({ userId: 'user-1', redirectUri: 'https://app.example/cb', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256' }));
    expect(tables.access.accessRecord(tables.access.find('jti-1'), 'jti-1')).toStrictEqual({
      id: 'jti-1',
      ...stored,
      userId: 'user-1',
      realm: 'staff',
    });
    expect(tables.refresh.refreshRecord(tables.refresh.find('hash-r'), 'hash-r')).toStrictEqual({
      hash: 'hash-r',
      ...stored,
      consumedAt: new Date(now + 5),
    });
    expect(tables.code.codeRecord(tables.code.find('hash-c'), 'hash-c')).toStrictEqual({
      hash: 'hash-c',
      redirectUri: 'https://app.example/cb',
      ...stored,
      userId: 'user-1',
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      codeChallengeMethod: 'S256',
    });
  });

  it('round-trips strings that do not fit a slot: over 43 characters, above U+00FF, empty', () => {
    const table = new MemberTable('code');
    const long = 'k'.repeat(44);
    const plainVerifier = 'v'.repeat(128); // RFC 7636 §4.1: a plain challenge is the verifier, up to 128 characters
    const cases = [
      { key: long, familyId: 'fam-€', challenge: plainVerifier },
      { key: 'ключ-🔑', familyId: 'f'.repeat(200), challenge: '' },
      { key: '', familyId: 'é-latin-1-fits', challenge: 'ü' },
    ];
    for (const c of cases) {
      table.save(c.key, member({ familyId: c.familyId, redirectUri: 'https://app.example/cb', codeChallenge: c.challenge, codeChallengeMethod: 'plain' }));
    }
    for (const c of cases) {
      const record = table.codeRecord(table.find(c.key), c.key);
      expect([record.familyId, record.codeChallenge, record.codeChallengeMethod]).toEqual([c.familyId, c.challenge, 'plain']);
    }
    expect(table.find('k'.repeat(43))).toBe(NOT_FOUND); // a prefix is not the key
    expect(table.find('ключ')).toBe(NOT_FOUND);
    for (const c of cases) expect(table.removeFamily(c.familyId)).toBe(now + 60_000);
    expect(table.size).toBe(0);
    expect(held(table)).toEqual([0, 0, 0, 0, 0, 0]); // every interned value and side string released
  });

  it('refuses a malformed record before taking a slot, and stays exact afterwards', () => {
    const table = new MemberTable('code');
    const bad: Partial<MemberInput>[] = [
      { createdAt: 'yesterday' as unknown as Date },
      { expiresAt: undefined as unknown as Date },
      { consumedAt: 12 as unknown as Date },
      { scope: undefined as unknown as string[] },
      { scope: { read: true } as unknown as string[] },
      { scope: Object.assign(['read'], { toJSON: () => undefined }) },
      { codeChallenge: null as unknown as string },
      { codeChallenge: ['x'] as unknown as string },
      { familyId: 7 as unknown as string },
    ];
    for (const extra of bad) expect(() => table.save('k', member({ redirectUri: 'https://app.example/cb', ...extra }))).toThrow(TypeError);
    expect(() => table.save(42 as unknown as string, member({ redirectUri: 'https://app.example/cb' }))).toThrow(TypeError);
    expect([table.size, table.familyCount]).toEqual([0, 0]);
    expect(held(table)).toEqual([0, 0, 0, 0, 0, 0]);
    // Enough saves to rebuild both indexes: a half-written slot would be indexed by a rebuild.
    for (let i = 0; i < 2000; i++) table.save(`k-${i}`, member({ familyId: `f-${i}`, redirectUri: 'https://app.example/cb' }));
    expect([table.size, table.familyCount]).toEqual([2000, 2000]);
    for (let i = 0; i < 2000; i++) expect(table.removeFamily(`f-${i}`)).toBe(now + 60_000);
    expect([table.size, table.familyCount]).toEqual([0, 0]);
  });

  it('replaces a member saved again under its key, moving it to its new family', () => {
    const table = new MemberTable('refresh');
    table.save('r', member({ familyId: 'old', consumedAt: new Date(now) }));
    table.save('r', member({ familyId: 'new' }));
    expect([table.size, table.familyCount]).toEqual([1, 1]);
    expect(table.refreshRecord(table.find('r'), 'r')).not.toHaveProperty('consumedAt');
    expect(table.removeFamily('old')).toBe(-Infinity);
    expect(table.removeFamily('new')).toBe(now + 60_000);
    expect(table.size).toBe(0);
  });

  it('hands out copies: changing a returned record changes nothing stored', () => {
    const table = new MemberTable('access');
    table.save('a', member());
    const first = table.accessRecord(table.find('a'), 'a');
    first.scope.push('admin');
    first.expiresAt.setTime(0);
    expect(table.accessRecord(table.find('a'), 'a')).toMatchObject({ scope: ['read', 'write'], expiresAt: new Date(now + 60_000) });
  });

  it('finds every member through growth, purges and slot reuse, and never holds a removed one', () => {
    const table = new MemberTable('access');
    const n = 20_000; // five chunks of slots, and several rebuilds of both indexes
    const key = (i: number) => `key-${i}`;
    // Families of three consecutive members; every other family expires.
    for (let i = 0; i < n; i++) {
      const family = Math.floor(i / 3);
      table.save(key(i), member({ familyId: `fam-${family}`, expiresAt: new Date(family % 2 ? now - 1 : now + 60_000) }));
    }
    expect([table.size, table.familyCount]).toEqual([n, Math.ceil(n / 3)]);
    const bytes = table.externalBytes;
    const expired = (i: number) => Math.floor(i / 3) % 2 === 1;
    const removed = Array.from({ length: n }, (_, i) => i).filter(expired).length;
    expect(table.purge(now)).toBe(removed);
    expect(table.size).toBe(n - removed);
    for (let i = 0; i < n; i++) expect(table.find(key(i)) === NOT_FOUND).toBe(expired(i));
    // New members, as many in as many families as went, take the freed slots: the table does not grow.
    const newFamily = (i: number) => `fam-${2 * Math.floor(i / 3) + 1}`;
    for (let i = 0; i < removed; i++) table.save(`new-${i}`, member({ familyId: newFamily(i) }));
    expect(table.externalBytes).toBe(bytes);
    for (let i = 0; i < removed; i++) expect(table.accessRecord(table.find(`new-${i}`), `new-${i}`).familyId).toBe(newFamily(i));
    for (let i = 0; i < n; i++) expect(table.find(key(i)) === NOT_FOUND).toBe(expired(i));
    // Removing families one by one leaves no member and no index entry.
    for (let f = 0; f < Math.ceil(n / 3); f++) expect(table.removeFamily(`fam-${f}`)).toBe(now + 60_000);
    expect([table.size, table.familyCount]).toEqual([0, 0]);
    for (let i = 0; i < n; i++) expect(table.find(key(i))).toBe(NOT_FOUND);
    expect(held(table)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('stays exact under churn that leaves the index full of tombstones', () => {
    const table = new MemberTable('access');
    // Saves and removals in a sliding window: the live count stays small while removals
    // leave tombstones, so the index is rebuilt at the same size many times.
    for (let i = 0; i < 30_000; i++) {
      table.save(`r-${i}`, member({ familyId: `f-${i}` }));
      if (i >= 100) expect(table.removeFamily(`f-${i - 100}`)).toBe(now + 60_000);
    }
    expect(table.size).toBe(100);
    for (let i = 0; i < 30_000; i++) expect(table.find(`r-${i}`) !== NOT_FOUND).toBe(i >= 29_900);
    expect(table.externalBytes).toBeLessThan(2_000_000); // one chunk of slots, a small index
  });

  it('removes a family from its middle, newest and oldest member alike', () => {
    for (const gone of ['a', 'b', 'c']) {
      const table = new MemberTable('access');
      table.save('a', member({ expiresAt: new Date(gone === 'a' ? now - 1 : now + 1) }));
      table.save('b', member({ expiresAt: new Date(gone === 'b' ? now - 1 : now + 1) }));
      table.save('c', member({ expiresAt: new Date(gone === 'c' ? now - 1 : now + 1) }));
      expect(table.purge(now)).toBe(1);
      expect(table.removeFamily('fam-1')).toBe(now + 1);
      expect([table.size, table.familyCount]).toEqual([0, 0]);
    }
  });
});
