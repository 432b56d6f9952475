import { ConfigurationError } from '../errors';
import { isNonEmptyString, isObject, rejectUnknownKeys, validateLifetime } from '../internal/validate';
import { isScopeToken } from '../tokens/scope';
import { isClientSecretHash } from '../tokens/secrets';
import type { ClientAuthMethod, ClientGroupRecord, ClientRecord, GrantType } from './types';

const GRANTS: readonly GrantType[] = ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token'];
const METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];
/** Every field of a `ClientRecord`. */
export const CLIENT_KEYS = [
  'id',
  'name',
  'secretHash',
  'tokenEndpointAuthMethod',
  'grants',
  'redirectUris',
  'scopes',
  'defaultScopes',
  'accessTokenLifetime',
  'refreshTokenLifetime',
  'accessTokenFormat',
  'canIntrospect',
  'requirePkce',
  'firstParty',
  'disabled',
  'group',
  'rateLimit',
];

/**
 * Checks that a client record is coherent, so a broken registration fails when it is loaded
 * rather than on some later request. `path` prefixes the option path in the error.
 *
 * @throws ConfigurationError naming the offending field.
 */
export function validateClientRecord(client: ClientRecord, path: string): void {
  if (!isObject(client)) throw new ConfigurationError(path, 'must be an object');
  rejectUnknownKeys(client, CLIENT_KEYS, `${path}.`);
  if (!isNonEmptyString(client.id)) throw new ConfigurationError(`${path}.id`, 'must be a non-empty string');
  if (client.name !== undefined && typeof client.name !== 'string') {
    throw new ConfigurationError(`${path}.name`, 'must be a string');
  }
  if (client.secretHash !== undefined && !isClientSecretHash(client.secretHash)) {
    throw new ConfigurationError(`${path}.secretHash`, 'must be a hash from hashClientSecret() ("sha256:...")');
  }
  const method = client.tokenEndpointAuthMethod ?? (client.secretHash ? 'client_secret_basic' : 'none');
  if (!METHODS.includes(method)) {
    throw new ConfigurationError(`${path}.tokenEndpointAuthMethod`, `must be one of ${METHODS.join(', ')}`);
  }
  if (method === 'none' && client.secretHash !== undefined) {
    throw new ConfigurationError(`${path}.secretHash`, 'a public client (tokenEndpointAuthMethod "none") has no secret');
  }
  if (method !== 'none' && client.secretHash === undefined) {
    throw new ConfigurationError(`${path}.secretHash`, `is required for ${method}`);
  }
  if (!Array.isArray(client.grants) || client.grants.length === 0) {
    throw new ConfigurationError(`${path}.grants`, `must list at least one of ${GRANTS.join(', ')}`);
  }
  client.grants.forEach((grant, i) => {
    if (!GRANTS.includes(grant)) throw new ConfigurationError(`${path}.grants[${i}]`, `must be one of ${GRANTS.join(', ')}`);
  });
  if (method === 'none' && client.grants.includes('client_credentials')) {
    throw new ConfigurationError(`${path}.grants`, 'client_credentials is for confidential clients only (RFC 6749 §4.4)');
  }
  validateRedirectUris(client.redirectUris, `${path}.redirectUris`);
  validateScopes(client.scopes, `${path}.scopes`);
  validateScopes(client.defaultScopes, `${path}.defaultScopes`);
  const allowed = new Set(client.scopes ?? []);
  client.defaultScopes?.forEach((scope, i) => {
    if (!allowed.has(scope)) throw new ConfigurationError(`${path}.defaultScopes[${i}]`, `"${scope}" is not in scopes`);
  });
  if (client.accessTokenLifetime !== undefined) validateLifetime(client.accessTokenLifetime, `${path}.accessTokenLifetime`);
  if (client.refreshTokenLifetime !== undefined) validateLifetime(client.refreshTokenLifetime, `${path}.refreshTokenLifetime`);
  if (client.accessTokenFormat !== undefined && client.accessTokenFormat !== 'jwt' && client.accessTokenFormat !== 'opaque') {
    throw new ConfigurationError(`${path}.accessTokenFormat`, 'must be "jwt" or "opaque"');
  }
  for (const flag of ['disabled', 'requirePkce', 'firstParty', 'canIntrospect'] as const) {
    if (client[flag] !== undefined && typeof client[flag] !== 'boolean') {
      throw new ConfigurationError(`${path}.${flag}`, 'must be a boolean');
    }
  }
  if (client.group !== undefined && !isNonEmptyString(client.group)) {
    throw new ConfigurationError(`${path}.group`, 'must be a non-empty string (a group id)');
  }
  if (client.rateLimit !== undefined) validateRateLimitRule(client.rateLimit, `${path}.rateLimit`);
  const redirecting = client.grants.includes('authorization_code') || client.grants.includes('implicit');
  if (redirecting && (client.redirectUris ?? []).length === 0) {
    throw new ConfigurationError(`${path}.redirectUris`, 'must list at least one URI for authorization_code or implicit');
  }
}

