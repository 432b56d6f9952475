import { ConfigurationError } from '../errors';
import { isNonEmptyString, isObject, validateLifetime } from '../internal/validate';
import type { OAuthServerOptions } from '../options';
import { isScopeToken } from '../tokens/scope';

/** Validates the options of the browser flows (authorize, login, consent) and applies their defaults. */
export function resolveBrowserOptions(options: OAuthServerOptions) {
  const codeLifetime = validateLifetime(options.authorizationCodeLifetime ?? 60, 'authorizationCodeLifetime');
  if (codeLifetime > 600) throw new ConfigurationError('authorizationCodeLifetime', 'must be at most 600 seconds (RFC 6749 §4.1.2)');
  const interactionLifetime = validateLifetime(options.interactionLifetime ?? 600, 'interactionLifetime');
  if (options.allowPlainPkce !== undefined && typeof options.allowPlainPkce !== 'boolean') {
    throw new ConfigurationError('allowPlainPkce', 'must be a boolean');
  }
  for (const hook of ['authenticateUser', 'renderLoginPage', 'renderConsentPage'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') throw new ConfigurationError(hook, 'must be a function');
  }
  if (options.loginUrl !== undefined) {
    if (!isNonEmptyString(options.loginUrl) || !(options.loginUrl.startsWith('/') || /^https?:\/\//.test(options.loginUrl))) {
      throw new ConfigurationError('loginUrl', 'must be a path ("/login") or an absolute http(s) URL');
    }
    if (options.loginUrl.startsWith('//')) throw new ConfigurationError('loginUrl', 'must not be protocol-relative');
    // Without the hook we could never see the host's login, and would send the user back forever.
    if (options.authenticateUser === undefined) {
      throw new ConfigurationError('loginUrl', 'needs authenticateUser, so the server can see who signed in on your login page');
    }
  }
  const realms = options.realms ?? [];
  if (!Array.isArray(realms)) throw new ConfigurationError('realms', 'must be an array of { id, label }');
  realms.forEach((realm, i) => {
    if (!isObject(realm) || !isNonEmptyString(realm.id) || !isNonEmptyString(realm.label)) {
      throw new ConfigurationError(`realms[${i}]`, 'must be { id: string, label: string }');
    }
  });
  if (options.publishRealms !== undefined && typeof options.publishRealms !== 'boolean') {
    throw new ConfigurationError('publishRealms', 'must be a boolean');
  }
  if (options.publishRealms && realms.length === 0) {
    throw new ConfigurationError('publishRealms', 'needs realms: there is nothing to publish');
  }
  const ids = new Set<string>();
  realms.forEach((realm, i) => {
    if (ids.has(realm.id)) throw new ConfigurationError(`realms[${i}].id`, `"${realm.id}" is listed twice`);
    ids.add(realm.id);
  });
  const scopeDescriptions = options.scopeDescriptions ?? {};
  if (!isObject(scopeDescriptions)) throw new ConfigurationError('scopeDescriptions', 'must be an object of scope -> text');
  for (const [scope, text] of Object.entries(scopeDescriptions)) {
    if (!isScopeToken(scope) || typeof text !== 'string') {
      throw new ConfigurationError(`scopeDescriptions.${scope}`, 'must map a scope token to a string');
    }
  }
  if (options.pageCss !== undefined && typeof options.pageCss !== 'string') throw new ConfigurationError('pageCss', 'must be a string');
  return {
    authorizationCodeLifetime: codeLifetime,
    interactionLifetime,
    allowPlainPkce: options.allowPlainPkce ?? false,
    authenticateUser: options.authenticateUser,
    loginUrl: options.loginUrl,
    realms,
    publishRealms: options.publishRealms ?? false,
    renderLoginPage: options.renderLoginPage,
    renderConsentPage: options.renderConsentPage,
    scopeDescriptions,
    pageCss: options.pageCss,
  };
}
