import type { Request } from 'express';
import { InvalidClientError, InvalidRequestError } from '../errors';
import type { Params } from '../router/read-params';
import type { ClientAuthMethod, ClientRecord, ClientStore } from '../stores/types';
import type { Emit } from '../events';
import { ClientSecretBasicStrategy, parseBasicCredentials } from './client-secret-basic';
import { ClientSecretPostStrategy } from './client-secret-post';
import { PublicClientStrategy } from './none';
import { runStrategy } from './run-strategy';
import { createClientVerifier } from './verify-client';

/** Authenticates the client of a token-endpoint request, or throws `invalid_client`/`invalid_request`. */
export type ClientAuthenticator = (req: Request) => Promise<ClientRecord>;

/**
 * Client authentication at the token endpoint: one passport Strategy per method, run by
 * `runStrategy` (never the host's global Passport, nor passport.authenticate: see there).
 *
 * We pick exactly one strategy from what the request carries instead of trying several:
 * Passport accepts whichever listed strategy succeeds first, so a request carrying two sets
 * of credentials could pass on one and ignore the other.
 * RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
 */
export function createClientAuthenticator(clients: ClientStore, realm: string, emit: Emit): ClientAuthenticator {
  const verify = createClientVerifier(clients);
  const strategies = {
    client_secret_basic: new ClientSecretBasicStrategy(verify, realm),
    client_secret_post: new ClientSecretPostStrategy(verify),
    none: new PublicClientStrategy(verify),
  };

  return async (req) => {
    try {
      return await authenticate(req);
    } catch (err) {
      if (err instanceof InvalidClientError) {
        // The id the caller claimed (never the secret), for audit and alerting.
        const claimed = parseBasicCredentials(req.headers.authorization)?.id ?? (req.body as Params).client_id;
        emit('client.authentication_failed', { ip: req.ip, clientId: claimed, reason: err.message });
      }
      throw err;
    }
  };

  async function authenticate(req: Request): Promise<ClientRecord> {
    const params = req.body as Params;
    const method = detectMethod(req.headers.authorization, params);
    // Our strategies read only the Authorization header and the parsed body: they get a
    // stand-in holding those, so nothing is added to the host's request.
    const standIn = { headers: { authorization: req.headers.authorization }, body: params };
    const client = await runStrategy<ClientRecord>(strategies[method], standIn);
    if (!client) throw new InvalidClientError();
    // With Basic, a client_id in the body is allowed (RFC 6749 §4.1.3) but must be the same client.
    if (method === 'client_secret_basic' && params.client_id !== undefined && params.client_id !== client.id) {
      throw new InvalidRequestError('client_id does not match the authenticated client');
    }
    return client;
  }
}

function detectMethod(authorization: string | undefined, params: Params): ClientAuthMethod {
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization);
  const post = params.client_secret !== undefined;
  if (basic && post) {
    throw new InvalidRequestError('Use one client authentication method, not several (RFC 6749 section 2.3)');
  }
  if (basic) return 'client_secret_basic';
  if (post) return 'client_secret_post';
  if (params.client_id !== undefined) return 'none';
  throw new InvalidClientError('Client authentication is required');
}
