/**
 * Shared pieces of the revocation (RFC 7009) and introspection (RFC 7662) tests: a server with
 * a protected API route, clients of every kind, and exact assertions for the responses these
 * endpoints send that the token-endpoint helpers do not cover.
 */
import { createHmac } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express, { type Express } from 'express';
import request, { type Response, type Test } from 'supertest';
import { createMemoryStores, createOAuthServer, type MemoryStores, type OAuthServerOptions } from '../../lib';
import { ALICE, CONFIDENTIAL, ISSUER, JWT_SECRET, POST_CLIENT, PUBLIC_CLIENT, basic } from '../helpers/fixtures';

/** A client as the tests present it: Basic when it has a secret, unless it is registered for client_secret_post. */
export interface TestClient {
  id: string;
  secret?: string;
  method?: 'client_secret_post';
}

export const BASIC_CLIENT: TestClient = CONFIDENTIAL;
export const POSTING_CLIENT: TestClient = { ...POST_CLIENT, method: 'client_secret_post' };
export const PUBLIC: TestClient = PUBLIC_CLIENT;
/** A resource server: may introspect every token of the server (RFC 7662 §2.1). */
export const RESOURCE_SERVER: TestClient = { id: 'resource-server', secret: 'resource-server-secret-0123456789' };
/** A client whose access tokens are opaque, whatever the server default. */
export const OPAQUE_CLIENT: TestClient = { id: 'opaque-app', secret: 'opaque-app-secret-0123456789abcdef' };

/** The path of the protected test route (`requireToken({ checkRevocation: true })`). */
export const API_PATH = '/api/me';

export function seedEndpointStores(): MemoryStores {
  const grants = ['client_credentials', 'password', 'refresh_token'] as const;
  return createMemoryStores({
    clients: [
      { ...CONFIDENTIAL, grants: [...grants], scopes: ['read', 'write'], defaultScopes: ['read'] },
      { ...POST_CLIENT, tokenEndpointAuthMethod: 'client_secret_post', grants: [...grants], scopes: ['read', 'write'] },
      { ...PUBLIC_CLIENT, grants: ['password', 'refresh_token'], scopes: ['read', 'write'], defaultScopes: ['read'] },
      { id: RESOURCE_SERVER.id, secret: RESOURCE_SERVER.secret, grants: ['client_credentials'], canIntrospect: true },
      {
        id: OPAQUE_CLIENT.id,
        secret: OPAQUE_CLIENT.secret,
        grants: [...grants],
        scopes: ['read', 'write'],
        defaultScopes: ['read'],
        accessTokenFormat: 'opaque',
      },
    ],
    users: [{ id: ALICE.id, username: ALICE.username, passwordHash: bcrypt.hashSync(ALICE.password, 4) }],
  });
}

/** Adds the protected route to an app whose router is already mounted. */
export function mountApi(app: Express, oauth: ReturnType<typeof createOAuthServer>): void {
  app.get(API_PATH, oauth.requireToken({ checkRevocation: true }), (req, res) => {
    res.json({ clientId: req.oauth?.clientId, userId: req.oauth?.userId ?? null, format: req.oauth?.format });
  });
}

export function makeEndpointApp(overrides: Partial<OAuthServerOptions> = {}, stores = seedEndpointStores()) {
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, ...overrides });
  const app = express();
  app.use(oauth.router);
  mountApi(app, oauth);
  return { app, oauth, stores };
}

/** A form POST to `path`, authenticated the way `client` is registered. */
export function postAs(
  app: Express,
  path: string,
  client: TestClient,
  fields: Record<string, string | undefined>,
): Test {
  const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const req = request(app).post(path).type('form');
  if (client.secret === undefined) return req.send({ client_id: client.id, ...body });
  if (client.method === 'client_secret_post')
    return req.send({ client_id: client.id, client_secret: client.secret, ...body });
  return req.set('Authorization', basic(client.id, client.secret)).send(body);
}

