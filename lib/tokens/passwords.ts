import { randomBytes } from 'node:crypto';
import { type BcryptRunner, createBcryptRunner, defaultPasswordWorkers } from './bcrypt-runner';

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * When the user does not exist we still compare against a bcrypt hash of a random value, so
 * that "no such user" costs the same time as "wrong password" and usernames cannot be
 * enumerated by timing. The dummy has the cost of the real hashes seen most recently (10, the
 * `hashPassword` default, until one is seen): a fixed cost would be distinguishable from a
 * host's own. One dummy per cost, made once (again only if making it failed).
 */
let dummyCost = 10;
const dummies = new Map<number, Promise<string>>();

function dummyHash(bcrypt: BcryptRunner): Promise<string> {
  const cost = dummyCost;
  let hash = dummies.get(cost);
  if (!hash) {
    hash = bcrypt.hash(randomBytes(16).toString('base64url'), cost);
    dummies.set(cost, hash);
    hash.catch(() => dummies.delete(cost));
  }
  return hash;
}

/**
 * `hashPassword` runs in threads of its own, made on first use; they never keep the process
 * alive once idle. Beyond 1000 hashes waiting it rejects with `TemporarilyUnavailableError`.
 */
let hashingRunner: BcryptRunner | undefined;

/**
 * Hashes a user's password with bcrypt for storage in `UserRecord.passwordHash`. The work runs
 * in a worker thread (bcryptjs takes about 80 ms at cost 10), never on the event loop.
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
  hashingRunner ??= createBcryptRunner({ workers: defaultPasswordWorkers(), queueLimit: 1000 });
  return hashingRunner.hash(password, cost);
}

/** Whether a string is a bcrypt hash that `verifyPassword` can check. */
export function isPasswordHash(value: unknown): value is string {
  return typeof value === 'string' && BCRYPT_HASH.test(value);
}

/** Checks a password against a user's bcrypt hash (or the lack of one). */
export type VerifyPassword = (password: string, hash: string | undefined) => Promise<boolean>;

/**
 * Password checks with `bcrypt` (a server's runner: its worker threads). With no hash
 * (unknown user, or a user without a password) it still spends a bcrypt comparison and
 * answers `false`.
 */
export function createPasswordVerifier(bcrypt: BcryptRunner): VerifyPassword {
  return async (password, hash) => {
    // Longer input is never a valid password (hashPassword refuses it); don't spend bcrypt on it.
    if (password.length > 1024) return false;
    if (hash === undefined || !isPasswordHash(hash)) {
      await bcrypt.compare(password, await dummyHash(bcrypt));
      return false;
    }
    const cost = Number(BCRYPT_HASH.exec(hash)?.[1]);
    if (cost >= 4 && cost <= 16) dummyCost = cost; // a corrupt or absurd hash must not set it
    return bcrypt.compare(password, hash);
  };
}
