import { generateKeyPairSync } from 'node:crypto';
import { ConfigurationError, createMemoryStores, createOAuthServer, hashClientSecret, type OAuthServerOptions } from '../../lib';
import express from 'express';
import request from 'supertest';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, basic, decodeJwt, seedStores } from '../helpers/fixtures';

const stores = seedStores();
const valid: OAuthServerOptions = { issuer: ISSUER, stores, signing: { secret: JWT_SECRET } };

function errorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

const ecJwk = (kid?: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), ...(kid ? { kid } : {}) });

describe('createOAuthServer() validates its options at construction', () => {
  it('accepts a valid configuration', () => {
    expect(createOAuthServer(valid).endpoints).toEqual({
      token: `${ISSUER}/oauth2/token`,
      authorization: `${ISSUER}/oauth2/authorize`,
      revocation: `${ISSUER}/oauth2/revoke`,
      introspection: `${ISSUER}/oauth2/introspect`,
      jwks: `${ISSUER}/oauth2/jwks`,
    });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['an unknown option', { tokenLifetime: 5 }, 'tokenLifetime', 'unknown option'],
    ['a missing issuer', { issuer: undefined }, 'issuer', 'is required'],
    ['a relative issuer', { issuer: 'auth.example.com' }, 'issuer', 'must be an absolute URL'],
    ['an issuer with a query', { issuer: 'https://a.example?x=1' }, 'issuer', 'must not have a query or fragment'],
    ['an issuer with a fragment', { issuer: 'https://a.example#x' }, 'issuer', 'must not have a query or fragment'],
    ['a non-http issuer', { issuer: 'ftp://a.example' }, 'issuer', 'must be an https URL'],
    ['missing stores', { stores: undefined }, 'stores', 'is required'],
    ['a store without a method', { stores: { ...stores, tokens: Object.assign(Object.create(stores.tokens), { revokeFamily: undefined }) } }, 'stores.tokens.revokeFamily', 'must be a function'],
    ['an unknown store', { stores: { ...stores, cache: {} } }, 'stores.cache', 'unknown option'],
    ['a basePath with a trailing slash', { basePath: '/oauth2/' }, 'basePath', 'must be ""'],
    ['a basePath with route syntax', { basePath: '/:tenant' }, 'basePath', 'must be ""'],
    ['a zero lifetime', { accessTokenLifetime: 0 }, 'accessTokenLifetime', 'whole number of seconds'],
    ['a fractional lifetime', { refreshTokenLifetime: 1.5 }, 'refreshTokenLifetime', 'whole number of seconds'],
    ['an empty audience list', { audience: [] }, 'audience', 'non-empty'],
    ['a logger without error()', { logger: { warn() {} } }, 'logger', 'must have warn'],
    ['missing signing', { signing: undefined }, 'signing', 'is required'],
    ['a short HS256 secret', { signing: { secret: 'short' } }, 'signing.secret', 'at least 32 bytes'],
    ['both secret and keys', { signing: { secret: JWT_SECRET, keys: [] } }, 'signing', 'not both'],
    ['an unknown signing key', { signing: { secret: JWT_SECRET, alg: 'HS512' } }, 'signing.alg', 'unknown option'],
    ['an empty key list', { signing: { keys: [] } }, 'signing.keys', 'non-empty array'],
    ['a key without kid', { signing: { keys: [ecJwk()] } }, 'signing.keys[0].kid', 'is required'],
    ['only public keys', { signing: { keys: [{ ...ecJwk('k1'), d: undefined }] } }, 'signing.keys', 'at least one key must be private'],
    ['a public key as activeKid', { signing: { keys: [ecJwk('k1'), { ...ecJwk('k2'), d: undefined }], activeKid: 'k2' } }, 'signing.activeKid', 'public only and cannot sign'],
    ['a short oct key', { signing: { keys: [{ kty: 'oct', k: 'c2hvcnQ', kid: 'h1' }] } }, 'signing.keys[0].k', 'at least 32 bytes'],
    ['an oct key with another alg', { signing: { keys: [{ kty: 'oct', k: 'x'.repeat(43), kid: 'h1', alg: 'HS512' }] } }, 'signing.keys[0].alg', 'must be HS256'],
    ['an unknown token format', { accessTokenFormat: 'paseto' }, 'accessTokenFormat', 'must be "jwt" or "opaque"'],
    ['a bad alg', { signing: { keys: [{ ...ecJwk('k1'), alg: 'none' }] } }, 'signing.keys[0].alg', 'must be RS256'],
    ['an EC key claiming RS256', { signing: { keys: [{ ...ecJwk('k1'), alg: 'RS256' }] } }, 'signing.keys[0]', 'RS256 needs an RSA key'],
    ['duplicate kids', { signing: { keys: [ecJwk('k1'), ecJwk('k1')] } }, 'signing.keys[1].kid', 'duplicate kid'],
    ['an unknown activeKid', { signing: { keys: [ecJwk('k1')], activeKid: 'k2' } }, 'signing.activeKid', 'no key has kid'],
    ['a code lifetime over 10 minutes', { authorizationCodeLifetime: 601 }, 'authorizationCodeLifetime', 'at most 600 seconds'],
    ['a zero interaction lifetime', { interactionLifetime: 0 }, 'interactionLifetime', 'whole number of seconds'],
    ['a non-boolean allowPlainPkce', { allowPlainPkce: 'yes' }, 'allowPlainPkce', 'must be a boolean'],
    ['an authenticateUser that is not a function', { authenticateUser: {} }, 'authenticateUser', 'must be a function'],
    ['a renderConsentPage that is not a function', { renderConsentPage: 'consent.html' }, 'renderConsentPage', 'must be a function'],
    ['a javascript: loginUrl', { loginUrl: 'javascript:alert(1)' }, 'loginUrl', 'must be a path'],
    ['a protocol-relative loginUrl', { loginUrl: '//evil.example/login', authenticateUser: () => undefined }, 'loginUrl', 'must not be protocol-relative'],
    ['a loginUrl without authenticateUser (it would loop)', { loginUrl: '/login' }, 'loginUrl', 'needs authenticateUser'],
    ['a realm without label', { realms: [{ id: 'staff' }] }, 'realms[0]', 'must be { id: string, label: string }'],
    ['a scope description for a bad scope', { scopeDescriptions: { 'a b': 'x' } }, 'scopeDescriptions.a b', 'must map a scope token'],
    ['non-string pageCss', { pageCss: 5 }, 'pageCss', 'must be a string'],
    ['a zero storeTimeoutMs', { storeTimeoutMs: 0 }, 'storeTimeoutMs', 'whole number of milliseconds'],
    ['a fractional passwordWorkers', { passwordWorkers: 1.5 }, 'passwordWorkers', 'whole number of threads from 0 to 64'],
    ['a negative passwordWorkers', { passwordWorkers: -1 }, 'passwordWorkers', 'whole number of threads from 0 to 64'],
    ['too many passwordWorkers', { passwordWorkers: 65 }, 'passwordWorkers', 'whole number of threads from 0 to 64'],
    ['a negative passwordQueueLimit', { passwordQueueLimit: -1 }, 'passwordQueueLimit', 'whole number from 0 to 100000'],
    ['a string passwordQueueLimit', { passwordQueueLimit: '10' }, 'passwordQueueLimit', 'whole number from 0 to 100000'],
  ])('rejects %s, naming the option', (_name, patch, path, message) => {
    const err = errorOf(() => createOAuthServer({ ...valid, ...patch } as OAuthServerOptions));
    expect(err.path).toBe(path);
    expect(err.message).toContain(`${path}: `);
    expect(err.message).toContain(message);
  });

  it('rejects an RSA key shorter than 2048 bits', () => {
    const small = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }), kid: 'small' };
    expect(errorOf(() => createOAuthServer({ ...valid, signing: { keys: [small] } })).path).toBe('signing.keys[0]');
  });

  it('rejects an options value that is not an object', () => {
    expect(errorOf(() => createOAuthServer(null as unknown as OAuthServerOptions)).path).toBe('options');
  });
});

