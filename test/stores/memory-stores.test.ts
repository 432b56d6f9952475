import { createMemoryStores, type AccessTokenRecord, type AuthorizationCodeRecord, type RefreshTokenRecord } from '../../lib';
import type { MemberTable } from '../../lib/stores/member-table';

const now = Date.now();
const base = { familyId: 'fam-1', clientId: 'c', userId: 'u', scope: ['read'], createdAt: new Date(now), expiresAt: new Date(now + 60_000) };
const access = (id: string, extra: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({ ...base, id, ...extra });
const refresh = (hash: string, extra: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({ ...base, hash, ...extra });
const code = (hash: string, extra: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord => ({
  ...base,
  hash,
  redirectUri: 'https://app.example/cb',
  codeChallenge: 'abc',
  codeChallengeMethod: 'S256',
  ...extra,
});

describe('in-memory token store', () => {
  it('round-trips every field, Dates as Dates', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('a1', { realm: 'partners' }));
    await tokens.saveRefreshToken(refresh('r1'));
    await tokens.saveAuthorizationCode(code('c1'));
    expect(await tokens.findAccessToken('a1')).toEqual(access('a1', { realm: 'partners' }));
    expect(await tokens.findRefreshToken('r1')).toEqual(refresh('r1'));
    expect(await tokens.findAuthorizationCode('c1')).toEqual(code('c1'));
    expect((await tokens.findRefreshToken('r1'))?.createdAt).toBeInstanceOf(Date);
  });

  it('answers undefined for what it does not know', async () => {
    const { tokens } = createMemoryStores();
    expect(await tokens.findAccessToken('x')).toBeUndefined();
    expect(await tokens.findRefreshToken('x')).toBeUndefined();
    expect(await tokens.findAuthorizationCode('x')).toBeUndefined();
    expect(await tokens.consumeRefreshToken('x', new Date())).toBe(false);
    expect(await tokens.consumeAuthorizationCode('x', new Date())).toBe(false);
  });

  it('hands out copies: mutating a returned refresh token or code changes nothing stored, consumedAt included', async () => {
    const { tokens } = createMemoryStores();
    const consumedAt = new Date(now + 1000);
    await tokens.saveRefreshToken(refresh('r1'));
    await tokens.saveAuthorizationCode(code('c1'));
    await tokens.consumeRefreshToken('r1', consumedAt);
    await tokens.consumeAuthorizationCode('c1', consumedAt);
    for (const got of [await tokens.findRefreshToken('r1'), await tokens.findAuthorizationCode('c1')]) {
      got?.scope.push('admin');
      got?.expiresAt.setTime(0);
      got?.consumedAt?.setTime(0);
    }
    expect(await tokens.findRefreshToken('r1')).toEqual(refresh('r1', { consumedAt }));
    expect(await tokens.findAuthorizationCode('c1')).toEqual(code('c1', { consumedAt }));
  });

  it('keeps consumedAt on a refresh token or code saved already consumed, and never consumes it again', async () => {
    const { tokens } = createMemoryStores();
    const consumedAt = new Date(now - 1000);
    await tokens.saveRefreshToken(refresh('r1', { consumedAt }));
    await tokens.saveAuthorizationCode(code('c1', { consumedAt, codeChallenge: undefined, codeChallengeMethod: undefined }));
    expect(await tokens.consumeRefreshToken('r1', new Date())).toBe(false);
    expect(await tokens.consumeAuthorizationCode('c1', new Date())).toBe(false);
    expect(await tokens.findRefreshToken('r1')).toStrictEqual(refresh('r1', { consumedAt }));
    const { codeChallenge: _c, codeChallengeMethod: _m, ...plain } = code('c1', { consumedAt });
    expect(await tokens.findAuthorizationCode('c1')).toStrictEqual(plain);
  });

  it('hands out access tokens as copies too, although tokens with the same scope share one stored array', async () => {
    const { tokens } = createMemoryStores();
    const saved = access('a1', { scope: ['read'] }); // its own array, not the fixtures' shared one
    await tokens.saveAccessToken(saved);
    await tokens.saveAccessToken(access('a2'));
    saved.scope.push('late'); // the caller's array after the save
    const got = await tokens.findAccessToken('a1');
    got?.scope.push('admin');
    got?.expiresAt.setTime(0);
    expect(await tokens.findAccessToken('a1')).toEqual(access('a1'));
    expect(await tokens.findAccessToken('a2')).toEqual(access('a2'));
  });

  it('keeps scopes that join to the same text apart', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('a1', { scope: ['a b', 'c'] }));
    await tokens.saveAccessToken(access('a2', { scope: ['a', 'b c'] }));
    expect((await tokens.findAccessToken('a1'))?.scope).toEqual(['a b', 'c']);
    expect((await tokens.findAccessToken('a2'))?.scope).toEqual(['a', 'b c']);
  });

  it('revoking a family deletes only its own members, even where another family has a record under the same id', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('same-id', { familyId: 'fam-2' }));
    await tokens.saveRefreshToken(refresh('same-id'));
    await tokens.revokeFamily('fam-1', new Date());
    expect(await tokens.findRefreshToken('same-id')).toBeUndefined();
    expect(await tokens.findAccessToken('same-id')).toEqual(access('same-id', { familyId: 'fam-2' }));
  });

  it.each(['refresh', 'code'] as const)('lets exactly one of 100 concurrent consumers of a %s win', async (kind) => {
    const { tokens } = createMemoryStores();
    if (kind === 'refresh') await tokens.saveRefreshToken(refresh('h'));
    else await tokens.saveAuthorizationCode(code('h'));
    const consume = (at: Date) => (kind === 'refresh' ? tokens.consumeRefreshToken('h', at) : tokens.consumeAuthorizationCode('h', at));
    const at = new Date(now + 1000);
    const results = await Promise.all(Array.from({ length: 100 }, () => consume(at)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const found = kind === 'refresh' ? await tokens.findRefreshToken('h') : await tokens.findAuthorizationCode('h');
    expect(found?.consumedAt).toEqual(at);
  });

  it('revokes a whole family, including members saved after the revocation', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('a1'));
    await tokens.saveRefreshToken(refresh('r1'));
    await tokens.saveAuthorizationCode(code('c1'));
    await tokens.saveAccessToken(access('other', { familyId: 'fam-2' }));
    await tokens.revokeFamily('fam-1', new Date());
    await tokens.saveRefreshToken(refresh('r2')); // a rotation that lost the race
    expect(await tokens.findAccessToken('a1')).toBeUndefined();
    expect(await tokens.findRefreshToken('r1')).toBeUndefined();
    expect(await tokens.findRefreshToken('r2')).toBeUndefined();
    expect(await tokens.findAuthorizationCode('c1')).toBeUndefined();
    expect(await tokens.consumeRefreshToken('r2', new Date())).toBe(false);
    expect(await tokens.findAccessToken('other')).toEqual(access('other', { familyId: 'fam-2' }));
  });

  it('revokes idempotently, and unknown families without error', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('a1'));
    await tokens.revokeFamily('fam-1', new Date());
    await expect(tokens.revokeFamily('fam-1', new Date())).resolves.toBeUndefined();
    await expect(tokens.revokeFamily('never-existed', new Date())).resolves.toBeUndefined();
  });

  it('keeps family membership right whether a family has one member or several', async () => {
    const { tokens } = createMemoryStores();
    /** [members, families] summed over the three tables (a family with members of two kinds counts twice). */
    const counts = () => {
      const tables = Object.values((tokens as unknown as { members: Record<string, MemberTable> }).members);
      return [tables.reduce((n, t) => n + t.size, 0), tables.reduce((n, t) => n + t.familyCount, 0)];
    };
    // One member (every client_credentials token), saved twice under the same key.
    await tokens.saveAccessToken(access('solo', { familyId: 'fam-solo', expiresAt: new Date(now - 1) }));
    await tokens.saveAccessToken(access('solo', { familyId: 'fam-solo', expiresAt: new Date(now - 1) }));
    expect(counts()).toEqual([1, 1]); // replaced, not added
    // Three members; one expires.
    await tokens.saveAccessToken(access('a-old', { expiresAt: new Date(now - 1) }));
    await tokens.saveAccessToken(access('a-live'));
    await tokens.saveRefreshToken(refresh('r-live'));
    expect(tokens.purgeExpired(now)).toBe(2);
    expect(counts()).toEqual([2, 2]); // the emptied family left nothing behind (fam-1 has an access token and a refresh token)
    await tokens.revokeFamily('fam-1', new Date());
    expect(await tokens.findAccessToken('a-live')).toBeUndefined();
    expect(await tokens.findRefreshToken('r-live')).toBeUndefined();
    expect(counts()).toEqual([0, 0]);
    // A family that grew from one member to two is revoked whole.
    await tokens.saveAccessToken(access('b1', { familyId: 'fam-b' }));
    await tokens.saveRefreshToken(refresh('b2', { familyId: 'fam-b' }));
    await tokens.revokeFamily('fam-b', new Date());
    expect(await tokens.findAccessToken('b1')).toBeUndefined();
    expect(await tokens.findRefreshToken('b2')).toBeUndefined();
    tokens.close();
  });

  it('revokes a family named after its first member whole, and nothing of a family whose member has the revoked id as its key', async () => {
    const { tokens } = createMemoryStores();
    /** [members, families] summed over the three tables (a family with members of two kinds counts twice). */
    const counts = () => {
      const tables = Object.values((tokens as unknown as { members: Record<string, MemberTable> }).members);
      return [tables.reduce((n, t) => n + t.size, 0), tables.reduce((n, t) => n + t.familyCount, 0)];
    };
    // The token service names a new family after its first access token (every client_credentials grant).
    await tokens.saveAccessToken(access('solo', { familyId: 'solo' }));
    await tokens.revokeFamily('solo', new Date());
    expect(await tokens.findAccessToken('solo')).toBeUndefined();
    // A family that grows from there (password grant: the refresh token joins it) is revoked whole.
    await tokens.saveAccessToken(access('first', { familyId: 'first' }));
    await tokens.saveRefreshToken(refresh('rt', { familyId: 'first' }));
    await tokens.saveAccessToken(access('next', { familyId: 'first' }));
    await tokens.saveAccessToken(access('bystander', { familyId: 'other' }));
    await tokens.revokeFamily('first', new Date());
    expect(await tokens.findAccessToken('first')).toBeUndefined();
    expect(await tokens.findRefreshToken('rt')).toBeUndefined();
    expect(await tokens.findAccessToken('next')).toBeUndefined();
    expect(await tokens.findAccessToken('bystander')).toEqual(access('bystander', { familyId: 'other' }));
    // Revoking a family by an id that is some other family's member's key deletes nothing of it.
    await tokens.revokeFamily('bystander', new Date());
    expect(await tokens.findAccessToken('bystander')).toEqual(access('bystander', { familyId: 'other' }));
    // Expired, it is purged with no index entry left behind.
    await tokens.saveAccessToken(access('gone', { familyId: 'gone', expiresAt: new Date(now - 1) }));
    expect(tokens.purgeExpired(now)).toBe(1);
    expect(counts()).toEqual([1, 1]); // the bystander and its own family only
    tokens.close();
  });

  it('keeps the kinds apart: the same key names a different record of each kind', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('same', { clientId: 'a' }));
    await tokens.saveRefreshToken(refresh('same', { clientId: 'r' }));
    await tokens.saveAuthorizationCode(code('same', { clientId: 'c' }));
    expect((await tokens.findAccessToken('same'))?.clientId).toBe('a');
    expect((await tokens.findRefreshToken('same'))?.clientId).toBe('r');
    expect((await tokens.findAuthorizationCode('same'))?.clientId).toBe('c');
    expect(await tokens.consumeRefreshToken('same', new Date(now))).toBe(true);
    expect(await tokens.consumeAuthorizationCode('same', new Date(now))).toBe(true);
    expect(await tokens.consumeRefreshToken('same', new Date(now))).toBe(false);
    tokens.close();
  });

  it('purges expired records and keeps live ones', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveAccessToken(access('old', { expiresAt: new Date(now - 1) }));
    await tokens.saveRefreshToken(refresh('old', { expiresAt: new Date(now - 1) }));
    await tokens.saveAccessToken(access('live'));
    expect(tokens.purgeExpired(now)).toBe(2);
    expect(await tokens.findAccessToken('old')).toBeUndefined();
    expect(await tokens.findRefreshToken('old')).toBeUndefined();
    expect(await tokens.findAccessToken('live')).toBeDefined();
    tokens.close();
  });
});