export const revoke = (app: Express, client: TestClient, fields: Record<string, string | undefined>) =>
  postAs(app, '/oauth2/revoke', client, fields);

export const introspect = (app: Express, client: TestClient, fields: Record<string, string | undefined>) =>
  postAs(app, '/oauth2/introspect', client, fields);

export interface Pair {
  access_token: string;
  refresh_token: string;
}

/** A password grant for alice: an access token and a refresh token of one new family. */
export async function passwordGrant(
  app: Express,
  client: TestClient = BASIC_CLIENT,
  scope = 'read write',
): Promise<Pair> {
  const res = await postAs(app, '/oauth2/token', client, {
    grant_type: 'password',
    username: ALICE.username,
    password: ALICE.password,
    scope,
  });
  expect(res.status).toBe(200);
  expect(res.body.refresh_token).toEqual(expect.any(String));
  return res.body as Pair;
}

export async function clientCredentials(
  app: Express,
  client: TestClient = BASIC_CLIENT,
  scope?: string,
): Promise<string> {
  const res = await postAs(app, '/oauth2/token', client, { grant_type: 'client_credentials', scope });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

export const refresh = (app: Express, refreshToken: string, client: TestClient = BASIC_CLIENT) =>
  postAs(app, '/oauth2/token', client, { grant_type: 'refresh_token', refresh_token: refreshToken });

export const callApi = (app: Express, accessToken: string) =>
  request(app).get(API_PATH).set('Authorization', `Bearer ${accessToken}`);

/** The headers RFC 7009 §2.2 / RFC 7662 §2.2 responses carry (they hold or describe tokens). */
export function expectNoStore(res: Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
}

/** RFC 7009 §2.2: 200, and nothing in the body. */
export function expectRevocationOk(res: Response): void {
  expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: '' });
  expect(res.headers['content-length']).toBe('0');
  expect(res.headers['content-type']).toBeUndefined();
  expect(res.headers['www-authenticate']).toBeUndefined();
  expectNoStore(res);
}

/** RFC 7662 §2.2: 200 with exactly `body` as JSON. */
export function expectIntrospection(res: Response, body: Record<string, unknown>): void {
  expect({ status: res.status, body: res.body }).toEqual({ status: 200, body });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['www-authenticate']).toBeUndefined();
  expectNoStore(res);
}

/** 405 for a method other than POST, with `Allow: POST` (RFC 9110 §15.5.6). */
export function expectMethodNotAllowed(res: Response, description: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 405,
    body: { error: 'invalid_request', error_description: description },
  });
  expect(res.headers.allow).toBe('POST');
  expect(res.headers['content-type']).toBe('application/json');
  expectNoStore(res);
}

/** The protected route accepted the token. */
export function expectApiAccepts(
  res: Response,
  expected: { clientId: string; userId?: string; format?: 'jwt' | 'opaque' },
): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 200,
    body: { clientId: expected.clientId, userId: expected.userId ?? null, format: expected.format ?? 'jwt' },
  });
}

/** RFC 6750 §3.1: 401 invalid_token with its challenge, from the protected route. */
export function expectApiRejects(res: Response, description: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 401,
    body: { error: 'invalid_token', error_description: description },
  });
  expect(res.headers['www-authenticate']).toBe(
    `Bearer realm="${ISSUER}", error="invalid_token", error_description="${description}"`,
  );
  expect(res.headers['cache-control']).toBe('no-store');
}

/**
 * A JWT of the right shape with the real token's header and claims (same `kid`, same `jti`)
 * but signed with a secret that is not ours.
 */
export function forgeJwt(realToken: string): string {
  const [header, payload] = realToken.split('.');
  const signingInput = `${header}.${payload}`;
  const signature = createHmac('sha256', 'an-attacker-secret-that-is-32-bytes-or-more')
    .update(signingInput)
    .digest('base64url');
  return `${signingInput}.${signature}`;
}
