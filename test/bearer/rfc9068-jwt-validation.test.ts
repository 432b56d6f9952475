import { createHmac, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { ISSUER } from '../helpers/fixtures';
import { claims, clientToken, EC_KEY, handmade, invalidToken, now, protectedApp, RSA_KEY, RSA_PAIR } from './helpers';

const { app } = protectedApp();
const ecPrivate = createPrivateKey({ key: EC_KEY, format: 'jwk' });
const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = ecPrivate, algorithm: jwt.Algorithm = 'ES256') =>
  jwt.sign(payload, key, { algorithm, header: { alg: algorithm, typ: 'at+jwt', kid: 'ec-1', ...header } });

async function expectInvalid(token: string, description: string, path = '/api') {
  const res = await request(app).get(path).set('Authorization', `Bearer ${token}`);
  expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { error: 'invalid_token', error_description: description } });
  expect(res.headers['www-authenticate']).toBe(invalidToken(description));
}

describe('RFC 9068 §4 / RFC 8725 JWT access tokens are verified strictly', () => {
  it('accepts a token signed by our key with every required claim (control)', async () => {
    expect((await request(app).get('/api').set('Authorization', `Bearer ${sign(claims())}`)).status).toBe(200);
  });

  it('rejects alg none, with or without a signature part', async () => {
    await expectInvalid(handmade({ alg: 'none', typ: 'at+jwt', kid: 'ec-1' }, claims(), 'x'), 'The access token uses the wrong algorithm for its key');
    // "h.p." has no signature at all: not even JWT-shaped, so it is looked up as opaque and unknown.
    await expectInvalid(handmade({ alg: 'none', typ: 'at+jwt', kid: 'ec-1' }, claims()), 'The access token is invalid or has been revoked');
  });

  it('rejects HS256 signed with our RSA public key as the secret (algorithm confusion)', async () => {
    const pem = RSA_PAIR.publicKey.export({ format: 'pem', type: 'spki' });
    const forged = handmade({ alg: 'HS256', typ: 'at+jwt', kid: RSA_KEY.kid }, claims());
    const [h, p] = forged.split('.');
    const mac = createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url');
    await expectInvalid(`${h}.${p}.${mac}`, 'The access token uses the wrong algorithm for its key');
  });

  it('rejects a header whose alg is not the one of its key', async () => {
    const [, p, sig] = sign(claims()).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'ec-1' })).toString('base64url');
    await expectInvalid(`${header}.${p}.${sig}`, 'The access token uses the wrong algorithm for its key');
  });

  it('rejects a wrong issuer', async () => {
    await expectInvalid(sign(claims({ iss: 'https://evil.example' })), 'The access token has the wrong issuer');
  });

  it('rejects a wrong audience where the route requires one', async () => {
    await expectInvalid(sign(claims()), 'The access token is not for this audience', '/api/audience');
    expect((await request(app).get('/api/audience').set('Authorization', `Bearer ${sign(claims({ aud: ['https://api.example.test', ISSUER] }))}`)).status).toBe(200);
  });

  it('rejects an expired token (beyond 5 s of clock tolerance)', async () => {
    await expectInvalid(sign(claims({ iat: now() - 100, exp: now() - 10 })), 'The access token has expired');
  });

  it('rejects a token that is not valid yet (nbf)', async () => {
    await expectInvalid(sign(claims({ nbf: now() + 60 })), 'The access token is not valid yet');
  });

  it.each(['JWT', 'jwt', undefined])('rejects typ %j (RFC 9068 §4 requires at+jwt)', async (typ) => {
    const header = { alg: 'ES256', kid: 'ec-1', ...(typ ? { typ } : {}) };
    // jsonwebtoken adds typ "JWT" when none is given; either way it is not at+jwt.
    const token = jwt.sign(claims(), ecPrivate, { algorithm: 'ES256', header: header as jwt.JwtHeader, noTimestamp: true });
    await expectInvalid(token, 'The access token is not of type at+jwt (RFC 9068)');
  });

  it('accepts typ application/at+jwt', async () => {
    expect((await request(app).get('/api').set('Authorization', `Bearer ${sign(claims(), { typ: 'application/at+jwt' })}`)).status).toBe(200);
  });

  it('rejects an unknown kid and a missing kid', async () => {
    await expectInvalid(sign(claims(), { kid: 'nobody' }), 'The access token was signed with an unknown key');
    await expectInvalid(handmade({ alg: 'ES256', typ: 'at+jwt' }, claims(), 'sig'), 'The access token names no key (kid)');
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await clientToken(app)).split('.');
    const forged = Buffer.from(JSON.stringify(claims({ scope: 'admin' }))).toString('base64url');
    await expectInvalid(`${h}.${forged}.${s}`, 'The access token signature is invalid');
  });

  it('rejects a token signed by another key claiming our kid', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expectInvalid(sign(claims(), {}, stranger), 'The access token signature is invalid');
  });

  it.each(['sub', 'client_id', 'jti', 'iat'])('rejects a token without %s (RFC 9068 §2.2)', async (claim) => {
    const payload: Record<string, unknown> = claims();
    delete payload[claim];
    const token = jwt.sign(payload, ecPrivate, { algorithm: 'ES256', noTimestamp: true, header: { alg: 'ES256', typ: 'at+jwt', kid: 'ec-1' } });
    await expectInvalid(token, 'The access token lacks required claims (RFC 9068 section 2.2)');
  });

  it('rejects a malformed header', async () => {
    await expectInvalid('bm90LWpzb24.e30.c2ln', 'The access token is malformed');
  });

  it('rejects an unknown opaque token', async () => {
    await expectInvalid('a'.repeat(43), 'The access token is invalid or has been revoked');
  });
});
