import Ajv2020 from 'ajv/dist/2020';
import bcrypt from 'bcryptjs';
import express, { type Express } from 'express';
import request, { type Response } from 'supertest';
import {
  type ClientAdminRouterOptions,
  createClientAdminRouter,
  createMemoryStores,
  createOAuthServer,
  type OAuthEventMap,
  type OAuthServerOptions,
  type Stores,
} from '../../lib';
import { ISSUER, JWT_SECRET, basic } from '../helpers/fixtures';

/** The back office's client: it may get admin tokens. */
export const ADMIN = { id: 'back-office', secret: 'back-office-secret-0123456789abcdef' };
/** A client whose tokens lack the admin scope. */
export const READER = { id: 'reader', secret: 'reader-secret-0123456789abcdef' };
export const SCOPE = 'clients:admin';
/** Cost 4 keeps fixtures fast; the cost is part of the hash, so verification is real. */
const ALICE_HASH = bcrypt.hashSync('alice-password', 4);

export function adminStores(): Stores {
  return createMemoryStores({
    groups: [{ id: 'acme', name: 'ACME Corp' }],
    clients: [
      { ...ADMIN, grants: ['client_credentials'], scopes: [SCOPE, 'other:admin'] },
      { ...READER, grants: ['client_credentials'], scopes: ['read'] },
      { id: 'resource-server', secret: 'resource-server-secret-0123456789', grants: ['client_credentials'], canIntrospect: true },
    ],
    users: [{ id: 'user-alice', username: 'alice', passwordHash: ALICE_HASH }],
  });
}

/** A client body with every field the API takes (a chosen id that needs percent-encoding). */
export const EVERY_FIELD = {
  id: 'wé:rd id/1',
  name: 'Everything',
  tokenEndpointAuthMethod: 'client_secret_post',
  grants: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
  scopes: ['read', 'write'],
  defaultScopes: ['read'],
  accessTokenLifetime: 300,
  refreshTokenLifetime: 86_400,
  accessTokenFormat: 'opaque',
  canIntrospect: true,
  requirePkce: true,
  firstParty: true,
  disabled: false,
  group: 'acme',
  rateLimit: { limit: 10, windowSeconds: 60 },
};

export type AdminApp = Awaited<ReturnType<typeof makeAdminApp>>;

/** The server with the admin router at /admin, and an admin token ready. */
export async function makeAdminApp(
  options: { stores?: Stores; server?: Partial<OAuthServerOptions>; router?: ClientAdminRouterOptions; mount?: string } = {},
) {
  const stores = options.stores ?? adminStores();
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, ...options.server });
  const app = express();
  app.use(oauth.router);
  const mount = options.mount ?? '/admin';
  app.use(mount, createClientAdminRouter(oauth, options.router));
  const changes: OAuthEventMap['admin.changed'][] = [];
  oauth.events.on('admin.changed', (e) => changes.push(e));
  const tokenFor = async (client: { id: string; secret: string }, scope: string) => {
    const res = await request(app).post('/oauth2/token').set('Authorization', basic(client.id, client.secret)).type('form').send({ grant_type: 'client_credentials', scope });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const token = await tokenFor(ADMIN, SCOPE);
  const api = adminClient(app, mount, token);
  return { app, oauth, stores, changes, token, tokenFor, api, mount };
}

/** Requests to the admin API with a bearer token (JSON bodies). */
export function adminClient(app: Express, mount: string, token: string) {
  const auth = (test: request.Test) => test.set('Authorization', `Bearer ${token}`);
  return {
    get: (path: string) => auth(request(app).get(mount + path)),
    delete: (path: string) => auth(request(app).delete(mount + path)),
    post: (path: string, body?: object) => (body === undefined ? auth(request(app).post(mount + path)) : auth(request(app).post(mount + path)).send(body)),
    put: (path: string, body: object) => auth(request(app).put(mount + path)).send(body),
    patch: (path: string, body: object) => auth(request(app).patch(mount + path)).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify(body)),
  };
}

/** Asserts a JSON admin response exactly: status, whole body, no caching. */
export function expectJson(res: Response, status: number, body: unknown): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
}

/** Asserts an admin API error exactly (and that the description keeps to RFC 6749's characters). */
export function expectAdminError(res: Response, status: number, error: string, description: string): void {
  expect(description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  expectJson(res, status, { error, error_description: description });
  expect(res.headers['www-authenticate']).toBeUndefined();
}

/** An RFC 6750 challenge from requireToken, exactly. */
export function expectBearerChallenge(res: Response, status: number, error: string | undefined, description: string, scope?: string): void {
  const params = [`realm="${ISSUER}"`, ...(error ? [`error="${error}"`, `error_description="${description}"`] : []), ...(scope ? [`scope="${scope}"`] : [])];
  expect({ status: res.status, body: res.body }).toEqual({ status, body: error ? { error, error_description: description } : { error_description: description } });
  expect(res.headers['www-authenticate']).toBe(`Bearer ${params.join(', ')}`);
  expect(res.headers['cache-control']).toBe('no-store');
}

/** One validator per document (compiling the document is the slow part). */
const validators = new Map<string, Ajv2020>();
function ajvFor(doc: object): Ajv2020 {
  const key = JSON.stringify(doc);
  let ajv = validators.get(key);
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi');
    validators.set(key, ajv);
  }
  return ajv;
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: Record<string, unknown> }> }> }>>; components: { responses: Record<string, unknown> } };

/**
 * Validates a response against the OpenAPI document the router serves: the operation's
 * documented response for that status, with its JSON schema (ajv, JSON Schema 2020-12, as
 * OpenAPI 3.1 uses), so an example in a test that drifts from the document fails.
 */
export async function expectDocumented(app: Express, mount: string, method: string, path: string, res: Response): Promise<void> {
  const doc = (await request(app).get(`${mount}/openapi.json`)).body as Doc;
  const operation = doc.paths[path]?.[method];
  if (!operation) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  let response = operation.responses[String(res.status)];
  if (!response) throw new Error(`${method} ${path} does not document status ${res.status}`);
  if (response.$ref) response = doc.components.responses[response.$ref.split('/').pop() as string] as typeof response;
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    expect(res.text).toBe('');
    return;
  }
  const ajv = ajvFor(doc);
  const validate = ajv.compile(typeof schema.$ref === 'string' ? { $ref: `openapi${schema.$ref}` } : schema);
  if (!validate(res.body)) throw new Error(`${method} ${path} ${res.status} does not match the document: ${ajv.errorsText(validate.errors)}`);
}
