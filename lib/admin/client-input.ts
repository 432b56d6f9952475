import { randomBytes } from 'node:crypto';
import { registeredAuthMethod } from '../client-auth/verify-client';
import type { ClientRecord } from '../stores/types';
import { CLIENT_KEYS, validateClientRecord } from '../stores/validate-client';
import { generateClientSecret, hashClientSecret } from '../tokens/secrets';
import { printable } from '../router/read-params';
import { AdminApiError, type AdminErrorCode, toFieldError } from './admin-response';

/** What the API shows of a client: the record, never its secret hash. */
export type ClientView = Omit<ClientRecord, 'secretHash'>;

/** The fields an admin may set: every field of the record but the secret hash, which only the server writes. */
const SETTABLE = CLIENT_KEYS.filter((key) => key !== 'secretHash');

/** The client without its secret hash, fields in the order of the record type (whatever order the store keeps). */
export function clientView(client: ClientRecord): ClientView {
  const view: Record<string, unknown> = {};
  for (const key of SETTABLE) if (client[key as keyof ClientRecord] !== undefined) view[key] = client[key as keyof ClientRecord];
  return view as ClientView;
}

/**
 * Ids the API accepts for new clients and groups: 1 to 255 characters, none of them a control
 * character (they travel in URLs, logs and pages). Existing ids of any form stay reachable.
 */
export function checkNewId(value: unknown, code: AdminErrorCode): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (typeof value !== 'string' || !/^[^\u0000-\u001f\u007f-\u009f]{1,255}$/u.test(value)) {
    throw new AdminApiError(400, code, 'id: must be 1 to 255 characters, without control characters');
  }
  return value;
}

/** A random client id (128 bits, base64url) for a `POST /clients` that names none. */
export function newClientId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The record of `POST /clients`: the body's fields, checked as a whole, with a new secret
 * for a confidential client (the default, `client_secret_basic`). The secret is returned to
 * be shown once; the record holds only its hash.
 */
export function newClientRecord(body: Record<string, unknown>): { record: ClientRecord; secret?: string } {
  checkFields(body, 'The server generates the secret and returns it once; it cannot be set');
  const id = body.id === undefined ? newClientId() : checkNewId(body.id, 'invalid_client_metadata');
  const method = body.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const secret = method === 'none' ? undefined : generateClientSecret();
  const record = { ...body, id, tokenEndpointAuthMethod: method } as ClientRecord;
  if (secret !== undefined) record.secretHash = hashClientSecret(secret);
  validate(record);
  return secret === undefined ? { record } : { record, secret };
}

/**
 * The record after a `PATCH /clients/:id` (RFC 7396 merge patch): each member replaces that
 * field, `null` removes it; the result is checked as a whole. The id cannot change, and a
 * client cannot move between public and confidential (it would need a secret, or keep one
 * it must not have): register a new client for that.
 */
export function patchedClientRecord(existing: ClientRecord, patch: Record<string, unknown>): ClientRecord {
  checkFields(patch, 'Rotate the secret with POST /clients/{id}/secret');
  if (patch.id !== undefined && patch.id !== existing.id) {
    throw new AdminApiError(400, 'invalid_client_metadata', 'id: cannot be changed');
  }
  const record: Record<string, unknown> = { ...existing };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete record[key];
    else record[key] = value;
  }
  const patched = record as unknown as ClientRecord;
  if ((registeredAuthMethod(existing) === 'none') !== (registeredAuthMethod(patched) === 'none')) {
    throw new AdminApiError(
      400,
      'invalid_client_metadata',
      "tokenEndpointAuthMethod: cannot change between a public client ('none') and a confidential one; register a new client",
    );
  }
  validate(patched);
  return patched;
}

/** The record with a new secret (`POST /clients/:id/secret`); public clients have none. */
export function rotatedSecret(existing: ClientRecord): { record: ClientRecord; secret: string } {
  if (registeredAuthMethod(existing) === 'none') {
    throw new AdminApiError(400, 'invalid_request', "A public client (tokenEndpointAuthMethod 'none') has no secret to rotate");
  }
  const secret = generateClientSecret();
  return { record: { ...existing, secretHash: hashClientSecret(secret) }, secret };
}

function checkFields(body: Record<string, unknown>, aboutSecret: string): void {
  for (const key of Object.keys(body)) {
    if (key === 'secretHash') throw new AdminApiError(400, 'invalid_client_metadata', `secretHash: ${aboutSecret}`);
    if (!SETTABLE.includes(key)) {
      throw new AdminApiError(400, 'invalid_client_metadata', `${printable(key)}: unknown field (known: ${SETTABLE.join(', ')})`);
    }
  }
}

function validate(record: ClientRecord): void {
  try {
    validateClientRecord(record, 'client');
  } catch (err) {
    throw toFieldError(err, 'client', 'invalid_client_metadata');
  }
}
