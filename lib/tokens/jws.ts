import { createHmac, type KeyObject, sign } from 'node:crypto';
import type { SigningAlgorithm } from './keys';

/**
 * Compact JWS (RFC 7515 §7.1) with node:crypto directly, for the hot path of signing every
 * access token: jsonwebtoken spent most of each call on option handling, payload validation
 * and stream plumbing.
 *
 * The tokens are byte for byte those jsonwebtoken 9 makes (test/token/jws-matches-jsonwebtoken.test.ts):
 * jws encodes the header as latin1 and the payload as UTF-8, then HMAC or PKCS#1 v1.5 over
 * the ASCII signing input; ES256 signatures are the raw r||s (ieee-p1363) that jwa produces.
 */

/** Signs claims as a compact JWS with a fixed protected header. */
export type JwsSigner = (claims: Record<string, unknown>) => string;

/** A signer for one key; the header is encoded once, here. */
export function createJwsSigner(alg: SigningAlgorithm, key: KeyObject, header: Record<string, unknown>): JwsSigner {
  const encodedHeader = Buffer.from(JSON.stringify(header), 'latin1').toString('base64url');
  const signInput = alg === 'HS256' ? hmac(key) : (input: string) => sign('sha256', Buffer.from(input), signatureKey(alg, key)).toString('base64url');
  return (claims) => {
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
    return `${input}.${signInput(input)}`;
  };
}

function hmac(key: KeyObject): (input: string) => string {
  return (input) => createHmac('sha256', key).update(input).digest('base64url');
}

function signatureKey(alg: SigningAlgorithm, key: KeyObject) {
  // JWS ES256 signatures are r||s (RFC 7518 §3.4), not the DER node:crypto defaults to.
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
}
