import express, { type Router } from 'express';
import { ConfigurationError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import { serverInternals } from '../internal/server-internals';
import { isObject, rejectUnknownKeys } from '../internal/validate';
import { methodNotAllowed } from '../router/method-not-allowed';
import type { OAuthServer } from '../server';
import type { ClientAdminStore } from '../stores/types';
import { isScopeToken } from '../tokens/scope';
import type { AdminContext, RouteTable } from './admin-context';
import { createAdminErrorHandler, sendJson } from './admin-response';
import { clientRoutes } from './client-routes';
import { groupRoutes } from './group-routes';
import { adminOpenApiDocument } from './openapi';

/**
 * Options of `createClientAdminRouter()`.
 * @example `createClientAdminRouter(oauth, { scope: 'ops:clients' })`
 */
export interface ClientAdminRouterOptions {
  /**
   * The scope an access token needs to use the API. Give it only to your administrators'
   * clients (e.g. a client_credentials client of your back office).
   * @defaultValue `'clients:admin'`
   */
  scope?: string;
}

/** The store methods the API calls; `createClientAdminRouter` checks they are all there. */
const STORE_METHODS = ['findGroup', 'createClient', 'updateClient', 'deleteClient', 'listClients', 'saveGroup', 'listGroups', 'deleteGroup'] as const;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The client management API: an Express router with JSON endpoints to register clients (the
 * secret is shown once), list, read, change, disable, enable and delete them, rotate their
 * secrets, and manage client groups; described by an OpenAPI 3.1 document at
 * `GET /openapi.json`. Mount it wherever you like (docs/admin-api.md).
 *
 * Every endpoint but the document needs an access token of this server with `scope`, checked
 * by `oauth.requireToken({ scope, checkRevocation: true })`: a revoked admin token stops at
 * once. The server's client store must have the optional write methods (the memory and
 * PostgreSQL stores do). Changes are announced as `admin.changed` events, secrets never.
 *
 * @throws ConfigurationError when `oauth` is not from `createOAuthServer()`, an option is
 * wrong, or the client store lacks a method the API needs.
 * @example
 * ```ts
 * const oauth = createOAuthServer({ issuer, signing, stores: createPostgresStores({ pool }) });
 * app.use(oauth.router);
 * app.use('/admin', createClientAdminRouter(oauth, { scope: 'clients:admin' }));
 * // POST /admin/clients {"name":"Billing","grants":["client_credentials"],"scopes":["invoices"]}
 * // -> 201 {"client":{"id":"...","name":"Billing",...},"client_secret":"..."}
 * ```
 */
export function createClientAdminRouter(oauth: OAuthServer, options: ClientAdminRouterOptions = {}): Router {
  const internals = serverInternals(oauth);
  if (!internals) throw new ConfigurationError('oauth', 'must be a server made by createOAuthServer()');
  if (!isObject(options)) throw new ConfigurationError('createClientAdminRouter', 'options must be an object');
  rejectUnknownKeys(options, ['scope'], 'createClientAdminRouter.');
  const scope = options.scope ?? 'clients:admin';
  if (!isScopeToken(scope)) throw new ConfigurationError('createClientAdminRouter.scope', 'must be a scope token (RFC 6749 §3.3)');
  const clients = internals.stores.clients;
  for (const method of STORE_METHODS) {
    if (typeof clients[method] !== 'function') {
      throw new ConfigurationError(
        `stores.clients.${method}`,
        'must be a function: the client management API needs the optional store methods (the memory and PostgreSQL stores have them)',
      );
    }
  }

  const ctx: AdminContext = {
    clients: clients as ClientAdminStore,
    audit: (req, action, targetId) =>
      internals.emit('admin.changed', { ip: req.ip, clientId: req.oauth?.clientId, userId: req.oauth?.userId, action, targetId }),
  };
  const router = express.Router();
  const auth = oauth.requireToken({ scope, checkRevocation: true });

  // The document is public, like the package's docs: it says what the API is, nothing of its data.
  router.get('/openapi.json', (req, res) => {
    sendJson(res, 200, adminOpenApiDocument({ scope, tokenUrl: oauth.endpoints.token, serverUrl: req.baseUrl || '/' }));
  });
  router.all('/openapi.json', methodNotAllowed('/openapi.json accepts GET only', 'GET, HEAD'));

  const routes: RouteTable = { ...clientRoutes(ctx), ...groupRoutes(ctx) };
  for (const [path, handlers] of Object.entries(routes)) {
    // Per path, not router.use(): mounted at the root, the router must not guard the host's own routes.
    router.all(path, auth);
    const allowed: string[] = [];
    for (const method of METHODS) {
      const handler = handlers[method];
      if (!handler) continue;
      router[method](path, asyncHandler(handler));
      allowed.push(method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []));
    }
    router.all(path, methodNotAllowed(`This endpoint accepts ${allowed.join(', ')}`, allowed.join(', ')));
  }
  router.use(createAdminErrorHandler(internals.logger, internals.emit));
  return router;
}