describe('in-memory client and user stores', () => {
  const stores = createMemoryStores({
    clients: [{ id: 'c', secret: 'secret-secret', grants: ['client_credentials'], scopes: ['read'] }],
    users: [
      { id: 'u1', username: 'ann', passwordHash: '$2b$04$abcdefghijklmnopqrstuuJ0o4y1zN2Qx1mYbq0n3x9GqS2Yl4kQa' },
      { id: 'u2', username: 'ann', realm: 'partners', disabled: true, passwordChangedAt: new Date(0) },
    ],
  });

  it('finds clients by exact id', async () => {
    expect((await stores.clients.findById('c'))?.id).toBe('c');
    expect(await stores.clients.findById('C')).toBeUndefined();
  });

  it('finds users by username within the realm only', async () => {
    expect((await stores.users.findByUsername('ann', {}))?.id).toBe('u1');
    expect(await stores.users.findByUsername('ann', { realm: 'partners' })).toEqual({
      id: 'u2',
      username: 'ann',
      realm: 'partners',
      disabled: true,
      passwordChangedAt: new Date(0),
    });
    expect(await stores.users.findByUsername('ann', { realm: 'elsewhere' })).toBeUndefined();
    expect((await stores.users.findById('u2', { realm: 'partners' }))?.username).toBe('ann');
    expect(await stores.users.findById('u2', {})).toBeUndefined();
  });
});

