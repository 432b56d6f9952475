import type { VerificationKey } from './keys';

/** What a successful check found, for a token seen again. */
export interface VerifiedToken {
  /** The whole token: the entry is a hit only for exactly this text. */
  token: string;
  kid: string;
  /** The key that verified it: a hit counts only while the token's `kid` still names this key. */
  key: VerificationKey;
  /**
   * The parsed claims. Never handed out: every request gets its own copy (`copyClaims`), so
   * a handler that changes its `req.oauth.claims` changes nothing for the next request.
   */
  claims: Readonly<Record<string, unknown>>;
  /** The decoded payload (JSON text), parsed afresh when the claims are not flat. */
  payload: string;
  /** `arrayClaims(claims)`: how to copy the claims without parsing them again. */
  arrays: string[] | undefined;
}

/**
 * JWTs that already passed the signature, header and required-claims checks, so that a client
 * sending the same bearer token on every request (as clients do, for the token's lifetime)
 * costs one HMAC/RSA/ECDSA check and one JSON parse, not one per request. The claims that
 * move with time or differ per route (`exp`, `nbf`, `aud`, `iss`) are checked again on every
 * request. At most `max` tokens; the oldest goes first. Only tokens signed by our keys get in,
 * so entries cannot be forged.
 *
 * Keyed by the token's last 32 characters (part of its signature), not the whole token:
 * a Map hashes its key on every lookup, and the header's token is a new string each request,
 * so hashing ~330 characters cost more than the rest of the lookup. The entry then has to
 * match the whole token, so a different token with the same tail is simply a miss.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly max = 1000) {}

  get(token: string): VerifiedToken | undefined {
    const entry = this.entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  add(entry: VerifiedToken): void {
    const key = keyOf(entry.token);
    if (!this.entries.has(key) && this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
  }

  delete(token: string): void {
    if (this.get(token)) this.entries.delete(keyOf(token));
  }
}

function keyOf(token: string): string {
  return token.length > 32 ? token.slice(token.length - 32) : token;
}

/**
 * The claims holding arrays, when a shallow copy plus a copy of those arrays shares nothing
 * mutable with the claims; `undefined` when it would (nested objects), and then each request
 * parses the payload again.
 */
export function arrayClaims(claims: Record<string, unknown>): string[] | undefined {
  const arrays: string[] = [];
  for (const key of Object.keys(claims)) {
    if (key === '__proto__') return undefined; // an own "__proto__" from JSON.parse: left to JSON.parse
    const value = claims[key];
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v !== 'object' || v === null)) return undefined;
    arrays.push(key);
  }
  return arrays;
}

/** A copy of an entry's claims that the caller may change freely. */
export function copyClaims(entry: VerifiedToken): Record<string, unknown> {
  if (entry.arrays === undefined) return JSON.parse(entry.payload) as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...entry.claims };
  for (const key of entry.arrays) copy[key] = (entry.claims[key] as unknown[]).slice();
  return copy;
}
