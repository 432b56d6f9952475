import express, { type RequestHandler, type Router } from 'express';
import oauth2orize from 'oauth2orize';
import { createClientAuthenticator } from './client-auth/authenticate-client';
import { registerAuthorizationCodeGrant } from './grants/authorization-code';
import { registerClientCredentialsGrant } from './grants/client-credentials';
import type { GrantContext } from './grants/grant-context';
import { registerImplicitGrant } from './grants/implicit';
import { registerPasswordGrant } from './grants/password';
import { Interactions } from './interaction/interactions';
import { registerRefreshTokenGrant } from './grants/refresh-token';
import type { Logger } from './internal/logger';
import { registerServerInternals } from './internal/server-internals';
import { type OAuthServerOptions, resolveOptions } from './options';
import { interactionTransactionStore, mountBrowserFlow } from './router/authorize';
import { createBrowserErrorHandler } from './router/browser-errors';
import { createErrorHandler } from './router/error-handler';
import { mountTokenEndpoint } from './router/token';
import { guardRouter } from './router/path-guard';
import type { DirectRoute } from './router/direct-route';
import { createEvents, type OAuthEvents } from './events';
import { endpointRoutes } from './metrics/request-observer';
import { createServerMetrics, metricsDisabledHandler } from './metrics/server-metrics';
import { createKeySet } from './tokens/keys';
import { createAccessTokenVerifier } from './tokens/access-token-verifier';
import { createRequireToken, type RequireTokenOptions } from './bearer/require-token';
import { mountIntrospectionEndpoint } from './router/introspect';
import { type AuthorizationServerMetadata, buildMetadata, metadataPaths, mountMetadata, publicJson } from './router/metadata';
import { mountRevocationEndpoint } from './router/revoke';
import { TokenService } from './tokens/token-service';
import { createRateLimits } from './rate-limit/rate-limits';
import { createBcryptRunner } from './tokens/bcrypt-runner';
import { createPasswordVerifier } from './tokens/passwords';

/** What `createOAuthServer()` returns. */
export interface OAuthServer {
  /** Mount it with `app.use(oauth.router)`: serves `{basePath}/token`, `{basePath}/authorize`, ... */
  readonly router: Router;
  /** The issuer identifier, exactly as configured. */
  readonly issuer: string;
  /** Absolute URLs of the endpoints, for documentation pages and client configuration. */
  readonly endpoints: {
    readonly token: string;
    readonly authorization: string;
    readonly revocation: string;
    readonly introspection: string;
    readonly jwks: string;
  };
  /**
   * RFC 6750 middleware for your API: verifies the bearer token and puts what it says on
   * `req.oauth`; 401/403 with a `WWW-Authenticate: Bearer` challenge otherwise.
   * @example `app.get('/api/me', oauth.requireToken({ scope: 'profile' }), (req, res) => res.json(req.oauth))`
   */
  requireToken(options?: RequireTokenOptions): RequestHandler;
  /**
   * Audit events (typed): tokens issued and revoked, reuse and replay detected, failed client
   * and user authentication, consent, server errors. Ids and facts only, never secrets.
   * @example `oauth.events.on('refresh_token.reused', (e) => alert(e.clientId, e.ip))`
   */
  readonly events: OAuthEvents;
  /** The RFC 8414 metadata document the router serves at `/.well-known/oauth-authorization-server`. */
  readonly metadata: AuthorizationServerMetadata;
  /** Serves `metadata`, for hosts that mount the router under a path (RFC 8414 §3 wants it at the root). */
  readonly metadataHandler: RequestHandler;
  /**
   * Forgets a user's remembered consent to a client: the next authorization asks again.
   * Tokens already issued stay valid.
   * @example `await oauth.forgetConsent(user.id, 'partner-app')`
   */
  forgetConsent(userId: string, clientId: string): Promise<void>;
  /**
   * Serves the Prometheus metrics (the registry's text, with its content type) when the
   * `metrics` option is on; mount it where you like and keep it internal: it lists client
   * ids. With metrics off it answers 404 saying so.
   * @example `app.get('/metrics', oauth.metricsHandler)`
   */
  readonly metricsHandler: RequestHandler;
}

