import type { RequestHandler, Router } from 'express';

/** The RFC 8414 authorization server metadata document. */
export type AuthorizationServerMetadata = Record<string, unknown>;

/**
 * Builds the metadata once: exactly what this server supports, nothing aspirational
 * (RFC 8414 §2). `jwks_uri` only when there are public keys to publish (HS256 has none).
 */
export function buildMetadata(o: { issuer: string; base: string; allowPlainPkce: boolean; publishesKeys: boolean }): AuthorizationServerMetadata {
  const clientAuth = ['client_secret_basic', 'client_secret_post', 'none'];
  return {
    issuer: o.issuer,
    authorization_endpoint: `${o.base}/authorize`,
    token_endpoint: `${o.base}/token`,
    ...(o.publishesKeys ? { jwks_uri: `${o.base}/jwks` } : {}),
    revocation_endpoint: `${o.base}/revoke`,
    introspection_endpoint: `${o.base}/introspect`,
    response_types_supported: ['code', 'token'],
    response_modes_supported: ['query', 'fragment'],
    grant_types_supported: ['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: clientAuth,
    revocation_endpoint_auth_methods_supported: clientAuth,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: o.allowPlainPkce ? ['S256', 'plain'] : ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
}

/** Serves a public JSON document: cacheable, readable cross-origin (SPAs discover with it). */
export function publicJson(document: unknown, maxAge: number): RequestHandler {
  const body = JSON.stringify(document);
  return (_req, res) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', `public, max-age=${maxAge}`);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end(body);
  };
}

/**
 * RFC 8414 §3: `/.well-known/oauth-authorization-server` with the issuer's path appended
 * (for an issuer with a path), and at the root for the common case.
 */
export function mountMetadata(router: Router, handler: RequestHandler, issuer: string): void {
  for (const path of metadataPaths(issuer)) router.get(path, handler);
}

/** The paths `mountMetadata` serves the document at. */
export function metadataPaths(issuer: string): string[] {
  const path = new URL(issuer).pathname.replace(/\/$/, '');
  return path ? ['/.well-known/oauth-authorization-server', `/.well-known/oauth-authorization-server${path}`] : ['/.well-known/oauth-authorization-server'];
}