describe('production warning', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = saved;
  });

  it('warns once per process when used with NODE_ENV=production', () => {
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      process.env.NODE_ENV = 'production';
      createMemoryStores();
      createMemoryStores();
      expect(emit).toHaveBeenCalledTimes(1);
      expect(emit.mock.calls[0]?.[0]).toContain('in-memory stores lose every token on restart');
      expect(emit.mock.calls[0]?.[1]).toEqual({ code: 'EOP_MEMORY_STORE', type: 'ExpressOAuth2ProviderWarning' });
    } finally {
      emit.mockRestore();
    }
  });
});

describe('in-memory interactions and consents', () => {
  const interaction = (hash: string) => ({
    hash,
    browserHash: 'b',
    csrfToken: 'c',
    clientId: 'c1',
    redirectUri: 'https://a.example/cb',
    responseType: 'code' as const,
    scope: ['read'],
    createdAt: new Date(now),
    expiresAt: new Date(now + 60_000),
  });

  it('saves, replaces and finds interactions by hash', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveInteraction(interaction('i1'));
    await tokens.saveInteraction({ ...interaction('i1'), userId: 'u1' });
    expect(await tokens.findInteraction('i1')).toEqual({ ...interaction('i1'), userId: 'u1' });
    expect(await tokens.findInteraction('i2')).toBeUndefined();
  });

  it('consumes an interaction exactly once among 50 concurrent callers', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveInteraction(interaction('i1'));
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.consumeInteraction('i1', new Date())));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await tokens.findInteraction('i1'))?.consumedAt).toBeInstanceOf(Date);
  });

  it('keeps consumedAt when a consumed interaction is saved again (a late login cannot revive it)', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveInteraction(interaction('i1'));
    await tokens.consumeInteraction('i1', new Date(now));
    await tokens.saveInteraction({ ...interaction('i1'), userId: 'u1' });
    expect(await tokens.findInteraction('i1')).toEqual({ ...interaction('i1'), userId: 'u1', consumedAt: new Date(now) });
    expect(await tokens.consumeInteraction('i1', new Date())).toBe(false);
  });

  it('purges expired interactions', async () => {
    const { tokens } = createMemoryStores();
    await tokens.saveInteraction({ ...interaction('old'), expiresAt: new Date(now - 1) });
    expect(tokens.purgeExpired(now)).toBe(1);
    expect(await tokens.findInteraction('old')).toBeUndefined();
  });

  it('saves, replaces, finds and deletes consents per (user, client)', async () => {
    const { tokens } = createMemoryStores();
    const consent = { userId: 'u1', clientId: 'c1', scope: ['read'], updatedAt: new Date(now) };
    await tokens.saveConsent(consent);
    await tokens.saveConsent({ ...consent, clientId: 'c2' });
    await tokens.saveConsent({ ...consent, scope: ['read', 'write'] });
    expect(await tokens.findConsent('u1', 'c1')).toEqual({ ...consent, scope: ['read', 'write'] });
    await tokens.deleteConsent('u1', 'c1');
    await tokens.deleteConsent('u1', 'never');
    expect(await tokens.findConsent('u1', 'c1')).toBeUndefined();
    expect(await tokens.findConsent('u1', 'c2')).toEqual({ ...consent, clientId: 'c2' });
  });
});

