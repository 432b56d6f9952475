import { ConfigurationError } from '../errors';
import type { ClientAdminStore, ClientGroupRecord, ClientListQuery, ClientRecord, ListQuery } from './types';
import { cloneRecord } from './clone-record';
import { settlesWithoutWaiting } from './time-limit';
import { validateClientGroupRecord, validateClientRecord } from './validate-client';

/**
 * The in-memory client store, with groups and every write method (the admin API's needs).
 * Records are cloned in and out. Each write checks and sets with no `await` in between, so
 * two concurrent creates of one id cannot both win.
 */
export class MemoryClientStore implements ClientAdminStore {
  private readonly clients: Map<string, ClientRecord>;
  private readonly groups: Map<string, ClientGroupRecord>;
  /** Ids of deleted clients: never registered again (their tokens would come back to life). */
  private readonly deleted = new Set<string>();

  constructor(clients: ClientRecord[], groups: ClientGroupRecord[]) {
    this.clients = new Map(clients.map((c) => [c.id, c]));
    this.groups = new Map(groups.map((g) => [g.id, g]));
  }

  async findById(clientId: string): Promise<ClientRecord | undefined> {
    const client = this.clients.get(clientId);
    return client && cloneRecord(client);
  }

  async findGroup(groupId: string): Promise<ClientGroupRecord | undefined> {
    const group = this.groups.get(groupId);
    return group && cloneRecord(group);
  }

  async createClient(client: ClientRecord): Promise<boolean> {
    validateClientRecord(client, 'client');
    if (this.clients.has(client.id) || this.deleted.has(client.id)) return false;
    this.clients.set(client.id, cloneRecord(client));
    return true;
  }

  async updateClient(client: ClientRecord): Promise<boolean> {
    validateClientRecord(client, 'client');
    if (!this.clients.has(client.id)) return false;
    this.clients.set(client.id, cloneRecord(client));
    return true;
  }

  async deleteClient(clientId: string): Promise<boolean> {
    if (!this.clients.delete(clientId)) return false;
    this.deleted.add(clientId);
    return true;
  }

  async listClients(query: ClientListQuery): Promise<ClientRecord[]> {
    const all = [...this.clients.values()].filter((c) => query.group === undefined || c.group === query.group);
    return page(all, query).map((c) => cloneRecord(c));
  }

  async saveGroup(group: ClientGroupRecord): Promise<void> {
    validateClientGroupRecord(group, 'group');
    this.groups.set(group.id, cloneRecord(group));
  }

  async listGroups(query: ListQuery): Promise<ClientGroupRecord[]> {
    return page([...this.groups.values()], query).map((g) => cloneRecord(g));
  }

  async deleteGroup(groupId: string): Promise<boolean> {
    return this.groups.delete(groupId);
  }
}
settlesWithoutWaiting(MemoryClientStore.prototype);

/** Validates the `groups` seed of `createMemoryStores()`. */
export function loadGroups(seed: unknown): ClientGroupRecord[] {
  if (!Array.isArray(seed)) throw new ConfigurationError('groups', 'must be an array');
  const ids = new Set<string>();
  return seed.map((entry: ClientGroupRecord, i) => {
    validateClientGroupRecord(entry, `groups[${i}]`);
    if (ids.has(entry.id)) throw new ConfigurationError(`groups[${i}].id`, `duplicate group id "${entry.id}"`);
    ids.add(entry.id);
    return cloneRecord(entry);
  });
}

/**
 * One page in the order the store contract fixes: ids in the byte order of their UTF-8
 * encoding (what PostgreSQL's `COLLATE "C"` gives), which differs from JavaScript's UTF-16
 * order for characters beyond U+FFFF.
 */
function page<T extends { id: string }>(records: T[], query: ListQuery): T[] {
  const key = (id: string) => Buffer.from(id, 'utf8');
  const after = query.after === undefined ? undefined : key(query.after);
  return records
    .map((record) => ({ record, key: key(record.id) }))
    .filter((r) => after === undefined || Buffer.compare(r.key, after) > 0)
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .slice(0, query.limit)
    .map((r) => r.record);
}
