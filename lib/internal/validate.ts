import { ConfigurationError } from '../errors';

// Small checks shared by every options validator (server, stores, clients, keys, admin, limits).

/** A lifetime in whole seconds, from 1 s to 1 year. */
export function validateLifetime(value: unknown, path: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 365 * 24 * 3600) {
    throw new ConfigurationError(path, 'must be a whole number of seconds from 1 to 31536000');
  }
  return value as number;
}

/** Throws if `value` has a key not in `known`. */
export function rejectUnknownKeys(value: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ConfigurationError(prefix + key, `unknown option (known: ${known.join(', ')})`);
    }
  }
}

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string with at least one character. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
