import Ajv2020 from 'ajv/dist/2020';
import type { Router } from 'express';
import request from 'supertest';
import { createClientAdminRouter, createOAuthServer } from '../../lib';
import { ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { adminStores, EVERY_FIELD, makeAdminApp } from './admin-helpers';

type Operation = { operationId: string; security?: unknown[]; requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, unknown> };
type Doc = { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function documentAt(mount: string, scope?: string): Promise<Doc> {
  const t = await makeAdminApp({ mount, ...(scope ? { router: { scope } } : {}) });
  const res = await request(t.app).get(`${mount}/openapi.json`);
  expect(res.status).toBe(200);
  return res.body as Doc;
}

/** The (method, path) pairs an Express router really routes, in OpenAPI's path syntax. */
function servedRoutes(router: Router): string[] {
  const routes = new Set<string>();
  for (const layer of router.stack as unknown as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) {
      // `_all` layers are the token check and the 405 answer, not operations.
      if (method !== '_all') routes.add(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return [...routes].sort();
}

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((key) => HTTP_METHODS.includes(key)).map((method) => `${method} ${path}`))
    .sort();
}

describe('the OpenAPI 3.1 document the router serves', () => {
  it('documents exactly the routes the router serves: every route is in the document, and every operation is served', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: adminStores(), signing: { secret: JWT_SECRET } });
    const served = servedRoutes(createClientAdminRouter(oauth));
    const doc = await documentAt('/admin');
    expect(served).toEqual(documentedRoutes(doc));
    expect(served).toHaveLength(15);
  });

  it('is OpenAPI 3.1 whose schemas all compile as JSON Schema 2020-12 with every $ref resolved', async () => {
    const doc = await documentAt('/admin');
    expect(doc.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi');
    for (const name of Object.keys(doc.components.schemas as object)) {
      expect(() => ajv.compile({ $ref: `openapi#/components/schemas/${name}` })).not.toThrow();
    }
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(method)) continue;
        for (const response of Object.values(operation.responses) as { $ref?: string }[]) {
          if (response.$ref) expect(doc.components.responses?.[response.$ref.replace('#/components/responses/', '')]).toBeDefined();
        }
        // Every operation but the document itself answers the token check's 401 and 403, and store failures.
        if (path !== '/openapi.json') expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '500', '503']));
      }
    }
    // Operation ids are unique (code generators name methods after them).
    const ids = Object.values(doc.paths).flatMap((item) => Object.entries(item).filter(([m]) => HTTP_METHODS.includes(m)).map(([, o]) => o.operationId));
    expect(new Set(ids).size).toBe(15);
  });

  it('names the token endpoint and the scope for tools (an OAuth 2 client-credentials scheme), and needs no token itself', async () => {
    const doc = await documentAt('/admin', 'ops:admin');
    expect(doc.components.securitySchemes).toEqual({
      oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${ISSUER}/oauth2/token`, scopes: { 'ops:admin': 'Manage clients and client groups' } } } },
    });
    expect((doc as unknown as { security: unknown }).security).toEqual([{ oauth2: ['ops:admin'] }]);
    expect(doc.paths['/openapi.json']?.get?.security).toEqual([]);
  });

  it.each([
    ['/admin', '/admin'],
    ['/internal/oauth-admin', '/internal/oauth-admin'],
    ['', '/'],
  ])('gives the mount path %j as its server URL (%s)', async (mount, url) => {
    expect((await documentAt(mount)).servers).toEqual([{ url }]);
  });

  it('its request schemas accept what the API accepts, and its Client schema forbids a secretHash', async () => {
    const doc = await documentAt('/admin');
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi');
    const valid = (schema: string, value: unknown) => ajv.validate({ $ref: `openapi#/components/schemas/${schema}` }, value);
    const full = EVERY_FIELD;
    expect(valid('ClientCreate', full)).toBe(true);
    expect(valid('Client', full)).toBe(true);
    expect(valid('ClientPatch', { name: null, scopes: ['invoices'], rateLimit: null })).toBe(true);
    expect(valid('GroupPut', { name: 'Globex', rateLimit: { limit: 600, windowSeconds: 60 } })).toBe(true);
    expect(valid('Client', { ...full, secretHash: 'sha256:x' })).toBe(false);
    expect(valid('ClientCreate', { grants: [] })).toBe(false);
    expect(valid('ClientWithSecret', { client: full })).toBe(true);
  });
});
