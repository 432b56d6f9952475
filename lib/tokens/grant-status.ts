import { clientRefusal } from '../stores/client-status';
import type { FamilyMember, Stores } from '../stores/types';

/**
 * Whether the client and user behind a token may still use it: a client or user that was
 * disabled (or deleted) since the token was issued loses its existing tokens wherever the
 * server looks them up (introspection, and requireToken with checkRevocation). Two store
 * reads; the library never does it on the plain JWT path.
 */
export async function isGrantAllowed(stores: Pick<Stores, 'clients' | 'users'>, record: Pick<FamilyMember, 'clientId' | 'userId' | 'realm'>): Promise<boolean> {
  const [client, user] = await Promise.all([
    stores.clients.findById(record.clientId),
    record.userId === undefined ? undefined : stores.users.findById(record.userId, { realm: record.realm }),
  ]);
  if (!client || (await clientRefusal(stores.clients, client)) !== undefined) return false;
  return record.userId === undefined || (user !== undefined && !user.disabled);
}
