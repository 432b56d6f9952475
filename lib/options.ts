import type { JsonWebKey } from 'node:crypto';
import { ConfigurationError } from './errors';
import { type Logger, stderrLogger } from './internal/logger';
import type { RenderConsentPage, RenderLoginPage } from './interaction/pages';
import type { AuthenticateUser } from './interaction/principal';
import { resolveBrowserOptions } from './interaction/browser-options';
import { isNonEmptyString, isObject, rejectUnknownKeys, validateLifetime } from './internal/validate';
import { type MetricsOptions, type ResolvedMetricsOptions, resolveMetricsOptions } from './metrics/metrics-options';
import { type RateLimitOptions, type ResolvedRateLimits, resolveRateLimits } from './rate-limit/options';
import { defaultPasswordWorkers, QUEUE_PER_WORKER } from './tokens/bcrypt-runner';
import { limitStoreCalls } from './stores/time-limit';
import type { Stores } from './stores/types';
import { validateStores } from './stores/validate-stores';

/** HS256: one shared secret; the same secret verifies the tokens. Never published. */
export interface SecretSigningOptions {
  /** At least 32 bytes (256 bits) of secret; a string is taken as UTF-8. */
  secret: string | Buffer;
  /** The `kid` put in token headers. @defaultValue a digest-derived id that reveals nothing about the secret */
  kid?: string;
}

/**
 * JWKs (RFC 7517), several at once for rotation (docs/tokens.md): one active key signs, all
 * verify. RS256/ES256 public halves are published at `{basePath}/jwks`.
 */
export interface KeySigningOptions {
  /**
   * JWKs, each with a unique `kid`: RSA (`RS256`, at least 2048 bits) or EC P-256 (`ES256`),
   * private (can sign) or public only (verifies tokens signed before a rotation); or `oct`
   * (`HS256`, at least 32 bytes, never published). Without `alg` it is derived from the key type.
   */
  keys: JsonWebKey[];
  /** The `kid` of the key that signs new tokens. @defaultValue the first private key's `kid` */
  activeKid?: string;
}

/** How access tokens are signed. */
export type SigningOptions = SecretSigningOptions | KeySigningOptions;

/**
 * Options of `createOAuthServer()`. Validated when the server is created: an unknown key or a
 * bad value throws a `ConfigurationError` naming the option path.
 */
export interface OAuthServerOptions {
  /**
   * The issuer identifier (RFC 8414 §2): an absolute `https` URL (http is accepted for
   * development) with no query or fragment. It becomes the tokens' `iss`.
   */
  issuer: string;
  /** The client, user and token stores: your adapters, or `createMemoryStores()`. */
  stores: Stores;
  /** Access token signing key(s). */
  signing: SigningOptions;
  /**
   * Where the endpoints are mounted within the router: `{basePath}/token`, ...
   * @defaultValue `'/oauth2'`
   */
  basePath?: string;
  /** The access tokens' `aud`. @defaultValue the issuer */
  audience?: string | string[];
  /** Access token lifetime in seconds; a client's `accessTokenLifetime` overrides it. @defaultValue `3600` (1 hour) */
  accessTokenLifetime?: number;
  /** Refresh token lifetime in seconds; a client's `refreshTokenLifetime` overrides it. @defaultValue `2592000` (30 days) */
  refreshTokenLifetime?: number;
  /**
   * `'jwt'` (RFC 9068, verifiable by anyone with the JWKS) or `'opaque'` (random, checked in
   * the token store, dead the moment it is revoked); a client's `accessTokenFormat` overrides it.
   * @defaultValue `'jwt'`
   */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Where warnings and server errors go (pino-compatible). @defaultValue JSON lines on stderr */
  logger?: Logger;
  /**
   * Refuse sign-in (password grant and login page) to users whose `passwordChangedAt` is older
   * than this many days, with a clear error, until the password is changed. Users without
   * `passwordChangedAt` are not affected. @defaultValue no limit
   */
  maxPasswordAgeDays?: number;
  /**
   * The longest a store call may take, in milliseconds; a slower one answers
   * `503 temporarily_unavailable` instead of letting the request hang. @defaultValue `5000`
   */
  storeTimeoutMs?: number;
  /**
   * Worker threads that check passwords with bcrypt (password grant, login page), so the event
   * loop never runs bcrypt; started on the first check, idle ones never keep the process alive.
   * `0` checks on the main thread, which stalls every other request for up to 100 ms at a time:
   * only for platforms without worker threads. In a cluster of N processes, consider `1`.
   * @defaultValue the available parallelism minus one (for the event loop), from 1 to 8
   * @example `passwordWorkers: 2`
   */
  passwordWorkers?: number;
  /**
   * Password checks that may wait for a free worker. One more is refused at once with
   * `503 temporarily_unavailable` and `Retry-After`, so a burst (or a password-spraying attack)
   * cannot queue without bound: at cost 10 each check takes about 80 ms of one worker.
   * Unused with `passwordWorkers: 0`.
   * @defaultValue 32 per worker
   * @example `passwordQueueLimit: 100`
   */
  passwordQueueLimit?: number;

