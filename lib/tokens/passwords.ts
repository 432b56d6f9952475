import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * When the user does not exist we still compare against a bcrypt hash of a random value, so
 * that "no such user" costs the same time as "wrong password" and usernames cannot be
 * enumerated by timing. The dummy has the cost of the real hashes seen most recently (10, the
 * `hashPassword` default, until one is seen): a fixed cost would be distinguishable from a
 * host's own. One dummy per cost, made once.
 */
let dummyCost = 10;
const dummies = new Map<number, Promise<string>>();

function dummyHash(): Promise<string> {
  let hash = dummies.get(dummyCost);
  if (!hash) {
    hash = bcrypt.hash(randomBytes(16).toString('base64url'), dummyCost);
    dummies.set(dummyCost, hash);
  }
  return hash;
}

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
    await bcrypt.compare(password, await dummyHash());
    return false;
  }
  const cost = Number(BCRYPT_HASH.exec(hash)?.[1]);
  if (cost >= 4 && cost <= 16) dummyCost = cost; // a corrupt or absurd hash must not set it
  return bcrypt.compare(password, hash);
}
