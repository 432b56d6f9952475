import type { VerificationKey } from './keys';

/** What a successful signature check found, for a token seen again. */
export interface VerifiedToken {
  kid: string;
  /** The key that verified it: a hit counts only while the token's `kid` still names this key. */
  key: VerificationKey;
  /** The decoded payload (JSON text): parsed afresh for every request, so no two share objects. */
  payload: string;
}

/**
 * JWTs whose signature already checked out, so that a client sending the same bearer token on
 * every request (as clients do, for the token's lifetime) costs one HMAC/RSA/ECDSA check, not
 * one per request. Only the signature and header checks are remembered: the claims (`exp`,
 * `nbf`, `aud`, `iss`, RFC 9068) are checked again on every request. At most `max` tokens;
 * the oldest goes first. Only tokens signed by our keys get in, so entries cannot be forged.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly max = 1000) {}

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token);
  }

  add(token: string, entry: VerifiedToken): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, entry);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }
}