  /**
   * Rate limits per IP address, per client (and client group) and per username (failed
   * password checks): over budget is `429` with `Retry-After`. `false` turns them all off.
   * @defaultValue on, with the defaults of `RateLimitOptions` (docs/rate-limits.md)
   * @example `rateLimits: { store: () => createPostgresRateLimitStore({ pool }) }`
   */
  rateLimits?: false | RateLimitOptions;

  /** Authorization code lifetime in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes). @defaultValue `60` */
  authorizationCodeLifetime?: number;
  /** How long a pending authorization (login and consent) may take, in seconds. @defaultValue `600` */
  interactionLifetime?: number;
  /** Accept PKCE `code_challenge_method=plain` (RFC 7636 §4.2). Off: only S256. @defaultValue `false` */
  allowPlainPkce?: boolean;
  /**
   * Your own login: returns the user signed in on this request (e.g. `req.user` of your
   * passport session) as `{ id, realm? }`, or `undefined`. When it returns a user, the built-in
   * login page is skipped.
   * @example `authenticateUser: (req) => req.user ? { id: req.user.id } : undefined`
   */
  authenticateUser?: AuthenticateUser;
  /**
   * Your login page. When no user is signed in, the browser is sent there with a `return_to`
   * query parameter (a path on this server) to send it back to after login. Without it, the
   * built-in login page is used.
   */
  loginUrl?: string;
  /**
   * Realms (identity providers, user registries): offered on the built-in login page, and the
   * only realms the password grant accepts in its `realm` parameter (which may also be left
   * out, for the store's default realm). The chosen `id` is passed to the UserStore.
   * @defaultValue `[]` (any realm the password grant names goes to the UserStore as is)
   */
  realms?: { id: string; label: string }[];
  /**
   * Publish the realms at `GET {basePath}/realms` (`{ "realms": [{ "id", "label" }] }`), so
   * clients of the password grant can find the realm to send (API Connect's identity
   * providers list). Off by default: realm ids can name internal registries.
   * @defaultValue `false`
   */
  publishRealms?: boolean;
  /** Replaces the built-in login page. */
  renderLoginPage?: RenderLoginPage;
  /** Replaces the built-in consent page. */
  renderConsentPage?: RenderConsentPage;
  /** Descriptions shown next to each scope on the consent page. @defaultValue `{}` */
  scopeDescriptions?: Record<string, string>;
  /** Extra CSS for the built-in pages (override the `--eop-*` custom properties to theme them). */
  pageCss?: string;
  /**
   * Prometheus metrics, served by `oauth.metricsHandler` (needs the optional peer dependency
   * `prom-client`): `true` for the defaults, or options (docs/metrics.md).
   * @defaultValue `false` (off)
   * @example `metrics: { prefix: 'auth_', perClient: false }`
   */
  metrics?: boolean | MetricsOptions;
}

/** Options after defaults are applied and everything is validated. */
export interface ResolvedOptions {
  issuer: string;
  stores: Stores;
  signing: SigningOptions;
  basePath: string;
  audience: string | string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  accessTokenFormat: 'jwt' | 'opaque';
  logger: Logger;
  storeTimeoutMs: number;
  passwordWorkers: number;
  passwordQueueLimit: number;
  maxPasswordAgeDays?: number;
  rateLimits: ResolvedRateLimits;
  authorizationCodeLifetime: number;
  interactionLifetime: number;
  allowPlainPkce: boolean;
  authenticateUser?: AuthenticateUser;
  loginUrl?: string;
  realms: { id: string; label: string }[];
  publishRealms: boolean;
  renderLoginPage?: RenderLoginPage;
  renderConsentPage?: RenderConsentPage;
  scopeDescriptions: Record<string, string>;
  pageCss?: string;
  metrics?: ResolvedMetricsOptions;
}

const KNOWN_KEYS = [
  'issuer',
  'stores',
  'signing',
  'basePath',
  'audience',
  'accessTokenLifetime',
  'refreshTokenLifetime',
  'accessTokenFormat',
  'logger',
  'storeTimeoutMs',
  'passwordWorkers',
  'passwordQueueLimit',
  'maxPasswordAgeDays',
  'rateLimits',
  'authorizationCodeLifetime',
  'interactionLifetime',
  'allowPlainPkce',
  'authenticateUser',
  'loginUrl',
  'realms',
  'publishRealms',
  'renderLoginPage',
  'renderConsentPage',
  'scopeDescriptions',
  'pageCss',
  'metrics',
] as const;

