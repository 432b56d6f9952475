import assert from 'node:assert/strict';
import type { ClientGroupRecord, ClientRecord, ClientStore, Stores } from '../stores/types';
import { assertRecord } from './assert-record';

type Suite = (name: string, fn: () => void) => void;
type Test = (name: string, fn: () => Promise<void>) => void;

/** What each test of this part of the kit starts from: fresh stores and ids of its own. */
export interface ClientWritesFixture {
  id: string;
  stores: Stores;
  /** A client with every field set, already in the store. */
  client: ClientRecord;
}

const WRITE_METHODS = ['findGroup', 'createClient', 'updateClient', 'deleteClient', 'listClients', 'saveGroup', 'listGroups', 'deleteGroup'] as const;

/** The store, with the optional methods asserted present (a store that claims them must have them all). */
function writable(stores: Stores): Required<ClientStore> {
  for (const method of WRITE_METHODS) {
    assert.equal(typeof stores.clients[method], 'function', `clients.${method} must be a function`);
  }
  return stores.clients as Required<ClientStore>;
}

/**
 * Ids after `prefix` in the byte order of their UTF-8 encoding: "B" < "a" < "z" < "é" < "ｚ"
 * (U+FF5A) < "😀" (U+1F600). JavaScript's default (UTF-16) order would put "😀" before "ｚ".
 */
const SUFFIXES = ['B', 'a', 'z', 'é', 'ｚ', '😀'];

/**
 * The contract of `ClientStore`'s optional methods (groups and the writes the client
 * management API uses), declared by `runStoreConformance({ clientWrites: true })`.
 */
export function describeClientStoreWrites(describe: Suite, it: Test, setup: () => Promise<ClientWritesFixture>, concurrency: number): void {
  describe('ClientStore: groups and writes (optional methods)', () => {
    it('createClient stores every field, and refuses (false) an id that is taken', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const fresh: ClientRecord = { ...t.client, id: `new-${t.id}`, name: 'Created', rateLimit: { limit: 7, windowSeconds: 60 } };
      assert.equal(await clients.createClient(fresh), true);
      assertRecord(await clients.findById(fresh.id), fresh);
      assert.equal(await clients.createClient({ ...fresh, name: 'Again' }), false, 'a second create of one id is refused');
      assert.equal(await clients.createClient({ ...t.client, name: 'Seeded' }), false, 'so is the id of a client inserted otherwise');
      assertRecord(await clients.findById(fresh.id), fresh);
      assertRecord(await clients.findById(t.client.id), t.client);
    });

    it(`of ${concurrency} concurrent createClient calls for one id, exactly one wins`, async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const results = await Promise.all(
        Array.from({ length: concurrency }, (_, i) => clients.createClient({ id: `race-${t.id}`, name: `n${i}`, grants: ['client_credentials'], secretHash: t.client.secretHash })),
      );
      assert.equal(results.filter((r) => r === true).length, 1, 'exactly one create wins');
      const winner = results.indexOf(true);
      assertRecord(await clients.findById(`race-${t.id}`), { id: `race-${t.id}`, name: `n${winner}`, grants: ['client_credentials'], secretHash: t.client.secretHash });
    });

    it('updateClient replaces the whole record (absent fields become absent), and changes nothing for an unknown id', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const smaller: ClientRecord = { id: t.client.id, name: 'Renamed', secretHash: t.client.secretHash, grants: ['client_credentials'], disabled: true };
      assert.equal(await clients.updateClient(smaller), true);
      assertRecord(await clients.findById(t.client.id), smaller);
      assert.equal(await clients.updateClient({ ...smaller, id: `nobody-${t.id}` }), false);
      assert.equal(await clients.findById(`nobody-${t.id}`), undefined, 'an update never inserts');
    });

    it('deleteClient removes a client once, and its id is never created again', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      assert.equal(await clients.deleteClient(t.client.id), true);
      assert.equal(await clients.findById(t.client.id), undefined);
      assert.equal(await clients.deleteClient(t.client.id), false);
      assert.equal(await clients.deleteClient(`nobody-${t.id}`), false);
      assert.equal(await clients.createClient(t.client), false, "a deleted client's id is refused");
      assert.equal(await clients.findById(t.client.id), undefined);
      assert.deepEqual(await clients.listClients({ group: t.client.group, limit: 10 }), [], 'nor listed');
    });

    it('listClients pages by id in UTF-8 byte order after a cursor, and filters by group', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const prefix = `list-${t.id}-`;
      const group = `grp-${t.id}`;
      // Created in another order than the expected one.
      for (const suffix of [...SUFFIXES].reverse()) {
        const inGroup = SUFFIXES.indexOf(suffix) % 2 === 0;
        assert.equal(await clients.createClient({ id: prefix + suffix, grants: ['client_credentials'], secretHash: t.client.secretHash, ...(inGroup ? { group } : {}) }), true);
      }
      const ids = (records: ClientRecord[]) => records.map((c) => c.id.slice(prefix.length));
      const first = await clients.listClients({ after: prefix, limit: 4 });
      assert.deepEqual(ids(first), SUFFIXES.slice(0, 4));
      const rest = await clients.listClients({ after: first[3]?.id, limit: 4 });
      assert.deepEqual(ids(rest.filter((c) => c.id.startsWith(prefix))), SUFFIXES.slice(4));
      assert.deepEqual(ids(await clients.listClients({ group, limit: 10 })), ['B', 'z', 'ｚ']);
      assert.deepEqual(ids(await clients.listClients({ group, after: `${prefix}B`, limit: 1 })), ['z']);
      assertRecord(first[0], { id: `${prefix}B`, grants: ['client_credentials'], secretHash: t.client.secretHash, group });
    });

    it('saveGroup inserts and replaces every field; findGroup compares ids exactly', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const group: ClientGroupRecord = { id: `group-${t.id}`, name: 'ACME', disabled: true, rateLimit: { limit: 600, windowSeconds: 60 } };
      await clients.saveGroup(group);
      assertRecord(await clients.findGroup(group.id), group);
      await clients.saveGroup({ id: group.id });
      assertRecord(await clients.findGroup(group.id), { id: group.id });
      assert.equal(await clients.findGroup(group.id.toUpperCase()), undefined);
      assert.equal(await clients.findGroup(`nobody-${t.id}`), undefined);
    });

    it('listGroups pages by id after a cursor; deleteGroup removes a group once', async () => {
      const t = await setup();
      const clients = writable(t.stores);
      const prefix = `groups-${t.id}-`;
      for (const suffix of ['c', 'a', 'b']) await clients.saveGroup({ id: prefix + suffix, name: suffix });
      const first = await clients.listGroups({ after: prefix, limit: 2 });
      assert.deepEqual(first, [
        { id: `${prefix}a`, name: 'a' },
        { id: `${prefix}b`, name: 'b' },
      ]);
      assert.deepEqual((await clients.listGroups({ after: `${prefix}b`, limit: 2 }))[0], { id: `${prefix}c`, name: 'c' });
      assert.equal(await clients.deleteGroup(`${prefix}b`), true);
      assert.equal(await clients.deleteGroup(`${prefix}b`), false);
      assert.equal(await clients.findGroup(`${prefix}b`), undefined);
      assert.deepEqual(
        (await clients.listGroups({ after: prefix, limit: 3 })).filter((g) => g.id.startsWith(prefix)).map((g) => g.id),
        [`${prefix}a`, `${prefix}c`],
      );
    });
  });
}
