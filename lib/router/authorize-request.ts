import type { Request } from 'express';
import { InvalidRequestError, OAuthError, UnauthorizedClientError, UnsupportedResponseTypeError } from '../errors';
import { registeredAuthMethod } from '../client-auth/verify-client';
import { clientRefusal } from '../stores/client-status';
import type { ClientRecord, ClientStore } from '../stores/types';
import { isPkceValue } from '../tokens/pkce';
import { hasFragment, isRegisteredRedirectUri } from '../tokens/redirect-uri';
import { parseScope, resolveClientScope } from '../tokens/scope';
import { printable } from './read-params';

/** A validated authorization request (RFC 6749 §4.1.1, §4.2.1; RFC 7636 §4.3). */
export interface AuthorizeRequest {
  client: ClientRecord;
  redirectUri: string;
  responseType: 'code' | 'token';
  scope: string[];
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
}

/**
 * Where an error may be sent: once the client and its redirect URI are known to be right,
 * errors go back to the client (RFC 6749 §4.1.2.1); before that, never.
 */
export interface RedirectTarget {
  redirectUri: string;
  responseType: 'code' | 'token';
  state?: string;
}

/** An error that happened before a redirect target was established: shown as a page. */
export class UnredirectableError extends OAuthError {
  constructor(description: string) {
    super('invalid_request', 400, description, { redirectable: false });
  }
}

const RESPONSE_TYPES = { code: 'authorization_code', token: 'implicit' } as const;

/**
 * Validates `GET /authorize` in the order RFC 6749 §4.1.2.1 requires: client and redirect URI
 * first (failures are `UnredirectableError`), then everything else (failures are normal
 * OAuthErrors, redirected to the client together with `target`).
 *
 * Parameters come from the raw query string, not `req.query`: Express 5 turns repeated
 * parameters into arrays and Express 4 parses `a[b]=c` into objects; RFC 6749 §3.1 says a
 * repeated parameter is an error.
 */
export async function validateAuthorizeRequest(
  req: Request,
  clients: ClientStore,
  options: { allowPlainPkce: boolean },
  onTarget: (target: RedirectTarget) => void,
): Promise<AuthorizeRequest> {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  const single = (name: string): string | undefined => {
    const values = query.getAll(name);
    return values.length > 1 ? undefined : values[0] || undefined;
  };

  // 1. Client and redirect URI: nothing is ever redirected until both are proven.
  if (query.getAll('client_id').length > 1 || query.getAll('redirect_uri').length > 1) {
    throw new UnredirectableError('client_id and redirect_uri must each be given once.');
  }
  const clientId = single('client_id');
  if (!clientId) throw new UnredirectableError('The request has no client_id.');
  const client = await clients.findById(clientId);
  if (!client) throw new UnredirectableError('The client is not registered with this server.');
  const refusal = await clientRefusal(clients, client);
  if (refusal !== undefined) throw new UnredirectableError(`${refusal}.`);
  const redirectUri = single('redirect_uri');
  if (!redirectUri) throw new UnredirectableError('The request has no redirect_uri.');
  if (hasFragment(redirectUri)) throw new UnredirectableError('The redirect_uri must not contain a fragment.');
  if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new UnredirectableError('The redirect_uri is not registered for this client.');
  }

  // 2. Everything else is reported to the client, with state, from here on.
  const stateValues = query.getAll('state');
  const rawType = single('response_type');
  const responseType = rawType === 'code' || rawType === 'token' ? rawType : 'code';
  onTarget({ redirectUri, responseType, state: stateValues.length === 1 ? stateValues[0] : undefined });

  for (const name of new Set(query.keys())) {
    if (query.getAll(name).length > 1) throw new InvalidRequestError(`Parameter '${printable(name)}' is included more than once`);
  }
  if (!rawType) throw new InvalidRequestError('Missing required parameter: response_type');
  if (rawType !== 'code' && rawType !== 'token') {
    throw new UnsupportedResponseTypeError('The response type is not supported by this server');
  }
  if (!client.grants.includes(RESPONSE_TYPES[responseType])) {
    throw new UnauthorizedClientError(`The client may not use response_type=${responseType}`);
  }
  const scope = resolveClientScope(parseScope(single('scope')), client);
  const request: AuthorizeRequest = { client, redirectUri, responseType, scope };
  const state = single('state');
  if (state !== undefined) request.state = state;

  if (responseType === 'code') {
    const challenge = single('code_challenge');
    const method = single('code_challenge_method');
    const mustUsePkce = registeredAuthMethod(client) === 'none' || client.requirePkce === true;
    if (challenge === undefined) {
      if (method !== undefined) throw new InvalidRequestError('code_challenge_method was given without code_challenge');
      if (mustUsePkce) throw new InvalidRequestError('This client must use PKCE: code_challenge is required (RFC 7636)');
    } else {
      if (!isPkceValue(challenge)) throw new InvalidRequestError('code_challenge must be 43-128 characters of [A-Za-z0-9-._~]');
      // RFC 7636 §4.3: an absent method means "plain".
      const effective = method ?? 'plain';
      if (effective !== 'S256' && effective !== 'plain') {
        throw new InvalidRequestError('code_challenge_method must be S256');
      }
      if (effective === 'plain' && !options.allowPlainPkce) {
        throw new InvalidRequestError('code_challenge_method must be S256 (plain is not allowed)');
      }
      request.codeChallenge = challenge;
      request.codeChallengeMethod = effective;
    }
  }
  return request;
}
