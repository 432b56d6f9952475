import bcrypt from 'bcryptjs';

/**
 * A bcrypt hash of a random value nobody knows, compared against when the user does not
 * exist, so that "no such user" costs the same time as "wrong password" and usernames cannot
 * be enumerated by timing. Cost 10, the cost `hashPassword` uses by default.
 */
const DUMMY_HASH = '$2b$10$VdLSgQq19zWpKHbAgRntNuap8aUT9Nu2lvejGrSxbTNhAUWfllJkK';
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * Hashes a user's password with bcrypt for storage in `UserRecord.passwordHash`.
 *
 * @param cost - bcrypt cost factor (4..31). @defaultValue 10
 * @throws TypeError if the password is empty or longer than bcrypt's 72-byte limit (bcrypt
 *   would silently ignore the rest, so two long passwords sharing a prefix would both match).
 *
 * @example
 * ```ts
 * const passwordHash = await hashPassword('correct horse battery staple');
 * ```
 */
export async function hashPassword(password: string, cost = 10): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) {
    throw new TypeError('hashPassword: password must be a non-empty string');
  }
  if (Buffer.byteLength(password, 'utf8') > 72) {
    throw new TypeError('hashPassword: password is longer than bcrypt accepts (72 bytes of UTF-8)');
  }
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
    throw new TypeError('hashPassword: cost must be an integer from 4 to 31');
  }
  return bcrypt.hash(password, cost);
}

/** Whether a string is a bcrypt hash that `verifyPassword` can check. */
export function isPasswordHash(value: unknown): value is string {
  return typeof value === 'string' && BCRYPT_HASH.test(value);
}

/**
 * Checks a password against a bcrypt hash. With no hash (unknown user, or a user without a
 * password) it still spends a bcrypt comparison and answers `false`.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  // Longer input is never a valid password (hashPassword refuses it); don't spend bcrypt on it.
  if (password.length > 1024) return false;
  if (hash === undefined || !isPasswordHash(hash)) {
    await bcrypt.compare(password, DUMMY_HASH);
    return false;
  }
  return bcrypt.compare(password, hash);
}
