/**
 * express-oauth2-provider: an OAuth 2.0 authorization server to embed in an Express app.
 * The whole public surface is listed here, by name.
 *
 * @packageDocumentation
 */
export { createOAuthServer } from './server';
export { createResourceServer } from './bearer/resource-server';
export { createClientAdminRouter } from './admin/client-admin-router';
export type { ClientAdminRouterOptions } from './admin/client-admin-router';
export type { AdminErrorCode } from './admin/admin-response';
export type { ResourceServerOptions } from './bearer/resource-server';
export type { RequireTokenOptions } from './bearer/require-token';
export type { AccessTokenContext } from './bearer/access-token-context';
export type { AuthorizationServerMetadata } from './router/metadata';
export type { OAuthServer } from './server';
export type { AdminAction, OAuthEventBase, OAuthEventMap, OAuthEventName, OAuthEvents } from './events';
export type { OAuthServerOptions, SigningOptions, SecretSigningOptions, KeySigningOptions } from './options';
export type { MetricsOptions, MetricsRegistry } from './metrics/metrics-options';
export type { IpRateLimits, RateLimitedEndpoint, RateLimitKind, RateLimitOptions, RateLimitStore } from './rate-limit/options';
export type { Logger } from './internal/logger';
export type { AuthenticatedUser, AuthenticateUser } from './interaction/principal';
export type { ConsentPage, LoginPage, RenderConsentPage, RenderLoginPage } from './interaction/pages';

export { createMemoryStores, MemoryTokenStore } from './stores/memory';
export type { MemoryStores, MemoryStoresOptions, MemoryClientSeed, MemoryUserSeed } from './stores/memory';
export { validateClientGroupRecord, validateClientRecord } from './stores/validate-client';
export type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  ClientAdminStore,
  ClientAuthMethod,
  ClientGroupRecord,
  ClientListQuery,
  ClientRecord,
  ClientStore,
  ConsentRecord,
  FamilyMember,
  InteractionRecord,
  GrantType,
  ListQuery,
  RateLimitRule,
  RefreshTokenRecord,
  Stores,
  TokenStore,
  UserContext,
  UserRecord,
  UserStore,
} from './stores/types';

export { generateClientSecret, hashClientSecret, hashToken } from './tokens/secrets';
export { hashPassword } from './tokens/passwords';

export {
  AccessDeniedError,
  ConfigurationError,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  InsufficientScopeError,
  InvalidScopeError,
  InvalidTokenError,
  OAuthError,
  RateLimitedError,
  ServerError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
  UnsupportedResponseTypeError,
} from './errors';
export type { OAuthErrorCode } from './errors';
