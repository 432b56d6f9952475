import { createHmac, createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { createKeySet } from '../../lib/tokens/keys';
import { EC_KEY, RSA_KEY, invalidToken } from '../bearer/helpers';
import { ISSUER, JWT_SECRET, seedStores } from '../helpers/fixtures';

// Tokens are signed and (on the hot path) verified with node:crypto instead of jsonwebtoken.
// These tests hold the two to the same bytes and the same verdicts.

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
  it('HS256: byte for byte the same token, at once (no promise)', () => {
    const keys = createKeySet({ secret: JWT_SECRET, kid: 'hs-1' });
    const payload = claims();
    const expected = jwt.sign(payload, createSecretKey(Buffer.from(JWT_SECRET)), { algorithm: 'HS256', header: header('HS256', 'hs-1') });
    expect(keys.sign(payload)).toBe(expected);
  });

  it('RS256: byte for byte the same token (PKCS#1 v1.5 is deterministic), signed off the event loop', async () => {
    const keys = createKeySet({ keys: [RSA_KEY] });
    const payload = claims();
    const expected = jwt.sign(payload, createPrivateKey({ key: RSA_KEY, format: 'jwk' }), { algorithm: 'RS256', header: header('RS256', 'rsa-1') });
    const signed = keys.sign(payload);
    expect(signed).toBeInstanceOf(Promise);
    expect(await signed).toBe(expected);
  });

  it('ES256: the same header and payload, and a 64-byte r||s signature jsonwebtoken verifies (RFC 7518 §3.4)', async () => {
    const keys = createKeySet({ keys: [EC_KEY] });
    const payload = claims();
    const signed = keys.sign(payload);
    expect(signed).toBeInstanceOf(Promise);
    const token = await signed;
    const reference = jwt.sign(payload, createPrivateKey({ key: EC_KEY, format: 'jwk' }), { algorithm: 'ES256', header: header('ES256', 'ec-1') });
    const [h, p, s] = token.split('.');
    expect(`${h}.${p}`).toBe(reference.split('.').slice(0, 2).join('.'));
    expect(Buffer.from(s as string, 'base64url')).toHaveLength(64);
    expect(jwt.verify(token, createPublicKey({ key: EC_KEY, format: 'jwk' }), { algorithms: ['ES256'], issuer: ISSUER })).toEqual(payload);
  });
});

describe('bearer verification accepts exactly what jsonwebtoken accepts', () => {
  const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET, kid: 'hs-1' } });
  const app = express().use(oauth.router);
  app.get('/api', oauth.requireToken(), (req, res) => res.json({ clientId: req.oauth?.clientId, userId: req.oauth?.userId ?? null }));
  const secret = createSecretKey(Buffer.from(JWT_SECRET));
  const hs256 = (payload: Record<string, unknown>) => jwt.sign(payload, secret, { algorithm: 'HS256', header: header('HS256', 'hs-1') });
  /** Signed by hand, for what jsonwebtoken refuses to sign. */
  const handSigned = (headerJson: string, payload: Record<string, unknown>) => {
    const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const get = (token: string) => request(app).get('/api').set('Authorization', `Bearer ${token}`);

  async function expectInvalid(token: string, description: string) {
    const res = await get(token);
    expect({ status: res.status, body: res.body, challenge: res.headers['www-authenticate'] }).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: description },
      challenge: invalidToken(description),
    });
  }

  it('accepts a token with non-ASCII claims, with the claims decoded as UTF-8 (control)', async () => {
    const res = await get(hs256(claims()));
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { clientId: 'confidential-app', userId: 'usér-ü' } });
  });

  it('refuses an HMAC written with other base64url padding bits, as jwa compares the text', async () => {
    const token = hs256(claims());
    const last = token.at(-1) as string;
    // 32 bytes take 43 characters: the last one carries 2 bits of data and 4 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const forged = token.slice(0, -1) + sibling;
    expect(Buffer.from(forged.split('.')[2] as string, 'base64url')).toEqual(Buffer.from(token.split('.')[2] as string, 'base64url'));
    await expectInvalid(forged, 'The access token signature is invalid');
  });

  it('accepts a validly signed token whose header JSON has a line break (jsonwebtoken decides)', async () => {
    const res = await get(handSigned('{"alg":"HS256",\n"typ":"at+jwt","kid":"hs-1"}', claims()));
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { clientId: 'confidential-app', userId: 'usér-ü' } });
  });

  it('applies 5 s of clock tolerance on both sides, like jsonwebtoken', async () => {
    expect((await get(hs256(claims({ exp: now() - 3 })))).status).toBe(200);
    expect((await get(hs256(claims({ nbf: now() + 3 })))).status).toBe(200);
    await expectInvalid(hs256(claims({ exp: now() - 6 })), 'The access token has expired');
    await expectInvalid(hs256(claims({ nbf: now() + 60 })), 'The access token is not valid yet');
  });

  it('refuses a non-numeric exp and a wrong issuer with jsonwebtoken\'s verdict', async () => {
    await expectInvalid(handSigned(JSON.stringify(header('HS256', 'hs-1')), claims({ exp: String(now() + 600) })), 'The access token is malformed');
    await expectInvalid(hs256(claims({ iss: `${ISSUER}/` })), 'The access token has the wrong issuer');
  });

  it('refuses a header that is JSON but not an object as malformed, not as a server error', async () => {
    const p = Buffer.from(JSON.stringify(claims())).toString('base64url');
    await expectInvalid(`${Buffer.from('null').toString('base64url')}.${p}.c2ln`, 'The access token is malformed');
  });
});
