import { InvalidClientError } from '../errors';
import { clientRefusal } from '../stores/client-status';
import type { ClientAuthMethod, ClientRecord, ClientStore } from '../stores/types';
import { verifyClientSecret } from '../tokens/secrets';

/** The method a client is registered for: explicit, or implied by whether it has a secret. */
export function registeredAuthMethod(client: ClientRecord): ClientAuthMethod {
  return client.tokenEndpointAuthMethod ?? (client.secretHash ? 'client_secret_basic' : 'none');
}

/** Checks one set of client credentials; what every client-auth strategy calls. */
export type VerifyClient = (method: ClientAuthMethod, clientId: string, secret?: string) => Promise<ClientRecord>;

/**
 * One store read and, for confidential clients, one SHA-256 comparison: no bcrypt on this
 * path (DESIGN.md, performance principles). Every failure is `invalid_client`; a wrong secret
 * and an unknown id get the same description. A method mismatch is named, to help the
 * developer fix the call: it reveals that the id exists, which RFC 6749 §2.2 allows (client
 * ids are not secrets), never anything about the secret.
 */
export function createClientVerifier(clients: ClientStore): VerifyClient {
  return async (method, clientId, secret) => {
    const client = await clients.findById(clientId);
    if (!client) throw new InvalidClientError();
    const registered = registeredAuthMethod(client);
    if (registered !== method) {
      throw new InvalidClientError(`The client is registered for ${registered} authentication, not ${method}`);
    }
    if (method !== 'none') {
      if (secret === undefined || client.secretHash === undefined || !verifyClientSecret(secret, client.secretHash)) {
        throw new InvalidClientError();
      }
    }
    // Only after the secret: whether a client is disabled is no business of a caller without it.
    const refusal = await clientRefusal(clients, client);
    if (refusal !== undefined) throw new InvalidClientError(refusal);
    return client;
  };
}