describe('in-memory client groups (the groups seed)', () => {
  it('seeds groups that findGroup returns exactly, as copies', async () => {
    const stores = createMemoryStores({
      groups: [{ id: 'acme', name: 'ACME', disabled: true, rateLimit: { limit: 600, windowSeconds: 60 } }, { id: 'plain' }],
    });
    const found = await stores.clients.findGroup?.('acme');
    expect(found).toEqual({ id: 'acme', name: 'ACME', disabled: true, rateLimit: { limit: 600, windowSeconds: 60 } });
    (found?.rateLimit as { limit: number }).limit = 1;
    expect((await stores.clients.findGroup?.('acme'))?.rateLimit).toEqual({ limit: 600, windowSeconds: 60 });
    expect(await stores.clients.findGroup?.('plain')).toEqual({ id: 'plain' });
    expect(await stores.clients.findGroup?.('ACME')).toBeUndefined();
  });

  it("keeps a seeded client's rateLimit and group as copies too", async () => {
    const stores = createMemoryStores({
      clients: [{ id: 'c', secret: 'a-secret-value-0123456789', grants: ['client_credentials'], group: 'acme', rateLimit: { limit: 5, windowSeconds: 1 } }],
    });
    const found = await stores.clients.findById('c');
    (found?.rateLimit as { limit: number }).limit = 99;
    expect(await stores.clients.findById('c')).toMatchObject({ group: 'acme', rateLimit: { limit: 5, windowSeconds: 1 } });
  });

  it.each([
    [{ groups: {} }, 'groups', 'must be an array'],
    [{ groups: [{ name: 'no id' }] }, 'groups[0].id', 'must be a non-empty string'],
    [{ groups: [{ id: 'g', colour: 'red' }] }, 'groups[0].colour', 'unknown option (known: id, name, disabled, rateLimit)'],
    [{ groups: [{ id: 'g', disabled: 'yes' }] }, 'groups[0].disabled', 'must be a boolean'],
    [{ groups: [{ id: 'g', name: 7 }] }, 'groups[0].name', 'must be a string'],
    [{ groups: [{ id: 'g', rateLimit: { limit: 0, windowSeconds: 60 } }] }, 'groups[0].rateLimit.limit', 'must be a whole number of requests, at least 1'],
    [{ groups: [{ id: 'g' }, { id: 'g' }] }, 'groups[1].id', 'duplicate group id "g"'],
  ])('refuses the seed %j with ConfigurationError at %s', (options, path, problem) => {
    expect(() => createMemoryStores(options as never)).toThrow(expect.objectContaining({ name: 'ConfigurationError', path, message: `${path}: ${problem}` }));
  });
});
