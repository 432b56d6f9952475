import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createKeySet } from '../../lib/tokens/keys';
import { EC_KEY, RSA_KEY } from '../bearer/helpers';
import { ISSUER, JWT_SECRET } from '../helpers/fixtures';

// Tokens are signed with node:crypto instead of jsonwebtoken; these tests hold the
// two to the same bytes.

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'usér-ü', // non-ASCII: the payload is UTF-8, as jsonwebtoken encodes it
  aud: [ISSUER, 'https://api.example.test'],
  client_id: 'confidential-app',
  iat: now(),
  exp: now() + 600,
  jti: 'jti-1',
  scope: 'read write',
  ...extra,
});
const header = (alg: string, kid: string) => ({ alg, typ: 'at+jwt', kid });

describe('access tokens are the JWTs jsonwebtoken signs', () => {
  it('HS256: byte for byte the same token', () => {
    const keys = createKeySet({ secret: JWT_SECRET, kid: 'hs-1' });
    const payload = claims();
    const expected = jwt.sign(payload, createSecretKey(Buffer.from(JWT_SECRET)), { algorithm: 'HS256', header: header('HS256', 'hs-1') });
    expect(keys.sign(payload)).toBe(expected);
  });

  it('RS256: byte for byte the same token (PKCS#1 v1.5 is deterministic)', () => {
    const keys = createKeySet({ keys: [RSA_KEY] });
    const payload = claims();
    const expected = jwt.sign(payload, createPrivateKey({ key: RSA_KEY, format: 'jwk' }), { algorithm: 'RS256', header: header('RS256', 'rsa-1') });
    expect(keys.sign(payload)).toBe(expected);
  });

  it('ES256: the same header and payload, and a 64-byte r||s signature jsonwebtoken verifies (RFC 7518 §3.4)', () => {
    const keys = createKeySet({ keys: [EC_KEY] });
    const payload = claims();
    const token = keys.sign(payload);
    const reference = jwt.sign(payload, createPrivateKey({ key: EC_KEY, format: 'jwk' }), { algorithm: 'ES256', header: header('ES256', 'ec-1') });
    const [h, p, s] = token.split('.');
    expect(`${h}.${p}`).toBe(reference.split('.').slice(0, 2).join('.'));
    expect(Buffer.from(s as string, 'base64url')).toHaveLength(64);
    expect(jwt.verify(token, createPublicKey({ key: EC_KEY, format: 'jwk' }), { algorithms: ['ES256'], issuer: ISSUER })).toEqual(payload);
  });
});
