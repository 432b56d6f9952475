import { createHash, createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ConfigurationError } from '../errors';
import { isNonEmptyString, isObject, rejectUnknownKeys, type SigningOptions } from '../options';

/** The algorithms access tokens may be signed with. */
export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256';

interface ImportedKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Imported once: jsonwebtoken re-parses a string key on every call (~0.37 ms for HS256). */
  key: KeyObject;
}

/** Signs access tokens with the active key. */
export interface JwtSigner {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  sign(claims: Record<string, unknown>): string;
}

/**
 * Imports the signing keys once and validates them.
 * @throws ConfigurationError naming `signing...` when a key is missing, weak or malformed.
 */
export function createJwtSigner(signing: SigningOptions): JwtSigner {
  const active = importActiveKey(signing);
  const options: jwt.SignOptions = { algorithm: active.alg, header: { alg: active.alg, typ: 'at+jwt', kid: active.kid } };
  return {
    alg: active.alg,
    kid: active.kid,
    sign: (claims) => jwt.sign(claims, active.key, options),
  };
}

function importActiveKey(signing: SigningOptions): ImportedKey {
  if (!isObject(signing)) throw new ConfigurationError('signing', 'is required: { secret } or { keys }');
  if ('secret' in signing && 'keys' in signing) {
    throw new ConfigurationError('signing', 'give either secret (HS256) or keys (RS256/ES256), not both');
  }
  if ('secret' in signing) {
    rejectUnknownKeys(signing, ['secret', 'kid'], 'signing.');
    const secret = typeof signing.secret === 'string' ? Buffer.from(signing.secret, 'utf8') : signing.secret;
    if (!Buffer.isBuffer(secret) || secret.length < 32) {
      throw new ConfigurationError('signing.secret', 'must be at least 32 bytes (256 bits) for HS256');
    }
    if (signing.kid !== undefined && !isNonEmptyString(signing.kid)) {
      throw new ConfigurationError('signing.kid', 'must be a non-empty string');
    }
    // A digest of a digest: stable across restarts, reveals nothing usable about the secret.
    const kid = signing.kid ?? createHash('sha256').update(createHash('sha256').update(secret).digest()).digest('base64url').slice(0, 16);
    return { kid, alg: 'HS256', key: createSecretKey(secret) };
  }
  if ('keys' in signing) {
    rejectUnknownKeys(signing, ['keys', 'activeKid'], 'signing.');
    if (!Array.isArray(signing.keys) || signing.keys.length === 0) {
      throw new ConfigurationError('signing.keys', 'must be a non-empty array of private JWKs');
    }
    const keys = signing.keys.map((jwk, i) => importJwk(jwk, `signing.keys[${i}]`));
    const kids = new Set<string>();
    keys.forEach((k, i) => {
      if (kids.has(k.kid)) throw new ConfigurationError(`signing.keys[${i}].kid`, `duplicate kid "${k.kid}"`);
      kids.add(k.kid);
    });
    const activeKid = signing.activeKid ?? keys[0]?.kid;
    const active = keys.find((k) => k.kid === activeKid);
    if (!active) throw new ConfigurationError('signing.activeKid', `no key has kid "${String(activeKid)}"`);
    return active;
  }
  throw new ConfigurationError('signing', 'is required: { secret } or { keys }');
}

function importJwk(jwk: import('node:crypto').JsonWebKey, path: string): ImportedKey {
  if (!isObject(jwk)) throw new ConfigurationError(path, 'must be a JWK object');
  if (!isNonEmptyString(jwk.kid)) throw new ConfigurationError(`${path}.kid`, 'is required (a non-empty string)');
  if (typeof jwk.d !== 'string') throw new ConfigurationError(path, 'must be a private key (the JWK has no "d")');
  const alg = jwk.alg ?? (jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined);
  if (alg !== 'RS256' && alg !== 'ES256') {
    throw new ConfigurationError(`${path}.alg`, 'must be RS256 (RSA key) or ES256 (EC P-256 key)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new ConfigurationError(path, 'is not a valid private JWK');
  }
  const details = key.asymmetricKeyDetails;
  if (alg === 'RS256' && (key.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < 2048)) {
    throw new ConfigurationError(path, 'RS256 needs an RSA key of at least 2048 bits');
  }
  if (alg === 'ES256' && (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1')) {
    throw new ConfigurationError(path, 'ES256 needs an EC key on the P-256 curve');
  }
  return { kid: jwk.kid, alg, key };
}