const GROUP_KEYS = ['id', 'name', 'disabled', 'rateLimit'];

/**
 * Checks that a client group record is well formed (the memory stores' `groups` seed, the
 * admin API, the PostgreSQL adapter's `saveGroup`). `path` prefixes the option path in the error.
 *
 * @throws ConfigurationError naming the offending field.
 * @example
 * ```ts
 * validateClientGroupRecord({ id: 'acme', name: 'ACME Corp', rateLimit: { limit: 600, windowSeconds: 60 } }, 'group');
 * ```
 */
export function validateClientGroupRecord(group: ClientGroupRecord, path: string): void {
  if (!isObject(group)) throw new ConfigurationError(path, 'must be an object');
  rejectUnknownKeys(group, GROUP_KEYS, `${path}.`);
  if (!isNonEmptyString(group.id)) throw new ConfigurationError(`${path}.id`, 'must be a non-empty string');
  if (group.name !== undefined && typeof group.name !== 'string') throw new ConfigurationError(`${path}.name`, 'must be a string');
  if (group.disabled !== undefined && typeof group.disabled !== 'boolean') {
    throw new ConfigurationError(`${path}.disabled`, 'must be a boolean');
  }
  if (group.rateLimit !== undefined) validateRateLimitRule(group.rateLimit, `${path}.rateLimit`);
}

/** A rate-limit rule: `{ limit, windowSeconds }`, both whole numbers. */
export function validateRateLimitRule(rule: unknown, path: string): void {
  if (!isObject(rule)) throw new ConfigurationError(path, 'must be { limit, windowSeconds }');
  rejectUnknownKeys(rule, ['limit', 'windowSeconds'], `${path}.`);
  if (!Number.isInteger(rule.limit) || (rule.limit as number) < 1) {
    throw new ConfigurationError(`${path}.limit`, 'must be a whole number of requests, at least 1');
  }
  if (!Number.isInteger(rule.windowSeconds) || (rule.windowSeconds as number) < 1 || (rule.windowSeconds as number) > 86_400) {
    throw new ConfigurationError(`${path}.windowSeconds`, 'must be a whole number of seconds from 1 to 86400');
  }
}

function validateScopes(scopes: unknown, path: string): void {
  if (scopes === undefined) return;
  if (!Array.isArray(scopes)) throw new ConfigurationError(path, 'must be an array of scope tokens');
  scopes.forEach((scope, i) => {
    if (!isScopeToken(scope)) throw new ConfigurationError(`${path}[${i}]`, 'is not a valid scope token (RFC 6749 §3.3)');
  });
}

function validateRedirectUris(uris: unknown, path: string): void {
  if (uris === undefined) return;
  if (!Array.isArray(uris)) throw new ConfigurationError(path, 'must be an array of absolute URIs');
  uris.forEach((uri, i) => {
    let url: URL | undefined;
    try {
      url = typeof uri === 'string' ? new URL(uri) : undefined;
    } catch {
      url = undefined;
    }
    // RFC 6749 §3.1.2: absolute, and MUST NOT include a fragment.
    if (!url || (uri as string).includes('#')) {
      throw new ConfigurationError(`${path}[${i}]`, 'must be an absolute URI without a fragment (RFC 6749 §3.1.2)');
    }
  });
}