describe('createMemoryStores() validates its seed', () => {
  const client = { id: 'c', secret: 'a-long-enough-secret', grants: ['client_credentials' as const], scopes: ['read'] };

  it.each<[string, Record<string, unknown>, string, string]>([
    ['an unknown option', { purge: 1 }, 'purge', 'unknown option'],
    ['a short purge interval', { purgeIntervalMs: 10 }, 'purgeIntervalMs', 'at least 1000'],
    ['an unknown client field', { clients: [{ ...client, colour: 'red' }] }, 'clients[0].colour', 'unknown option'],
    ['an empty client id', { clients: [{ ...client, id: '' }] }, 'clients[0].id', 'non-empty string'],
    ['secret and secretHash', { clients: [{ ...client, secretHash: hashClientSecret('x') }] }, 'clients[0].secret', 'not both'],
    ['a plain secretHash', { clients: [{ ...client, secret: undefined, secretHash: 'plain' }] }, 'clients[0].secretHash', 'hashClientSecret'],
    ['a confidential client without secret', { clients: [{ ...client, secret: undefined, tokenEndpointAuthMethod: 'client_secret_post' }] }, 'clients[0].secretHash', 'is required'],
    ['a public client with a secret', { clients: [{ ...client, tokenEndpointAuthMethod: 'none' }] }, 'clients[0].secretHash', 'public client'],
    ['a public client_credentials client', { clients: [{ ...client, secret: undefined }] }, 'clients[0].grants', 'confidential clients only'],
    ['an unknown grant', { clients: [{ ...client, grants: ['magic'] }] }, 'clients[0].grants[0]', 'must be one of'],
    ['no grants', { clients: [{ ...client, grants: [] }] }, 'clients[0].grants', 'at least one'],
    ['an unknown auth method', { clients: [{ ...client, tokenEndpointAuthMethod: 'private_key_jwt' }] }, 'clients[0].tokenEndpointAuthMethod', 'must be one of'],
    ['a bad scope token', { clients: [{ ...client, scopes: ['a b'] }] }, 'clients[0].scopes[0]', 'not a valid scope token'],
    ['a default scope not allowed', { clients: [{ ...client, defaultScopes: ['write'] }] }, 'clients[0].defaultScopes[0]', 'not in scopes'],
    ['a redirect URI with a fragment', { clients: [{ ...client, redirectUris: ['https://a.example/cb#x'] }] }, 'clients[0].redirectUris[0]', 'without a fragment'],
    ['a relative redirect URI', { clients: [{ ...client, redirectUris: ['/cb'] }] }, 'clients[0].redirectUris[0]', 'absolute URI'],
    ['a bad lifetime', { clients: [{ ...client, accessTokenLifetime: -1 }] }, 'clients[0].accessTokenLifetime', 'whole number'],
    ['a code client without redirect URIs', { clients: [{ ...client, grants: ['authorization_code'] }] }, 'clients[0].redirectUris', 'at least one URI'],
    ['a non-boolean firstParty', { clients: [{ ...client, firstParty: 'yes' }] }, 'clients[0].firstParty', 'must be a boolean'],
    ['a duplicate client id', { clients: [client, client] }, 'clients[1].id', 'duplicate client id'],
    ['a user without username', { users: [{ id: 'u' }] }, 'users[0].username', 'non-empty string'],
    ['a user with an unknown field', { users: [{ id: 'u', username: 'u', email: 'x' }] }, 'users[0].email', 'unknown option'],
    ['a password over 72 bytes', { users: [{ id: 'u', username: 'u', password: 'x'.repeat(73) }] }, 'users[0].password', 'at most 72 bytes'],
    ['a passwordHash that is not bcrypt', { users: [{ id: 'u', username: 'u', passwordHash: 'md5:abc' }] }, 'users[0].passwordHash', 'bcrypt hash'],
    ['a passwordChangedAt that is not a Date', { users: [{ id: 'u', username: 'u', passwordChangedAt: 5 }] }, 'users[0].passwordChangedAt', 'must be a Date'],
    ['a duplicate username in one realm', { users: [{ id: 'a', username: 'x' }, { id: 'b', username: 'x' }] }, 'users[1].username', 'duplicate username'],
    ['a duplicate user id', { users: [{ id: 'a', username: 'x' }, { id: 'a', username: 'y' }] }, 'users[1].id', 'duplicate user id'],
  ])('rejects %s, naming the field', (_name, seed, path, message) => {
    const err = errorOf(() => createMemoryStores(seed as Parameters<typeof createMemoryStores>[0]));
    expect(err.path).toBe(path);
    expect(err.message).toContain(message);
  });

  it('allows the same username in two realms', () => {
    expect(() => createMemoryStores({ users: [{ id: 'a', username: 'x' }, { id: 'b', username: 'x', realm: 'partners' }] })).not.toThrow();
  });

  it('never keeps a plain secret or password', async () => {
    const seeded = createMemoryStores({ clients: [client], users: [{ id: 'u', username: 'u', password: 'pw-123456' }] });
    const stored = await seeded.clients.findById('c');
    expect(stored).toEqual({ id: 'c', secretHash: hashClientSecret(client.secret), grants: ['client_credentials'], scopes: ['read'] });
    const user = await seeded.users.findByUsername('u', {});
    expect(user).toEqual({ id: 'u', username: 'u', passwordHash: expect.stringMatching(/^\$2b\$10\$/) });
  });
});

