/**
 * RFC 8414 authorization server metadata at `/.well-known/oauth-authorization-server`, and
 * the RFC 7517 §5 JWK Set at `/oauth2/jwks`: exactly what the server supports, public keys
 * only, and key rotation (a new key signs while the old one still verifies).
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import express from 'express';
import request, { type Response } from 'supertest';
import { createOAuthServer, type OAuthServerOptions } from '../../lib';
import { expectTokenResponse } from '../helpers/assertions';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, basic, decodeJwt, seedStores } from '../helpers/fixtures';
import {
  BASIC_CLIENT,
  callApi,
  expectApiAccepts,
  expectApiRejects,
  expectIntrospection,
  introspect,
  mountApi,
} from './endpoint-helpers';

const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

const ecPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec = { ...ecPair().privateKey.export({ format: 'jwk' }), kid: 'ec-2026' };
const rsa = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'rsa-2026',
};
const oct = { kty: 'oct', k: Buffer.alloc(32, 9).toString('base64url'), kid: 'hs-2026', alg: 'HS256' };

/** The public half of a private JWK, as the JWKS must publish it. */
function publicJwk(jwk: JsonWebKey & { kid: string }, alg: 'ES256' | 'RS256') {
  const { kty, crv, x, y, n, e } = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' });
  return { kty, ...(kty === 'RSA' ? { n, e } : { crv, x, y }), kid: jwk.kid, alg, use: 'sig' };
}

function server(overrides: Partial<OAuthServerOptions> = {}, stores = seedStores()) {
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, ...overrides });
  const app = express();
  app.use(oauth.router);
  mountApi(app, oauth);
  return { app, oauth, stores };
}

