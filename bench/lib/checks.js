'use strict';
// What counts as a real answer. Every response of a measured run goes through one of these;
// a single failure makes the cell invalid.

const EXPECTED_ALG = { hs256: 'HS256', es256: 'ES256', opaque: undefined };

/** The decoded JOSE header of a compact JWS, or undefined if `token` is not one. */
function jwtHeader(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return header && typeof header === 'object' ? header : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a JSON body; on a non-200 status describes the error (its `error` code only). */
function parse(status, body) {
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    return { problem: status === 200 ? 'body is not JSON' : 'error' };
  }
  if (status !== 200) return { problem: typeof json?.error === 'string' ? json.error.slice(0, 40) : 'error' };
  if (!json || typeof json !== 'object') return { problem: 'body is not a JSON object' };
  return { json };
}

/** Whether an access token has the variant's form: a JWT signed with its alg, or opaque. */
function accessTokenProblem(token, variant) {
  if (typeof token !== 'string' || token.length < 16) return 'no access_token';
  const alg = EXPECTED_ALG[variant];
  const header = jwtHeader(token);
  if (alg === undefined) return header === undefined ? undefined : 'access_token is a JWT, expected opaque';
  return header?.alg === alg ? undefined : `access_token is not an ${alg} JWT`;
}

/**
 * A token response (RFC 6749 §5.1): 200, JSON, `token_type` Bearer, an access token of the
 * variant's form; with `refresh`, a refresh token different from the one presented.
 */
function tokenResponse(variant, { refresh = false } = {}) {
  return (status, body, state) => {
    const { json, problem } = parse(status, body);
    if (problem) return problem;
    const tokenProblem = accessTokenProblem(json.access_token, variant);
    if (tokenProblem) return tokenProblem;
    if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') return 'token_type is not Bearer';
    if (refresh) {
      if (typeof json.refresh_token !== 'string' || json.refresh_token.length < 16) return 'no refresh_token';
      if (json.refresh_token === state?.presented) return 'refresh_token was not rotated';
    }
    return undefined;
  };
}

/** A protected resource's answer: 200 and a JSON object. */
function resourceResponse(status, body) {
  return parse(status, body).problem;
}

module.exports = { accessTokenProblem, jwtHeader, resourceResponse, tokenResponse };