/**
 * Tokens issued over plain http can be read on the wire; http is only for a developer's own
 * machine. Warn (through the host's logger) rather than refuse, so local setups keep working.
 */
function warnIfInsecureIssuer(issuer: string, logger: Logger): void {
  const { protocol, hostname } = new URL(issuer);
  const loopback = hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
  if (protocol === 'http:' && !loopback) {
    logger.warn({ issuer }, 'The issuer is a plain http URL on a non-loopback host: tokens and secrets would travel unencrypted; use https');
  }
}

/** The request property the authenticated client is kept under while oauth2orize runs. */
const CLIENT_PROPERTY = 'oauth2ProviderClient';

/**
 * Creates an OAuth 2.0 authorization server to embed in an Express app.
 *
 * Everything is validated here: a bad option throws a `ConfigurationError` naming it, so a
 * misconfigured server fails at startup, not on the first request.
 *
 * @example
 * ```ts
 * const oauth = createOAuthServer({
 *   issuer: 'https://auth.example.com',
 *   stores: createMemoryStores({ clients: [...], users: [...] }),
 *   signing: { secret: process.env.JWT_SECRET! },
 * });
 * app.use(oauth.router); // POST /oauth2/token
 * ```
 */
export function createOAuthServer(options: OAuthServerOptions): OAuthServer {
  const config = resolveOptions(options);
  warnIfInsecureIssuer(config.issuer, config.logger);
  const { events, emit } = createEvents(config.logger);
  const keys = createKeySet(config.signing);
  const tokens = new TokenService({
    issuer: config.issuer,
    audience: config.audience,
    accessTokenLifetime: config.accessTokenLifetime,
    refreshTokenLifetime: config.refreshTokenLifetime,
    accessTokenFormat: config.accessTokenFormat,
    keys,
    emit,
    tokens: config.stores.tokens,
  });

  const interactions = new Interactions(config.stores.tokens, {
    lifetime: config.interactionLifetime,
    basePath: config.basePath,
    secureCookies: config.issuer.startsWith('https:'),
  });
  // Our own oauth2orize server per instance (never shared state between two servers), with
  // pending authorizations in our interaction records instead of express-session.
  const oauth2 = oauth2orize.createServer({ store: interactionTransactionStore(() => interactions) } as unknown as oauth2orize.ServerOptions);
  // Password checks run in worker threads, started on the first one (docs/password-hashing.md).
  const verifyPassword = createPasswordVerifier(createBcryptRunner({ workers: config.passwordWorkers, queueLimit: config.passwordQueueLimit }));
  const ctx: GrantContext = {
    stores: config.stores,
    tokens,
    clientProperty: CLIENT_PROPERTY,
    emit,
    maxPasswordAgeDays: config.maxPasswordAgeDays,
    realmIds: new Set(config.realms.map((r) => r.id)),
    verifyPassword,
  };
  registerClientCredentialsGrant(oauth2, ctx);
  registerPasswordGrant(oauth2, ctx);
  registerRefreshTokenGrant(oauth2, ctx);
  registerAuthorizationCodeGrant(oauth2, { ...ctx, issuer: config.issuer, codeLifetime: config.authorizationCodeLifetime });
  registerImplicitGrant(oauth2, { ...ctx, issuer: config.issuer });

  // The Basic challenge's realm (RFC 7617 §2): the issuer, as a quoted-string.
  const realm = config.issuer.replace(/["\\]/g, '\\$&');
  const router = express.Router();
  const metrics = config.metrics && createServerMetrics(config.metrics, {
    events,
    routes: endpointRoutes(config.basePath, metadataPaths(config.issuer)),
    logger: config.logger,
  });
  // First, so that the latency covers everything the router does.
  if (metrics) router.use(metrics.requestObserver);
  const tokenPath = `${config.basePath}/token`;
  const authenticateClient = createClientAuthenticator(config.stores.clients, realm, emit);
  const errorHandler = createErrorHandler({ logger: config.logger, realm, emit });
  const limits = createRateLimits(config.rateLimits, { logger: config.logger, emit, clients: config.stores.clients, timeoutMs: config.storeTimeoutMs });
  const token = mountTokenEndpoint(router, { path: tokenPath, oauth2, authenticateClient, clientProperty: CLIENT_PROPERTY, errorHandler, limits });
  // Every path we serve is under basePath or /.well-known/; anything else skips the router.
  // A token request for exactly the token path goes straight to its steps (after the metrics
  // observer, which is otherwise the router's first step).
  const observer = metrics?.requestObserver;
  const direct: DirectRoute = observer ? { ...token, handle: (req, res, next) => observer(req, res, () => token.handle(req, res, next)) } : token;
  guardRouter(router, [`${config.basePath}/`, '/.well-known/'], direct);
  const lookup = { tokens: config.stores.tokens, keys, issuer: config.issuer, limits };
  mountRevocationEndpoint(router, { path: `${config.basePath}/revoke`, authenticateClient, errorHandler, emit, ...lookup });
  mountIntrospectionEndpoint(router, {
    path: `${config.basePath}/introspect`,
    authenticateClient,
    errorHandler,
    audience: config.audience,
    accounts: config.stores,
    ...lookup,
  });
  // JWKS (RFC 7517 §5): public keys only; five minutes of caching keeps rotation quick.
  router.get(`${config.basePath}/jwks`, publicJson(keys.jwks(), 300));
  if (config.publishRealms) {
    // The labels people see and the ids the password grant's `realm` takes; nothing else.
    const realms = config.realms.map(({ id, label }) => ({ id, label }));
    router.get(`${config.basePath}/realms`, publicJson({ realms }, 300));
  }

  mountBrowserFlow(router, {
    basePath: config.basePath,
    stores: config.stores,
    oauth2,
    interactions,
    allowPlainPkce: config.allowPlainPkce,
    authenticateUser: config.authenticateUser,
    loginUrl: config.loginUrl,
    realms: config.realms,
    renderLoginPage: config.renderLoginPage,
    renderConsentPage: config.renderConsentPage,
    scopeDescriptions: config.scopeDescriptions,
    pageCss: config.pageCss,
    maxPasswordAgeDays: config.maxPasswordAgeDays,
    verifyPassword,
    errorHandler: createBrowserErrorHandler({ logger: config.logger, issuer: config.issuer, css: config.pageCss, emit }),
    emit,
    limits,
  });

  // Where the endpoints are when the router is mounted at the issuer's path.
  const base = config.issuer.replace(/\/$/, '') + config.basePath;
  const metadata = buildMetadata({
    issuer: config.issuer,
    base,
    allowPlainPkce: config.allowPlainPkce,
    publishesKeys: keys.jwks().keys.length > 0,
  });
  const metadataHandler = publicJson(metadata, 3600);
  mountMetadata(router, metadataHandler, config.issuer);

  const verify = createAccessTokenVerifier({
    issuer: config.issuer,
    keys: keys.byKid,
    tokens: config.stores.tokens,
    unlimitedTokens: options.stores.tokens,
    accounts: config.stores,
    serverAudience: config.audience,
  });
  const server: OAuthServer = {
    router,
    issuer: config.issuer,
    endpoints: {
      token: `${base}/token`,
      authorization: `${base}/authorize`,
      revocation: `${base}/revoke`,
      introspection: `${base}/introspect`,
      jwks: `${base}/jwks`,
    },
    requireToken: createRequireToken({ verify, issuer: config.issuer, logger: config.logger, canCheckRevocation: true, emit, observe: metrics?.observeBearer }),
    events,
    metadata,
    metadataHandler,
    forgetConsent: (userId, clientId) => config.stores.tokens.deleteConsent(userId, clientId),
    metricsHandler: metrics ? metrics.handler : metricsDisabledHandler,
  };
  // For createClientAdminRouter(oauth): the stores and events, kept off the public object.
  registerServerInternals(server, { stores: config.stores, emit, logger: config.logger });
  return server;
}
