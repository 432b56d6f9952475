import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  ClientRecord,
  ConsentRecord,
  InteractionRecord,
  RefreshTokenRecord,
  Stores,
  UserRecord,
} from '../stores/types';
import { assertRecord } from './assert-record';
import { describeClientStoreWrites } from './client-store-conformance';

type Suite = (name: string, fn: () => void) => void;
type Test = (name: string, fn: () => Promise<void>) => void;

/** Options of `runStoreConformance()`. */
export interface StoreConformanceOptions {
  /** Names the suite, e.g. `'postgres'`. */
  name: string;
  /**
   * Returns stores that hold (at least) the given clients and users. Called once per test,
   * with ids unique to that test, so it may insert into a shared database without cleanup.
   */
  create(seed: { clients: ClientRecord[]; users: UserRecord[] }): Stores | Promise<Stores>;
  /** Your runner's `describe` (jest, vitest, mocha; node:test's `describe`). */
  describe: Suite;
  /** Your runner's `it`/`test`. Each test may take a few seconds on a real database. */
  it: Test;
  /** How many parallel consumers race for one record. @defaultValue `50` */
  concurrency?: number;
  /** If your token store can purge, how: the kit checks it drops only expired records. */
  purgeExpired?: (stores: Stores) => Promise<unknown>;
  /**
   * Your ClientStore has the optional methods (`findGroup` and the writes the client
   * management API uses: `createClient`, `updateClient`, `deleteClient`, `listClients`,
   * `saveGroup`, `listGroups`, `deleteGroup`): the kit then checks their contract too.
   * @defaultValue `false`
   */
  clientWrites?: boolean;
}