/** Applies defaults and validates; throws `ConfigurationError` naming the first bad option. */
export function resolveOptions(options: OAuthServerOptions): ResolvedOptions {
  if (!isObject(options)) throw new ConfigurationError('options', 'must be an object');
  rejectUnknownKeys(options, KNOWN_KEYS, '');

  const issuer = validateIssuer(options.issuer);
  validateStores(options.stores);
  const basePath = validateBasePath(options.basePath ?? '/oauth2');
  const audience = options.audience ?? issuer;
  if (!(isNonEmptyString(audience) || (Array.isArray(audience) && audience.length > 0 && audience.every(isNonEmptyString)))) {
    throw new ConfigurationError('audience', 'must be a non-empty string or a non-empty array of them');
  }
  const logger = options.logger ?? stderrLogger;
  if (!isObject(logger) || typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
    throw new ConfigurationError('logger', 'must have warn(obj, msg) and error(obj, msg) methods');
  }
  const storeTimeoutMs = options.storeTimeoutMs ?? 5000;
  if (!Number.isInteger(storeTimeoutMs) || storeTimeoutMs < 1 || storeTimeoutMs > 120_000) {
    throw new ConfigurationError('storeTimeoutMs', 'must be a whole number of milliseconds from 1 to 120000');
  }
  if (options.maxPasswordAgeDays !== undefined && (!Number.isInteger(options.maxPasswordAgeDays) || options.maxPasswordAgeDays < 1)) {
    throw new ConfigurationError('maxPasswordAgeDays', 'must be a whole number of days, at least 1');
  }
  const passwordWorkers = options.passwordWorkers ?? defaultPasswordWorkers();
  if (!Number.isInteger(passwordWorkers) || passwordWorkers < 0 || passwordWorkers > 64) {
    throw new ConfigurationError('passwordWorkers', 'must be a whole number of threads from 0 to 64 (0: on the main thread)');
  }
  const passwordQueueLimit = options.passwordQueueLimit ?? QUEUE_PER_WORKER * Math.max(1, passwordWorkers);
  if (!Number.isInteger(passwordQueueLimit) || passwordQueueLimit < 0 || passwordQueueLimit > 100_000) {
    throw new ConfigurationError('passwordQueueLimit', 'must be a whole number from 0 to 100000');
  }
  return {
    issuer,
    maxPasswordAgeDays: options.maxPasswordAgeDays,
    passwordWorkers,
    passwordQueueLimit,
    stores: limitStoreCalls(options.stores, storeTimeoutMs),
    storeTimeoutMs,
    signing: options.signing,
    basePath,
    audience,
    accessTokenLifetime: validateLifetime(options.accessTokenLifetime ?? 3600, 'accessTokenLifetime'),
    refreshTokenLifetime: validateLifetime(options.refreshTokenLifetime ?? 30 * 24 * 3600, 'refreshTokenLifetime'),
    accessTokenFormat: validateFormat(options.accessTokenFormat ?? 'jwt'),
    logger,
    rateLimits: resolveRateLimits(options.rateLimits),
    ...resolveBrowserOptions(options),
    metrics: resolveMetricsOptions(options.metrics),
  };
}

function validateFormat(value: unknown): 'jwt' | 'opaque' {
  if (value !== 'jwt' && value !== 'opaque') throw new ConfigurationError('accessTokenFormat', 'must be "jwt" or "opaque"');
  return value;
}

function validateIssuer(value: unknown): string {
  if (!isNonEmptyString(value)) throw new ConfigurationError('issuer', 'is required (e.g. "https://auth.example.com")');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError('issuer', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError('issuer', 'must be an https URL (http only for development)');
  }
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    throw new ConfigurationError('issuer', 'must not have a query or fragment (RFC 8414 §2)');
  }
  // Kept exactly as configured: clients compare `iss` as a string (RFC 8414 §3.3), so
  // "https://a.example/" and "https://a.example" are different issuers.
  return value;
}

function validateBasePath(value: unknown): string {
  // Only plain path segments: no Express path syntax (`:param`, `*`, `(`) can sneak in.
  if (typeof value !== 'string' || !/^(\/[A-Za-z0-9._~-]+)*$/.test(value)) {
    throw new ConfigurationError('basePath', 'must be "" or a path like "/oauth2" (letters, digits, . _ ~ -; no trailing slash)');
  }
  return value;
}
