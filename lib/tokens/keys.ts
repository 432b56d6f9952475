import { createPrivateKey, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { sha256Base64url, sha256Bytes } from '../internal/sha256';
import { ConfigurationError } from '../errors';
import { isNonEmptyString, isObject, rejectUnknownKeys } from '../internal/validate';
import type { SigningOptions } from '../options';
import { createJwsSigner } from './jws';

/** The algorithms access tokens may be signed with. */
export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** A key that can verify tokens; `signingKey` only when it can sign too. */
export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Public key (RS/ES) or secret (HS), imported once. */
  verifyKey: KeyObject;
  /** Private key or secret, when this key may sign. */
  signingKey?: KeyObject;
  /** The public JWK to publish (asymmetric keys only; a shared secret is never published). */
  publicJwk?: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

/**
 * Every key the server knows: one active signing key, and any number of others that still
 * verify (rotation: publish a new key before it signs, keep an old one until its tokens
 * expire). Keys are imported once; jsonwebtoken with a string key re-parses it on every call.
 */
export interface KeySet {
  readonly active: VerificationKey;
  byKid(kid: string): VerificationKey | undefined;
  /** The JWKS document (RFC 7517 §5): public keys only. */
  jwks(): { keys: NonNullable<VerificationKey['publicJwk']>[] };
  /** A string for HS256; a promise for RS256 and ES256, signed off the event loop (ADR 0018). */
  sign(claims: Record<string, unknown>): string | Promise<string>;
}

/**
 * Imports and validates the signing configuration.
 * @throws ConfigurationError naming `signing...` when a key is missing, weak or malformed.
 */
export function createKeySet(signing: SigningOptions): KeySet {
  const { keys, activeKid } = importKeys(signing);
  const active = keys.find((k) => k.kid === activeKid);
  if (!active) throw new ConfigurationError('signing.activeKid', `no key has kid "${String(activeKid)}"`);
  if (!active.signingKey) throw new ConfigurationError('signing.activeKid', `key "${active.kid}" is public only and cannot sign`);
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  const published = { keys: keys.flatMap((k) => (k.publicJwk ? [k.publicJwk] : [])) };
  return {
    active,
    byKid: (kid) => byKid.get(kid),
    jwks: () => published,
    sign: createJwsSigner(active.alg, active.signingKey, { alg: active.alg, typ: 'at+jwt', kid: active.kid }),
  };
}

function importKeys(signing: SigningOptions): { keys: VerificationKey[]; activeKid: string | undefined } {
  if (!isObject(signing)) throw new ConfigurationError('signing', 'is required: { secret } or { keys }');
  if ('secret' in signing && 'keys' in signing) {
    throw new ConfigurationError('signing', 'give either secret (HS256) or keys (RS256/ES256), not both');
  }
  if ('secret' in signing) {
    rejectUnknownKeys(signing, ['secret', 'kid'], 'signing.');
    const secret = typeof signing.secret === 'string' ? Buffer.from(signing.secret, 'utf8') : signing.secret;
    if (signing.kid !== undefined && !isNonEmptyString(signing.kid)) {
      throw new ConfigurationError('signing.kid', 'must be a non-empty string');
    }
    const key = importSecret(secret, 'signing.secret', signing.kid);
    return { keys: [key], activeKid: key.kid };
  }
  if ('keys' in signing) {
    rejectUnknownKeys(signing, ['keys', 'activeKid'], 'signing.');
    if (!Array.isArray(signing.keys) || signing.keys.length === 0) {
      throw new ConfigurationError('signing.keys', 'must be a non-empty array of JWKs');
    }
    const keys = signing.keys.map((jwk, i) => importJwk(jwk, `signing.keys[${i}]`));
    const kids = new Set<string>();
    keys.forEach((k, i) => {
      if (kids.has(k.kid)) throw new ConfigurationError(`signing.keys[${i}].kid`, `duplicate kid "${k.kid}"`);
      kids.add(k.kid);
    });
    if (!keys.some((k) => k.signingKey)) {
      throw new ConfigurationError('signing.keys', 'at least one key must be private (able to sign)');
    }
    return { keys, activeKid: signing.activeKid ?? keys.find((k) => k.signingKey)?.kid };
  }
  throw new ConfigurationError('signing', 'is required: { secret } or { keys }');
}

function importSecret(secret: unknown, path: string, kid?: string): VerificationKey {
  if (!Buffer.isBuffer(secret) || secret.length < 32) {
    throw new ConfigurationError(path, 'must be at least 32 bytes (256 bits) for HS256');
  }
  // A digest of a digest: stable across restarts, reveals nothing usable about the secret.
  const derivedKid = sha256Base64url(sha256Bytes(secret)).slice(0, 16);
  const key = createSecretKey(secret);
  return { kid: kid ?? derivedKid, alg: 'HS256', verifyKey: key, signingKey: key };
}

/** Imports one JWK (also used for keys fetched from a remote JWKS). */
export function importJwk(jwk: JsonWebKey, path: string): VerificationKey {
  if (!isObject(jwk)) throw new ConfigurationError(path, 'must be a JWK object');
  if (!isNonEmptyString(jwk.kid)) throw new ConfigurationError(`${path}.kid`, 'is required (a non-empty string)');
  const kid = jwk.kid;
  if (jwk.kty === 'oct') {
    if (jwk.alg !== undefined && jwk.alg !== 'HS256') throw new ConfigurationError(`${path}.alg`, 'must be HS256 for an oct key');
    if (typeof jwk.k !== 'string') throw new ConfigurationError(path, 'an oct JWK needs "k"');
    return importSecret(Buffer.from(jwk.k, 'base64url'), `${path}.k`, kid);
  }
  const alg = jwk.alg ?? (jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined);
  if (alg !== 'RS256' && alg !== 'ES256') {
    throw new ConfigurationError(`${path}.alg`, 'must be RS256 (RSA key), ES256 (EC P-256 key) or HS256 (oct key)');
  }
  const isPrivate = typeof jwk.d === 'string';
  let signingKey: KeyObject | undefined;
  let verifyKey: KeyObject;
  try {
    signingKey = isPrivate ? createPrivateKey({ key: jwk, format: 'jwk' }) : undefined;
    verifyKey = signingKey ? createPublicKey(signingKey) : createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new ConfigurationError(path, 'is not a valid JWK');
  }
  const details = verifyKey.asymmetricKeyDetails;
  if (alg === 'RS256' && (verifyKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < 2048)) {
    throw new ConfigurationError(path, 'RS256 needs an RSA key of at least 2048 bits');
  }
  if (alg === 'ES256' && (verifyKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1')) {
    throw new ConfigurationError(path, 'ES256 needs an EC key on the P-256 curve');
  }
  const { kty, n, e, crv, x, y } = verifyKey.export({ format: 'jwk' });
  const publicJwk = { kty, ...(kty === 'RSA' ? { n, e } : { crv, x, y }), kid, alg, use: 'sig' as const } as VerificationKey['publicJwk'];
  return { kid, alg, verifyKey, ...(signingKey ? { signingKey } : {}), publicJwk };
}
