import type { Request, RequestHandler } from 'express';
import { outcomeLabel } from './outcome';

/** The `endpoint` label: one value per endpoint of the router, nothing else. */
export type EndpointLabel = 'token' | 'revoke' | 'introspect' | 'jwks' | 'metadata' | 'authorize' | 'login' | 'continue' | 'consent';

/** Records one finished request (the same labels go to the counter and the histogram). */
export type RecordRequest = (labels: { endpoint: EndpointLabel; grant_type: string; outcome: string }, seconds: number) => void;

/** Where the endpoints are (lower-cased paths), built by endpointRoutes(). */
export type EndpointRoutes = Map<string, Route>;

interface Route {
  endpoint: EndpointLabel;
  /** The methods the router answers there; `undefined`: all (the POST endpoints answer the rest with 405). */
  methods?: ReadonlySet<string>;
}

const GET: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const POST: ReadonlySet<string> = new Set(['POST']);

/** Where the router's endpoints are, as paths relative to where it is mounted. */
export function endpointRoutes(basePath: string, metadataPaths: string[]): EndpointRoutes {
  const routes = new Map<string, Route>();
  // Express matches route paths case-insensitively: so does the lookup (see matchRoute).
  const add = (path: string, endpoint: EndpointLabel, methods?: ReadonlySet<string>) =>
    routes.set(path.toLowerCase(), methods ? { endpoint, methods } : { endpoint });
  add(`${basePath}/token`, 'token');
  add(`${basePath}/revoke`, 'revoke');
  add(`${basePath}/introspect`, 'introspect');
  add(`${basePath}/jwks`, 'jwks', GET);
  add(`${basePath}/authorize`, 'authorize', GET);
  add(`${basePath}/login`, 'login', POST);
  add(`${basePath}/authorize/continue`, 'continue', GET);
  add(`${basePath}/authorize/decision`, 'consent', POST);
  for (const path of metadataPaths) add(path, 'metadata', GET);
  return routes;
}

/** Only the grant types this server knows become label values; whatever else a client sends is `'other'`. */
const GRANT_TYPES: ReadonlySet<string> = new Set(['authorization_code', 'client_credentials', 'password', 'refresh_token', 'implicit']);

/** The `grant_type` label: `'none'` when there is none (and on every endpoint but the token endpoint). */
export function grantTypeLabel(value: unknown): string {
  if (value === undefined) return 'none';
  return typeof value === 'string' && GRANT_TYPES.has(value) ? value : 'other';
}

/**
 * The first step of the router: for a request to one of our endpoints, starts a clock and, when
 * the response has been sent, records endpoint, grant type, outcome and latency. Every other
 * request of the host passes through with one map lookup. A request whose client went away
 * before the response was sent ('close' without 'finish') is not recorded.
 */
export function createRequestObserver(routes: EndpointRoutes, record: RecordRequest): RequestHandler {
  return (req, res, next) => {
    const route = matchRoute(routes, req);
    if (route === undefined) return next();
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // Our own body parser has put the token request's parameters on req.body by now.
      const grantType = route.endpoint === 'token' ? grantTypeLabel((req.body as Record<string, unknown> | undefined)?.grant_type) : 'none';
      record({ endpoint: route.endpoint, grant_type: grantType, outcome: outcomeLabel(req, res.statusCode) }, seconds);
    });
    next();
  };
}

function matchRoute(routes: EndpointRoutes, req: Request): Route | undefined {
  let path = req.path.toLowerCase();
  // Express routes are not strict: "/oauth2/token/" is the token endpoint too.
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const route = routes.get(path);
  if (route === undefined || (route.methods !== undefined && !route.methods.has(req.method))) return undefined;
  return route;
}