describe('the issuer is kept exactly as configured (RFC 8414 §3.3 compares it as a string)', () => {
  it('keeps a trailing slash in iss but not twice in endpoint URLs', async () => {
    const oauth = createOAuthServer({ ...valid, issuer: `${ISSUER}/` });
    expect(oauth.issuer).toBe(`${ISSUER}/`);
    expect(oauth.endpoints.token).toBe(`${ISSUER}/oauth2/token`);
    const res = await request(express().use(oauth.router))
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(decodeJwt(res.body.access_token).payload.iss).toBe(`${ISSUER}/`);
  });
});

describe('an http issuer outside loopback is warned about through the logger', () => {
  it.each([
    ['http://auth.example.test', 1],
    ['http://localhost:3000', 0],
    ['http://127.0.0.1:3000', 0],
    ['https://auth.example.test', 0],
  ])('%s gives %i warning(s)', (issuer, count) => {
    const warn = jest.fn();
    createOAuthServer({ ...valid, issuer, logger: { warn, error: jest.fn() } });
    expect(warn).toHaveBeenCalledTimes(count);
    if (count) {
      expect(warn).toHaveBeenCalledWith(
        { issuer },
        'The issuer is a plain http URL on a non-loopback host: tokens and secrets would travel unencrypted; use https',
      );
    }
  });
});
