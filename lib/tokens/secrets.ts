import { timingSafeEqual } from 'node:crypto';
import { sha256Base64url, sha256Bytes } from '../internal/sha256';
import { randomBase64url } from '../internal/random-pool';

const PREFIX = 'sha256:';

/** A new random 256-bit value, base64url: used for refresh tokens, codes and client secrets. */
export function randomToken(): string {
  return randomBase64url(32);
}

/** SHA-256 of a code or token, base64url: the only form in which one is handed to a store. */
export function hashToken(token: string): string {
  return sha256Base64url(token);
}

/**
 * Generates a client secret: 256 random bits, base64url. Show it to the client's owner once
 * and store only `hashClientSecret(secret)`.
 *
 * @example
 * ```ts
 * const secret = generateClientSecret();
 * await db.clients.insert({ id: 'billing', secretHash: hashClientSecret(secret) });
 * ```
 */
export function generateClientSecret(): string {
  return randomToken();
}

/**
 * Hashes a client secret for storage (`sha256:<base64url>`). Client secrets are long random
 * values, not human passwords, so a single SHA-256 protects them and costs microseconds per
 * token request where bcrypt would cost ~100 ms at cost 10 (measured here) (see docs/adr/0003-client-secret-hashing.md).
 * Do not use this for human-chosen secrets.
 *
 * @example
 * ```ts
 * hashClientSecret('s3cr3t-value') // 'sha256:...'
 * ```
 */
export function hashClientSecret(secret: string): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('hashClientSecret: secret must be a non-empty string');
  }
  return PREFIX + sha256Base64url(secret);
}

/** Whether a string has the form `hashClientSecret()` produces. */
export function isClientSecretHash(value: unknown): value is string {
  return typeof value === 'string' && /^sha256:[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * Checks a presented client secret against its stored hash in constant time (the digests
 * have a fixed length, so the comparison never depends on where they differ).
 */
export function verifyClientSecret(secret: string, storedHash: string): boolean {
  if (!isClientSecretHash(storedHash)) return false;
  const expected = Buffer.from(storedHash.slice(PREFIX.length), 'base64url');
  const actual = sha256Bytes(secret);
  return timingSafeEqual(actual, expected);
}
