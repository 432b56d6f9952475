import { timingSafeEqual } from 'node:crypto';
import { sha256Base64url } from '../internal/sha256';

/** RFC 7636 §4.1/§4.2: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export type PkceMethod = 'S256' | 'plain';

/** Whether a string is a well-formed code_verifier or code_challenge (RFC 7636 §4.1, §4.2). */
export function isPkceValue(value: unknown): value is string {
  return typeof value === 'string' && PKCE_VALUE.test(value);
}

/**
 * Checks a code_verifier against the challenge stored with the code (RFC 7636 §4.6), in
 * constant time. `S256`: BASE64URL(SHA256(verifier)) must equal the challenge.
 */
export function verifyPkce(verifier: string, challenge: string, method: PkceMethod): boolean {
  if (!isPkceValue(verifier)) return false;
  // The verifier is ASCII (checked above), so its UTF-8 bytes are its ASCII bytes.
  const derived = method === 'S256' ? sha256Base64url(verifier) : verifier;
  const a = Buffer.from(derived, 'ascii');
  const b = Buffer.from(challenge, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}
