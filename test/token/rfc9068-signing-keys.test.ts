import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createOAuthServer, type OAuthServerOptions } from '../../lib';
import { expectTokenResponse } from '../helpers/assertions';
import { CONFIDENTIAL, ISSUER, basic, decodeJwt, seedStores } from '../helpers/fixtures';

const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'rsa-2026' };
const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'ec-2026' };

async function issue(signing: OAuthServerOptions['signing'], extra: Partial<OAuthServerOptions> = {}) {
  const app = express().use(createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing, ...extra }).router);
  const res = await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
  return expectTokenResponse(res, { expires_in: 3600, scope: 'read' }).access_token;
}

describe('RFC 9068 §2.1 access tokens signed with asymmetric keys', () => {
  it.each([
    ['RS256', rsa],
    ['ES256', ec],
  ] as const)('signs with %s, kid in the header, verifiable with the public key only', async (alg, key) => {
    const token = await issue({ keys: [key] });
    expect(decodeJwt(token).header).toEqual({ alg, typ: 'at+jwt', kid: key.kid });
    const publicKey = createPublicKey({ key, format: 'jwk' });
    expect(() => jwt.verify(token, publicKey, { algorithms: [alg], issuer: ISSUER, audience: ISSUER })).not.toThrow();
  });

  it('signs with the activeKid when several keys are configured (rotation)', async () => {
    const token = await issue({ keys: [rsa, ec], activeKid: 'ec-2026' });
    expect(decodeJwt(token).header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'ec-2026' });
  });

  it('signs with the first key when no activeKid is given', async () => {
    expect(decodeJwt(await issue({ keys: [rsa, ec] })).header.kid).toBe('rsa-2026');
  });

  it('uses a configured HS256 kid and audience list', async () => {
    const token = await issue({ secret: Buffer.alloc(32, 7), kid: 'hs-1' }, { audience: ['https://api.example.test', 'https://other.example.test'] });
    expect(decodeJwt(token).header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'hs-1' });
    expect(decodeJwt(token).payload.aud).toEqual(['https://api.example.test', 'https://other.example.test']);
  });

  it('derives an HS256 kid from the secret alone, the same in every process (tokens outlive restarts)', async () => {
    // SHA-256 of SHA-256 of the secret, base64url, first 16 characters: pinned, so a change of
    // hashing code (ADR 0021) cannot orphan the tokens a running deployment has issued.
    const first = await issue({ secret: Buffer.alloc(32, 7) });
    const second = await issue({ secret: Buffer.alloc(32, 7) });
    expect(decodeJwt(first).header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: '62C97gVZZzQzWpN4' });
    expect(decodeJwt(second).header.kid).toBe('62C97gVZZzQzWpN4');
  });

  it('uses the server-wide lifetime option', async () => {
    const app = express().use(createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { keys: [ec] }, accessTokenLifetime: 300 }).router);
    const res = await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 300, scope: 'read' });
  });
});