/**
 * The behavioural contract of the three stores, as tests: run it against your adapter to
 * prove it correct (docs/stores.md, "Write your own adapter"). Assertions use node:assert,
 * so it runs under any test runner that offers describe/it.
 *
 * @example
 * ```ts
 * import { runStoreConformance } from 'express-oauth2-provider/testing';
 * runStoreConformance({ name: 'my adapter', describe, it, create: async (seed) => { await insert(seed); return myStores } });
 * ```
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const { describe, it } = options;
  const n = options.concurrency ?? 50;

  /** Fresh stores and ids for one test. */
  const setup = async () => {
    const id = randomUUID();
    const client: ClientRecord = {
      id: `client-${id}`,
      name: 'Conformance client',
      secretHash: 'sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU',
      tokenEndpointAuthMethod: 'client_secret_post',
      grants: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirectUris: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
      scopes: ['read', 'write'],
      defaultScopes: ['read'],
      accessTokenLifetime: 300,
      refreshTokenLifetime: 3600,
      accessTokenFormat: 'opaque',
      canIntrospect: true,
      requirePkce: true,
      firstParty: false,
      disabled: false,
      group: `group-${id}`,
      rateLimit: { limit: 100, windowSeconds: 60 },
    };
    const minimal: ClientRecord = { id: `minimal-${id}`, grants: ['client_credentials'], secretHash: client.secretHash };
    const user: UserRecord = {
      id: `user-${id}`,
      username: `ann-${id}`,
      passwordHash: '$2b$04$abcdefghijklmnopqrstuuJ0o4y1zN2Qx1mYbq0n3x9GqS2Yl4kQa',
      disabled: false,
      passwordChangedAt: new Date('2026-01-02T03:04:05.678Z'),
    };
    const partner: UserRecord = { id: `partner-${id}`, username: user.username, realm: 'partners' };
    const stores = await options.create({ clients: [client, minimal], users: [user, partner] });
    const now = Date.now();
    const member = (familyId: string) => ({
      familyId,
      clientId: client.id,
      userId: user.id,
      realm: 'partners',
      scope: ['read', 'write'],
      createdAt: new Date(now),
      expiresAt: new Date(now + 60_000),
    });
    return { id, client, minimal, user, partner, stores, now, member, fam: `fam-${id}`, key: (k: string) => `${k}-${id}` };
  };

  describe(`store conformance: ${options.name}`, () => {
    describe('ClientStore', () => {
      it('round-trips every field of a client', async () => {
        const t = await setup();
        assertRecord(await t.stores.clients.findById(t.client.id), t.client);
        assertRecord(await t.stores.clients.findById(t.minimal.id), t.minimal);
      });
      it('answers undefined for an unknown id, and compares ids exactly', async () => {
        const t = await setup();
        assert.equal(await t.stores.clients.findById(`nobody-${t.id}`), undefined);
        assert.equal(await t.stores.clients.findById(t.client.id.toUpperCase()), undefined);
      });
    });

    describe('UserStore', () => {
      it('finds a user by username within a realm, and by id', async () => {
        const t = await setup();
        assertRecord(await t.stores.users.findByUsername(t.user.username, {}), t.user);
        assertRecord(await t.stores.users.findByUsername(t.user.username, { realm: 'partners' }), t.partner);
        assertRecord(await t.stores.users.findById(t.user.id, {}), t.user);
        assertRecord(await t.stores.users.findById(t.partner.id, { realm: 'partners' }), t.partner);
      });
      it('answers undefined outside the realm and for unknown users', async () => {
        const t = await setup();
        assert.equal(await t.stores.users.findByUsername(t.user.username, { realm: 'elsewhere' }), undefined);
        assert.equal(await t.stores.users.findById(t.partner.id, {}), undefined);
        assert.equal(await t.stores.users.findByUsername(`nobody-${t.id}`, {}), undefined);
      });
    });

    describe('TokenStore: records', () => {
      it('round-trips access tokens, refresh tokens and codes with every field', async () => {
        const t = await setup();
        const access: AccessTokenRecord = { ...t.member(t.fam), id: t.key('at') };
        const refresh: RefreshTokenRecord = { ...t.member(t.fam), hash: t.key('rt') };
        const code: AuthorizationCodeRecord = {
          ...t.member(t.fam),
          hash: t.key('code'),
          redirectUri: 'https://app.example/cb',
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          codeChallengeMethod: 'S256',
        };
        const bare: AuthorizationCodeRecord = { familyId: t.key('f2'), clientId: t.client.id, scope: [], createdAt: new Date(t.now), expiresAt: new Date(t.now + 1000), hash: t.key('bare'), redirectUri: 'https://app.example/cb' };
        await t.stores.tokens.saveAccessToken(access);
        await t.stores.tokens.saveRefreshToken(refresh);
        await t.stores.tokens.saveAuthorizationCode(code);
        await t.stores.tokens.saveAuthorizationCode(bare);
        assertRecord(await t.stores.tokens.findAccessToken(access.id), access);
        assertRecord(await t.stores.tokens.findRefreshToken(refresh.hash), refresh);
        assertRecord(await t.stores.tokens.findAuthorizationCode(code.hash), code);
        assertRecord(await t.stores.tokens.findAuthorizationCode(bare.hash), bare);
      });
      it('finds tokens and codes only by their exact key', async () => {
        const t = await setup();
        await t.stores.tokens.saveRefreshToken({ ...t.member(t.fam), hash: t.key('rt') });
        assert.equal(await t.stores.tokens.findRefreshToken(t.key('RT')), undefined);
        assert.equal(await t.stores.tokens.findRefreshToken(`${t.key('rt')} `), undefined);
        assert.equal(await t.stores.tokens.findAccessToken(t.key('rt')), undefined);
        assert.equal(await t.stores.tokens.findAuthorizationCode(t.key('rt')), undefined);
      });
      it('keeps expiresAt exactly, including for records already expired (the library checks expiry)', async () => {
        const t = await setup();
        const expired: RefreshTokenRecord = { ...t.member(t.fam), hash: t.key('old'), expiresAt: new Date(t.now - 1000) };
        await t.stores.tokens.saveRefreshToken(expired);
        const found = await t.stores.tokens.findRefreshToken(expired.hash);
        if (found) assert.equal(found.expiresAt.getTime(), expired.expiresAt.getTime());
      });
    });

    describe('TokenStore: single use', () => {
      for (const kind of ['refresh token', 'authorization code'] as const) {
        it(`lets exactly one of ${n} concurrent consumers of one ${kind} win`, async () => {
          const t = await setup();
          const hash = t.key('h');
          const at = new Date(t.now + 5000);
          if (kind === 'refresh token') await t.stores.tokens.saveRefreshToken({ ...t.member(t.fam), hash });
          else await t.stores.tokens.saveAuthorizationCode({ ...t.member(t.fam), hash, redirectUri: 'https://app.example/cb' });
          const consume = () => (kind === 'refresh token' ? t.stores.tokens.consumeRefreshToken(hash, at) : t.stores.tokens.consumeAuthorizationCode(hash, at));
          const results = await Promise.all(Array.from({ length: n }, consume));
          assert.equal(results.filter((r) => r === true).length, 1, 'exactly one consumer wins');
          assert.equal(results.filter((r) => r === false).length, n - 1, 'every other consumer gets false');
          const found = kind === 'refresh token' ? await t.stores.tokens.findRefreshToken(hash) : await t.stores.tokens.findAuthorizationCode(hash);
          assert.ok(found, 'a consumed record is still found (reuse detection needs it)');
          assert.equal(found.consumedAt?.getTime(), at.getTime());
          assert.equal(await consume(), false, 'and never consumed again');
        });
      }
      it('consumes nothing unknown', async () => {
        const t = await setup();
        assert.equal(await t.stores.tokens.consumeRefreshToken(t.key('none'), new Date()), false);
        assert.equal(await t.stores.tokens.consumeAuthorizationCode(t.key('none'), new Date()), false);
        assert.equal(await t.stores.tokens.consumeInteraction(t.key('none'), new Date()), false);
      });
    });

    describe('TokenStore: family revocation', () => {
      it('hides every member of a revoked family, including members saved afterwards', async () => {
        const t = await setup();
        const other = `${t.fam}-other`;
        await t.stores.tokens.saveAccessToken({ ...t.member(t.fam), id: t.key('at') });
        await t.stores.tokens.saveRefreshToken({ ...t.member(t.fam), hash: t.key('rt') });
        await t.stores.tokens.saveAuthorizationCode({ ...t.member(t.fam), hash: t.key('code'), redirectUri: 'https://app.example/cb' });
        await t.stores.tokens.saveAccessToken({ ...t.member(other), id: t.key('keep') });
        await t.stores.tokens.revokeFamily(t.fam, new Date());
        await t.stores.tokens.saveRefreshToken({ ...t.member(t.fam), hash: t.key('late') });
        assert.equal(await t.stores.tokens.findAccessToken(t.key('at')), undefined);
        assert.equal(await t.stores.tokens.findRefreshToken(t.key('rt')), undefined);
        assert.equal(await t.stores.tokens.findAuthorizationCode(t.key('code')), undefined);
        assert.equal(await t.stores.tokens.findRefreshToken(t.key('late')), undefined, 'a member saved after the revocation is hidden too');
        assert.equal(await t.stores.tokens.consumeRefreshToken(t.key('late'), new Date()), false);
        assert.equal(await t.stores.tokens.consumeAuthorizationCode(t.key('code'), new Date()), false);
        assert.ok(await t.stores.tokens.findAccessToken(t.key('keep')), 'another family is untouched');
      });
      it('revokes idempotently, and an unknown family without error', async () => {
        const t = await setup();
        await t.stores.tokens.saveAccessToken({ ...t.member(t.fam), id: t.key('at') });
        await t.stores.tokens.revokeFamily(t.fam, new Date());
        await t.stores.tokens.revokeFamily(t.fam, new Date());
        await t.stores.tokens.revokeFamily(`${t.fam}-never`, new Date());
        assert.equal(await t.stores.tokens.findAccessToken(t.key('at')), undefined);
      });
      it('a revocation racing consumers still ends with the family hidden', async () => {
        const t = await setup();
        await t.stores.tokens.saveRefreshToken({ ...t.member(t.fam), hash: t.key('rt') });
        await Promise.all([
          ...Array.from({ length: 10 }, () => t.stores.tokens.consumeRefreshToken(t.key('rt'), new Date())),
          t.stores.tokens.revokeFamily(t.fam, new Date()),
        ]);
        assert.equal(await t.stores.tokens.findRefreshToken(t.key('rt')), undefined);
      });
    });

    describe('TokenStore: interactions and consents', () => {
      const interaction = (t: Awaited<ReturnType<typeof setup>>): InteractionRecord => ({
        hash: t.key('ix'),
        browserHash: 'browser',
        csrfToken: 'csrf',
        clientId: t.client.id,
        redirectUri: 'https://app.example/cb',
        responseType: 'code',
        scope: ['read'],
        state: 'xyz',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        createdAt: new Date(t.now),
        expiresAt: new Date(t.now + 600_000),
      });
      it('saves, replaces and finds an interaction', async () => {
        const t = await setup();
        await t.stores.tokens.saveInteraction(interaction(t));
        await t.stores.tokens.saveInteraction({ ...interaction(t), userId: t.user.id, realm: 'partners' });
        assertRecord(await t.stores.tokens.findInteraction(t.key('ix')), { ...interaction(t), userId: t.user.id, realm: 'partners' });
        assert.equal(await t.stores.tokens.findInteraction(t.key('none')), undefined);
      });
      it(`consumes an interaction once among ${n} concurrent callers, and a later save keeps it consumed`, async () => {
        const t = await setup();
        await t.stores.tokens.saveInteraction(interaction(t));
        const results = await Promise.all(Array.from({ length: n }, () => t.stores.tokens.consumeInteraction(t.key('ix'), new Date(t.now))));
        assert.equal(results.filter(Boolean).length, 1);
        await t.stores.tokens.saveInteraction({ ...interaction(t), userId: t.user.id });
        assert.equal((await t.stores.tokens.findInteraction(t.key('ix')))?.consumedAt?.getTime(), t.now);
        assert.equal(await t.stores.tokens.consumeInteraction(t.key('ix'), new Date()), false);
      });
      it('saves, replaces, finds and deletes consents per user and client', async () => {
        const t = await setup();
        const consent: ConsentRecord = { userId: t.user.id, clientId: t.client.id, scope: ['read'], updatedAt: new Date(t.now) };
        await t.stores.tokens.saveConsent(consent);
        await t.stores.tokens.saveConsent({ ...consent, clientId: t.minimal.id });
        await t.stores.tokens.saveConsent({ ...consent, scope: ['read', 'write'] });
        assertRecord(await t.stores.tokens.findConsent(t.user.id, t.client.id), { ...consent, scope: ['read', 'write'] });
        await t.stores.tokens.deleteConsent(t.user.id, t.client.id);
        await t.stores.tokens.deleteConsent(t.user.id, `nobody-${t.id}`);
        assert.equal(await t.stores.tokens.findConsent(t.user.id, t.client.id), undefined);
        assertRecord(await t.stores.tokens.findConsent(t.user.id, t.minimal.id), { ...consent, clientId: t.minimal.id });
      });
    });

    if (options.clientWrites) describeClientStoreWrites(describe, it, setup, n);

    if (options.purgeExpired) {
      const purge = options.purgeExpired;
      describe('TokenStore: purging', () => {
        it('drops expired records and keeps live ones', async () => {
          const t = await setup();
          await t.stores.tokens.saveAccessToken({ ...t.member(t.fam), id: t.key('old'), expiresAt: new Date(t.now - 1000) });
          await t.stores.tokens.saveAccessToken({ ...t.member(t.fam), id: t.key('live') });
          await purge(t.stores);
          assert.equal(await t.stores.tokens.findAccessToken(t.key('old')), undefined);
          assert.ok(await t.stores.tokens.findAccessToken(t.key('live')));
        });
      });
    }
  });
}
