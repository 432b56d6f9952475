import type { UserRecord } from '../stores/types';

/**
 * Whether a user's password is older than the allowed age (the seeds' `lastPasswordReset`
 * migration: a password-expiry policy applied to migrated users). No limit, or no known
 * change date: not expired.
 */
export function isPasswordExpired(user: UserRecord, maxAgeDays: number | undefined, now = Date.now()): boolean {
  if (maxAgeDays === undefined || user.passwordChangedAt === undefined) return false;
  return now - user.passwordChangedAt.getTime() > maxAgeDays * 24 * 3600 * 1000;
}

export const PASSWORD_EXPIRED = 'The password has expired; change it before signing in';
