import type { ServerResponse } from 'node:http';

type Params = Record<string, string | number | undefined>;

/**
 * Builds the redirect back to the client: parameters in the query (authorization code) or in
 * the fragment (implicit, so the token never reaches a server log), always with `iss` (RFC 9207,
 * mix-up defence). Existing query parameters of the registered URI are kept (RFC 6749 §3.1.2).
 */
export function redirectUrl(redirectUri: string, mode: 'query' | 'fragment', params: Params, issuer: string): string {
  const url = new URL(redirectUri);
  const all = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...params, iss: issuer })) {
    if (value !== undefined) all.set(key, String(value));
  }
  if (mode === 'query') {
    for (const [key, value] of all) url.searchParams.set(key, value);
  } else {
    url.hash = all.toString();
  }
  return url.href;
}

/**
 * Sends the redirect. 303, not 302: the decision arrives as a POST, and 303 is the status
 * that makes every browser follow with a GET without re-sending the form (RFC 9700 §4.12).
 */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end();
}

/** oauth2orize response modes (`modes` option of grant.code / grant.token). */
export function responseModes(issuer: string) {
  const mode = (name: 'query' | 'fragment') => (txn: { redirectURI: string }, res: ServerResponse, params: Record<string, unknown>) =>
    sendRedirect(res, redirectUrl(txn.redirectURI, name, params as Params, issuer));
  return { query: mode('query'), fragment: mode('fragment') };
}
