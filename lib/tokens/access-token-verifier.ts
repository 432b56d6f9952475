import jwt from 'jsonwebtoken';
import { InvalidTokenError } from '../errors';
import type { AccessTokenContext } from '../bearer/access-token-context';
import { B64TOKEN } from '../bearer/b64token';
import { findAccessTokenAtOnce, NOT_AT_ONCE } from '../stores/read-at-once';
import type { AccessTokenRecord, Stores, TokenStore } from '../stores/types';
import { isGrantAllowed } from './grant-status';
import { verifyJwsSignature } from './jws';
import type { VerificationKey } from './keys';
import { hashToken } from './secrets';
import { arrayClaims, copyClaims, VerifiedTokens } from './verified-tokens';

/** Finds the key a token names; `undefined` if there is none (after a refresh, for remote sets). */
export type KeyLookup = (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>;

export interface VerifierConfig {
  issuer: string;
  keys: KeyLookup;
  /** For opaque tokens and the revocation check; a remote resource server has none. */
  tokens?: TokenStore;
  /**
   * The host's token store as given, before the store time limit wraps it: `cached` asks it for
   * a synchronous answer (lib/stores/read-at-once.ts). @defaultValue none: opaque tokens are awaited
   */
  unlimitedTokens?: TokenStore;
  /** With the revocation check, also refuse tokens of clients or users disabled since. */
  accounts?: Pick<Stores, 'clients' | 'users'>;
  /** The audience the server puts in tokens, for opaque tokens (which carry none). */
  serverAudience?: string | string[];
}

export interface VerifyOptions {
  /** The `aud` this resource requires, if any. */
  audience?: string;
  /** Also check the token store, so revoked JWTs fail at once (one store read per request). */
  checkRevocation?: boolean;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** RFC 9068 §4: "at+jwt", or its full media type. */
const AT_JWT = /^(application\/)?at\+jwt$/i;
/** Seconds of clock skew allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE = 5;

/** Verifies access tokens; `cached` is its synchronous answer for tokens seen before. */
export interface AccessTokenVerifier {
  (token: string, options?: VerifyOptions): Promise<AccessTokenContext>;
  /**
   * The answer without a promise, on the hot path of every bearer request, for a token that
   * passes every check:
   * - a JWT that passed the full check before (same key, same text), when its time, issuer and
   *   audience claims still hold, without a parse;
   * - an opaque token in b64token form whose live record the store reads synchronously (the
   *   memory store: ADR 0023), so a revoked one fails at once as before.
   * `undefined` when anything is otherwise (not seen, a revocation check asked for, a key that
   * is looked up asynchronously or was replaced, a store that answers with a promise, a check
   * that fails): then the promise of the call decides, and words any error.
   */
  cached(token: string, options: VerifyOptions): AccessTokenContext | undefined;
}

/**
 * Verifies an access token for a resource. JWTs: our key for the header's `kid`, its one
 * algorithm (so `alg: none` and HS/RS confusion fail), `typ: at+jwt`, `iss`, `aud`, `exp`,
 * `nbf`, and the RFC 9068 claims. Opaque tokens: a store lookup by hash. Every failure is an
 * InvalidTokenError that says what was wrong.
 */
export function createAccessTokenVerifier(config: VerifierConfig): AccessTokenVerifier {
  const verified = new VerifiedTokens();
  const verify = async (token: string, options: VerifyOptions = {}): Promise<AccessTokenContext> => {
    if (!JWT_SHAPE.test(token)) return verifyOpaque(config, token, options);
    const context = await verifyJwt(config, token, options.audience, verified);
    if (options.checkRevocation) {
      if (!config.tokens) throw new Error('checkRevocation needs the token store');
      const record = await config.tokens.findAccessToken(context.tokenId);
      if (!record) throw new InvalidTokenError('The access token has been revoked');
      await checkAccounts(config, record);
    }
    return context;
  };
  const cached = (token: string, options: VerifyOptions): AccessTokenContext | undefined => {
    if (options.checkRevocation) return undefined;
    if (!JWT_SHAPE.test(token)) return opaqueAtOnce(config, token, options.audience);
    const hit = verified.get(token);
    // A key set that answers with a promise (a remote JWKS) is never equal to the entry's key.
    if (hit === undefined || config.keys(hit.kid) !== hit.key || !claimsHold(hit.claims, config.issuer, options.audience)) return undefined;
    return contextOf(hit.claims, copyClaims(hit));
  };
  return Object.assign(verify, { cached });
}

async function verifyJwt(config: VerifierConfig, token: string, audience: string | undefined, verified: VerifiedTokens): Promise<AccessTokenContext> {
  // Seen before: only the claims that move with time or differ per route are checked again.
  const hit = verified.get(token);
  if (hit !== undefined) {
    if ((await config.keys(hit.kid)) !== hit.key) verified.delete(token); // the key was rotated out or replaced
    else if (claimsHold(hit.claims, config.issuer, audience)) return contextOf(hit.claims, copyClaims(hit));
  }
  const checked = await claimsOf(config, token, audience);
  if (checked.payload === undefined) return contextOf(checked.claims, checked.claims);
  const entry = { token, kid: checked.kid, key: checked.key, claims: checked.claims, payload: checked.payload, arrays: arrayClaims(checked.claims) };
  const context = contextOf(entry.claims, copyClaims(entry));
  verified.add(entry); // only once the required claims are there too
  return context;
}

/** The request's view of verified claims; `claims` is the copy the request may keep. */
function contextOf(verifiedClaims: Readonly<Record<string, unknown>>, claims: Record<string, unknown>): AccessTokenContext {
  const { sub, client_id: clientId, jti, exp, scope } = verifiedClaims;
  if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof verifiedClaims.iat !== 'number') {
    throw new InvalidTokenError('The access token lacks required claims (RFC 9068 section 2.2)');
  }
  const context: AccessTokenContext = {
    format: 'jwt',
    tokenId: jti,
    clientId,
    scopes: typeof scope === 'string' && scope.length > 0 ? scope.split(' ') : [],
    expiresAt: new Date(exp * 1000),
    claims,
  };
  if (sub !== clientId) context.userId = sub;
  return context;
}

/**
 * The full check: header, key, signature and claims. `payload` (the decoded JSON text) is
 * there when node:crypto decided (the token may be remembered); jsonwebtoken's claims have none.
 */
async function claimsOf(
  config: VerifierConfig,
  token: string,
  audience: string | undefined,
): Promise<{ claims: Record<string, unknown>; payload?: string; kid: string; key: VerificationKey }> {
  const [encodedHeader, encodedPayload, signature] = token.split('.') as [string, string, string];
  let headerText: string;
  let header: { alg?: unknown; kid?: unknown; typ?: unknown };
  try {
    headerText = Buffer.from(encodedHeader, 'base64url').toString('utf8');
    header = JSON.parse(headerText);
  } catch {
    throw new InvalidTokenError('The access token is malformed');
  }
  if (typeof header !== 'object' || header === null) throw new InvalidTokenError('The access token is malformed');
  if (typeof header.typ !== 'string' || !AT_JWT.test(header.typ)) {
    throw new InvalidTokenError('The access token is not of type at+jwt (RFC 9068)');
  }
  if (typeof header.kid !== 'string') throw new InvalidTokenError('The access token names no key (kid)');
  const kid = header.kid;
  const key = await config.keys(kid);
  if (!key) throw new InvalidTokenError('The access token was signed with an unknown key');
  // Pinned: the key decides the algorithm, never the token.
  if (header.alg !== key.alg) throw new InvalidTokenError('The access token uses the wrong algorithm for its key');
  const fast = ASCII.test(headerText) ? acceptedClaims(key, encodedHeader, encodedPayload, signature, config.issuer, audience) : undefined;
  if (!fast) return { claims: jsonwebtokenClaims(token, key, config.issuer, audience), kid, key };
  return { ...fast, kid, key };
}

async function verifyOpaque(config: VerifierConfig, token: string, options: VerifyOptions): Promise<AccessTokenContext> {
  // A remote resource server has no token store: an opaque token can only be introspected.
  if (!config.tokens) throw new InvalidTokenError('The access token is not a JWT; opaque tokens must be introspected');
  const record = await config.tokens.findAccessToken(hashToken(token));
  if (!record) throw new InvalidTokenError('The access token is invalid or has been revoked');
  if (record.expiresAt.getTime() <= Date.now()) throw new InvalidTokenError('The access token has expired');
  if (options.checkRevocation) await checkAccounts(config, record);
  if (!servesAudience(config, options.audience)) throw new InvalidTokenError('The access token is not for this audience');
  return opaqueContext(record);
}

/** `verifyOpaque`'s checks, synchronously; `undefined` where it would await or fail. */
function opaqueAtOnce(config: VerifierConfig, token: string, audience: string | undefined): AccessTokenContext | undefined {
  const store = config.unlimitedTokens;
  // extractToken refuses other forms (invalid_request) before a lookup; so must this.
  if (store === undefined || !B64TOKEN.test(token)) return undefined;
  let record: AccessTokenRecord | undefined | typeof NOT_AT_ONCE;
  try {
    record = findAccessTokenAtOnce(store, hashToken(token));
  } catch {
    return undefined; // the awaited call meets the same failure, and reports it
  }
  if (record === NOT_AT_ONCE || record === undefined || record.expiresAt.getTime() <= Date.now() || !servesAudience(config, audience)) return undefined;
  return opaqueContext(record);
}

/** Opaque tokens carry no `aud`: they are for the server's audience, if it has one. */
function servesAudience(config: VerifierConfig, audience: string | undefined): boolean {
  return audience === undefined || ([] as string[]).concat(config.serverAudience ?? []).includes(audience);
}

function opaqueContext(record: AccessTokenRecord): AccessTokenContext {
  const context: AccessTokenContext = {
    format: 'opaque',
    tokenId: record.id,
    clientId: record.clientId,
    scopes: record.scope,
    expiresAt: record.expiresAt,
    claims: {},
  };
  if (record.userId !== undefined) context.userId = record.userId;
  return context;
}

async function checkAccounts(config: VerifierConfig, record: AccessTokenRecord): Promise<void> {
  if (config.accounts && !(await isGrantAllowed(config.accounts, record))) {
    throw new InvalidTokenError('The client or user of this access token is disabled');
  }
}

const ASCII = /^[\x20-\x7e]*$/;

/**
 * The claims of a token that passes every check jsonwebtoken's `verify` makes with our options,
 * done with node:crypto directly (the hot path of every bearer request); `undefined` when any
 * check fails or anything is unusual, and then jsonwebtoken decides (and words the error).
 * So a token is accepted here only if jsonwebtoken accepts it too, with the same claims:
 * the same signature check (jws.ts), the same JSON, the same `nbf`, `exp`, `aud`, `iss` rules.
 * jws reads the header as latin1, hence the caller's "printable ASCII" condition.
 */
function acceptedClaims(
  key: VerificationKey,
  encodedHeader: string,
  encodedPayload: string,
  signature: string,
  issuer: string,
  audience: string | undefined,
): { claims: Record<string, unknown>; payload: string } | undefined {
  try {
    if (!verifyJwsSignature(key.alg, key.verifyKey, `${encodedHeader}.${encodedPayload}`, signature)) return undefined;
    const payload = Buffer.from(encodedPayload, 'base64url').toString('utf8');
    const claims = checkedClaims(payload, issuer, audience);
    return claims && { claims, payload };
  } catch {
    return undefined;
  }
}

/** The claim checks of `acceptedClaims`, on the decoded payload; `undefined` if one fails. */
function checkedClaims(payload: string, issuer: string, audience: string | undefined): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(payload);
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    return claimsHold(claims as Record<string, unknown>, issuer, audience) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** jsonwebtoken's `nbf`, `exp` (with the tolerance), `aud` and `iss` rules, now. */
function claimsHold(claims: Readonly<Record<string, unknown>>, issuer: string, audience: string | undefined): boolean {
  const { nbf, exp, aud, iss } = claims;
  const now = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && !(typeof nbf === 'number' && nbf <= now + CLOCK_TOLERANCE)) return false;
  if (exp !== undefined && !(typeof exp === 'number' && now < exp + CLOCK_TOLERANCE)) return false;
  if (audience !== undefined && !(Array.isArray(aud) ? aud : [aud]).includes(audience)) return false;
  return iss === issuer;
}

/** jsonwebtoken's verdict: the claims, or an InvalidTokenError saying what was wrong. */
function jsonwebtokenClaims(token: string, key: VerificationKey, issuer: string, audience: string | undefined): Record<string, unknown> {
  try {
    return jwt.verify(token, key.verifyKey, {
      algorithms: [key.alg],
      issuer,
      ...(audience !== undefined ? { audience } : {}),
      clockTolerance: CLOCK_TOLERANCE,
    }) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidTokenError(describeJwtError(err));
  }
}

function describeJwtError(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'The access token has expired';
  if (err instanceof jwt.NotBeforeError) return 'The access token is not valid yet';
  const message = err instanceof Error ? err.message : '';
  if (message.includes('audience')) return 'The access token is not for this audience';
  if (message.includes('issuer')) return 'The access token has the wrong issuer';
  if (message.includes('signature')) return 'The access token signature is invalid';
  return 'The access token is malformed';
}