/** Every member lib/router/metadata.ts builds, for an issuer and where its endpoints are. */
function expectedMetadata(issuer: string, base: string, extra: { jwks?: boolean; plainPkce?: boolean } = {}) {
  const clientAuth = ['client_secret_basic', 'client_secret_post', 'none'];
  return {
    issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    ...(extra.jwks ? { jwks_uri: `${base}/jwks` } : {}),
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    response_types_supported: ['code', 'token'],
    response_modes_supported: ['query', 'fragment'],
    grant_types_supported: ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: clientAuth,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: extra.plainPkce ? ['S256', 'plain'] : ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
}

/** A public, cacheable, CORS-readable JSON document (SPAs discover and fetch keys cross-origin). */
function expectPublicJson(res: Response, body: unknown, maxAge: number): void {
  expect({ status: res.status, body: res.body }).toEqual({ status: 200, body });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe(`public, max-age=${maxAge}`);
  expect(res.headers['access-control-allow-origin']).toBe('*');
  expect(res.headers.pragma).toBeUndefined();
}

async function clientCredentialsAt(app: express.Express, path = '/oauth2/token'): Promise<string> {
  const res = await request(app)
    .post(path)
    .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
    .type('form')
    .send({ grant_type: 'client_credentials' });
  return expectTokenResponse(res, { expires_in: 3600, scope: 'read' }).access_token;
}

describe('RFC 8414 §3 the metadata document', () => {
  it('lists every member, with the endpoint URLs, and equals oauth.metadata (HS256: no jwks_uri)', async () => {
    const { app, oauth } = server();
    const expected = expectedMetadata(ISSUER, `${ISSUER}/oauth2`);
    expect(expected).not.toHaveProperty('jwks_uri');
    expectPublicJson(await request(app).get(WELL_KNOWN), expected, 3600);
    expect(oauth.metadata).toEqual(expected);
  });

  it('names the same URLs as oauth.endpoints', () => {
    const { oauth } = server({ signing: { keys: [ec] } });
    expect(oauth.metadata).toMatchObject({
      issuer: oauth.issuer,
      authorization_endpoint: oauth.endpoints.authorization,
      token_endpoint: oauth.endpoints.token,
      jwks_uri: oauth.endpoints.jwks,
      revocation_endpoint: oauth.endpoints.revocation,
      introspection_endpoint: oauth.endpoints.introspection,
    });
  });

  it.each([
    ['ES256', [ec]],
    ['RS256', [rsa]],
    ['ES256 next to an oct key', [oct, ec]],
  ])('has jwks_uri with %s public keys', async (_name, keys) => {
    const { app, oauth } = server({ signing: { keys } });
    const expected = expectedMetadata(ISSUER, `${ISSUER}/oauth2`, { jwks: true });
    expectPublicJson(await request(app).get(WELL_KNOWN), expected, 3600);
    expect(oauth.metadata).toEqual(expected);
  });

  it('has no jwks_uri when the only key is an oct (HS256) JWK', async () => {
    const { app } = server({ signing: { keys: [oct] } });
    expectPublicJson(await request(app).get(WELL_KNOWN), expectedMetadata(ISSUER, `${ISSUER}/oauth2`), 3600);
  });

  it('lists plain in code_challenge_methods_supported only with allowPlainPkce', async () => {
    const { app } = server({ allowPlainPkce: true });
    expectPublicJson(
      await request(app).get(WELL_KNOWN),
      expectedMetadata(ISSUER, `${ISSUER}/oauth2`, { plainPkce: true }),
      3600,
    );
    expect(server({ allowPlainPkce: false }).oauth.metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('follows basePath', async () => {
    const { app } = server({ basePath: '' });
    const res = await request(app).get(WELL_KNOWN);
    expectPublicJson(res, expectedMetadata(ISSUER, ISSUER), 3600);
    await clientCredentialsAt(app, new URL(res.body.token_endpoint).pathname);
  });

  it('is served at the well-known URI with the issuer path appended, for an issuer with a path (§3.1)', async () => {
    const issuer = 'https://auth.example.test/tenant-a';
    const oauth = createOAuthServer({ issuer, stores: seedStores(), signing: { keys: [ec] } });
    const app = express().use(oauth.router);
    const expected = expectedMetadata(issuer, `${issuer}/oauth2`, { jwks: true });
    expectPublicJson(await request(app).get(`${WELL_KNOWN}/tenant-a`), expected, 3600);
    expect(oauth.metadata).toEqual(expected);
    // §3.3: the issuer in the document is exactly the one the well-known URI was built from.
    expect(expected.issuer).toBe(issuer);
  });

  it('lets the host serve oauth.metadataHandler at the root when the router is mounted under the issuer path', async () => {
    const issuer = 'https://auth.example.test/tenant-a';
    const oauth = createOAuthServer({ issuer, stores: seedStores(), signing: { keys: [ec] } });
    const app = express();
    app.use('/tenant-a', oauth.router);
    app.get(`${WELL_KNOWN}/tenant-a`, oauth.metadataHandler);

    const res = await request(app).get(`${WELL_KNOWN}/tenant-a`);
    expectPublicJson(res, expectedMetadata(issuer, `${issuer}/oauth2`, { jwks: true }), 3600);
    // The URLs it names are where the router really answers.
    await clientCredentialsAt(app, new URL(res.body.token_endpoint).pathname);
    const jwks = await request(app).get(new URL(res.body.jwks_uri).pathname);
    expectPublicJson(jwks, { keys: [publicJwk(ec, 'ES256')] }, 300);
  });
});

describe('RFC 7517 §5 the JWK Set publishes public keys only', () => {
  it('publishes ES256 and RS256 public keys with kid, alg and use, and no private member', async () => {
    const { app } = server({ signing: { keys: [ec, rsa] } });
    const res = await request(app).get('/oauth2/jwks');
    expectPublicJson(res, { keys: [publicJwk(ec, 'ES256'), publicJwk(rsa, 'RS256')] }, 300);
    for (const key of res.body.keys as Record<string, unknown>[]) {
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    expect(res.text).not.toContain(ec.d as string);
    expect(res.text).not.toContain(rsa.d as string);
  });

  it('never publishes an HS256 secret', async () => {
    const { app } = server({ signing: { secret: JWT_SECRET } });
    const res = await request(app).get('/oauth2/jwks');
    expectPublicJson(res, { keys: [] }, 300);
    expect(res.text).not.toContain(Buffer.from(JWT_SECRET).toString('base64url'));
  });

  it('never publishes an oct JWK given in signing.keys', async () => {
    const { app } = server({ signing: { keys: [oct, ec], activeKid: 'hs-2026' } });
    const res = await request(app).get('/oauth2/jwks');
    expectPublicJson(res, { keys: [publicJwk(ec, 'ES256')] }, 300);
    expect(res.text).not.toContain(oct.k);
    expectPublicJson(await request(server({ signing: { keys: [oct] } }).app).get('/oauth2/jwks'), { keys: [] }, 300);
  });
});

describe('RFC 7517 key rotation: a new key signs, the old one still verifies', () => {
  const k1 = { ...ecPair().privateKey.export({ format: 'jwk' }), kid: 'k1' };
  const k2 = { ...ecPair().privateKey.export({ format: 'jwk' }), kid: 'k2' };
  const { d: _d, ...k1Public } = k1;

  it('a server with [k2 private, k1 public] publishes both and accepts tokens of either key', async () => {
    const stores = seedStores();
    const before = server({ signing: { keys: [k1] } }, stores);
    const after = server({ signing: { keys: [k2, k1Public] } }, stores);

    const oldToken = await clientCredentialsAt(before.app);
    const newToken = await clientCredentialsAt(after.app);
    expect(decodeJwt(oldToken).header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(decodeJwt(newToken).header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k2' });

    expectPublicJson(
      await request(after.app).get('/oauth2/jwks'),
      { keys: [publicJwk(k2, 'ES256'), publicJwk(k1, 'ES256')] },
      300,
    );
    expectApiAccepts(await callApi(after.app, oldToken), { clientId: CONFIDENTIAL.id });
    expectApiAccepts(await callApi(after.app, newToken), { clientId: CONFIDENTIAL.id });
    // Introspection at the rotated server still recognises the old key's token.
    const described = await introspect(after.app, BASIC_CLIENT, { token: oldToken });
    expectIntrospection(described, expect.objectContaining({ active: true, jti: decodeJwt(oldToken).payload.jti }));
  });

  it('a separate server (its own store) configured with k1 public verifies k1 tokens with plain requireToken()', async () => {
    const before = server({ signing: { keys: [k1] } });
    const after = server({ signing: { keys: [k2, k1Public] } });
    after.app.get('/plain', after.oauth.requireToken(), (req, res) => {
      res.json({ clientId: req.oauth?.clientId, tokenId: req.oauth?.tokenId });
    });
    const oldToken = await clientCredentialsAt(before.app);
    const res = await request(after.app).get('/plain').set('Authorization', `Bearer ${oldToken}`);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { clientId: CONFIDENTIAL.id, tokenId: decodeJwt(oldToken).payload.jti },
    });
  });

  it('a server that knows only k2 rejects tokens signed with k1', async () => {
    const stores = seedStores();
    const before = server({ signing: { keys: [k1] } }, stores);
    const only = server({ signing: { keys: [k2] } }, stores);
    const oldToken = await clientCredentialsAt(before.app);
    expectApiRejects(await callApi(only.app, oldToken), 'The access token was signed with an unknown key');
    expectIntrospection(await introspect(only.app, BASIC_CLIENT, { token: oldToken }), { active: false });
    expectPublicJson(await request(only.app).get('/oauth2/jwks'), { keys: [publicJwk(k2, 'ES256')] }, 300);
  });
});
