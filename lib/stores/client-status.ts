import { warnOnce } from '../internal/once-warn';
import type { ClientGroupRecord, ClientRecord, ClientStore } from './types';

/**
 * The group found while deciding about a client record, kept for the rest of that request: a
 * store hands out a fresh record per `findById`, so this lives exactly as long as the request
 * that holds it, and the rate limiter reads the group without a second store call.
 */
const groups = new WeakMap<ClientRecord, ClientGroupRecord>();

/** The client's group: the one `clientRefusal` already read for this record, or a store read. */
export async function findClientGroup(clients: ClientStore, client: ClientRecord): Promise<ClientGroupRecord | undefined> {
  if (client.group === undefined || typeof clients.findGroup !== 'function') return undefined;
  return groups.get(client) ?? clients.findGroup(client.group);
}

/**
 * The one decision "may this client be used right now?", taken the same way by client
 * authentication, the authorization endpoint and every check of an existing token
 * (introspection, `requireToken({ checkRevocation: true })`).
 *
 * Resolves `undefined` when the client may be used, otherwise why not, as an RFC 6749
 * `error_description` (each caller wraps it in its own error):
 * - the client itself is disabled;
 * - its group is disabled;
 * - its group cannot be found, or the store has no `findGroup` to look it up. Both fail closed
 *   (docs/adr/0012-client-management-api.md): a client that names a group is only as usable as
 *   that group, and a group we cannot see may be a disabled one.
 *
 * Costs nothing for a client without a group, and one `findGroup` read for one with a group.
 */
export async function clientRefusal(clients: ClientStore, client: ClientRecord): Promise<string | undefined> {
  if (client.disabled) return 'The client is disabled';
  if (client.group === undefined) return undefined;
  if (typeof clients.findGroup !== 'function') {
    warnOnce(
      'EOP_NO_FIND_GROUP',
      'express-oauth2-provider: a client names a group but stores.clients has no findGroup(); such clients are refused (fail closed).',
    );
    return "The client's group cannot be found";
  }
  const group = await clients.findGroup(client.group);
  if (!group) return "The client's group cannot be found";
  groups.set(client, group);
  if (group.disabled) return "The client's group is disabled";
  return undefined;
}
