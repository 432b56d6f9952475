/**
 * The three store contracts a host implements over its own database (or takes from
 * `createMemoryStores()` / the PostgreSQL adapter).
 *
 * Rules that hold for every method:
 * - Every method is async. "Not found" resolves to `undefined`; a method rejects only for an
 *   infrastructure failure (database down, timeout). The library turns a rejection into a
 *   generic `server_error` response and logs the cause; nothing of it reaches the client.
 * - Records are returned as the library saved them: every field, `Date`s as `Date`s.
 * - Authorization codes and refresh tokens are only ever handed to the store as SHA-256
 *   hashes (`hash` fields, base64url). The raw values exist only in the HTTP response.
 * - The library checks expiry itself on every record it reads, whatever the store does, so a
 *   store may purge lazily.
 *
 * @module
 */

/** The grant types a client may be allowed to use (RFC 6749 §4, §6). */
export type GrantType = 'authorization_code' | 'implicit' | 'password' | 'client_credentials' | 'refresh_token';

/**
 * How a client authenticates at the token endpoint (RFC 7591 §2 `token_endpoint_auth_method`).
 * A client uses exactly the method it is registered with; any other method is `invalid_client`.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/**
 * A registered client. One record is the whole policy for that client.
 */
export interface ClientRecord {
  /** The `client_id`. Any Unicode string; compared exactly. */
  id: string;
  /** A display name, for people (logs, and the consent page once there is one). */
  name?: string;
  /**
   * The client secret's hash as produced by `hashClientSecret()` (`sha256:<base64url>`).
   * Required unless `tokenEndpointAuthMethod` is `'none'`; never the plain secret.
   */
  secretHash?: string;
  /**
   * How the client authenticates; `'none'` makes it a public client (RFC 6749 §2.1).
   * @defaultValue `'client_secret_basic'` when `secretHash` is set, otherwise `'none'`
   */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  /** The grant types this client may use. A grant not listed here is `unauthorized_client`. */
  grants: GrantType[];
  /** Redirect URIs, matched exactly (only the port of an http loopback URI may vary). */
  redirectUris?: string[];
  /** Every scope this client may be granted. A request for anything else is `invalid_scope`. */
  scopes?: string[];
  /** The scope granted when a request omits `scope` (RFC 6749 §3.3). @defaultValue `[]` */
  defaultScopes?: string[];
  /** Access token lifetime in seconds, overriding the server default. */
  accessTokenLifetime?: number;
  /** Refresh token lifetime in seconds, overriding the server default. */
  refreshTokenLifetime?: number;
  /** `'jwt'` or `'opaque'` access tokens for this client, overriding the server default. */
  accessTokenFormat?: 'jwt' | 'opaque';
  /**
   * A resource server that may introspect any token of this server (RFC 7662). Without it, a
   * client can introspect only tokens issued to itself. @defaultValue `false`
   */
  canIntrospect?: boolean;
  /**
   * Whether authorization-code requests must carry a PKCE challenge (RFC 7636).
   * Public clients always must, whatever this says.
   * @defaultValue `false` for confidential clients
   */
  requirePkce?: boolean;
  /** A first-party client skips the consent page: the user is not asked to approve it. @defaultValue `false` */
  firstParty?: boolean;
  /** A disabled client cannot authenticate, so it gets no tokens. @defaultValue `false` */
  disabled?: boolean;
  /**
   * The client group (customer group, organisation, plan) this client belongs to: disabling
   * the group disables every client in it, and the group's `rateLimit` is shared by all of
   * them. Needs `ClientStore.findGroup`.
   */
  group?: string;
  /** This client's own request budget, overriding the server's per-client default. */
  rateLimit?: RateLimitRule;
}

/**
 * A request budget: at most `limit` requests in any window of `windowSeconds` (a fixed window
 * that starts with the first request). Over budget is `429` with `Retry-After`.
 */
export interface RateLimitRule {
  /** Requests allowed per window, at least 1. */
  limit: number;
  /** The window's length in seconds, from 1 to 86400. */
  windowSeconds: number;
}

/**
 * A group of clients (the seeds' "customer group"): one switch and one budget for all of them.
 */
export interface ClientGroupRecord {
  /** The group id that `ClientRecord.group` names. */
  id: string;
  /** A display name, for people. */
  name?: string;
  /**
   * A disabled group disables every client in it: no new tokens, and their existing tokens
   * stop working wherever revocation is checked. @defaultValue `false`
   */
  disabled?: boolean;
  /** A budget shared by every client of the group together (on top of each client's own). */
  rateLimit?: RateLimitRule;
}

/** Where a user lookup happens: the realm (identity provider) the request named, if any. */
export interface UserContext {
  /**
   * The realm (identity provider, user registry) the request named, e.g. the `realm`
   * parameter of a password grant. `undefined` means the store's default realm.
   */
  realm?: string;
}

/** A resource owner. */
export interface UserRecord {
  /** Stable, unique id; becomes the access token's `sub`. */
  id: string;
  /** The login name, as the user types it. */
  username: string;
  /** A bcrypt hash (`$2a$`/`$2b$`/`$2y$`), as produced by `hashPassword()`. Absent: no password login. */
  passwordHash?: string;
  /** The realm this user belongs to, if the store has several. */
  realm?: string;
  /** A disabled user cannot get new tokens. @defaultValue `false` */
  disabled?: boolean;
  /** When the password was last changed (for password-age policies). */
  passwordChangedAt?: Date;
}

/**
 * Fields shared by every record that belongs to a grant family. A family is everything
 * that descends from one authorization: the code, every refresh token rotated from it and
 * every access token issued along the way. Revoking the family revokes all of them.
 */
export interface FamilyMember {
  /** The grant (family) id: random, assigned when the grant is first issued. */
  familyId: string;
  /** The client the grant was issued to. */
  clientId: string;
  /** The resource owner, absent for client_credentials. */
  userId?: string;
  /** The user's realm, when the grant was issued for a user of a named realm. */
  realm?: string;
  /** The granted scope. */
  scope: string[];
  /** When this record was created. */
  createdAt: Date;
  /** When this record stops being valid. */
  expiresAt: Date;
}

/** An issued access token, kept so that it can be revoked and introspected. */
export interface AccessTokenRecord extends FamilyMember {
  /** The token's id: the JWT `jti`, or the SHA-256 hash (base64url) of an opaque token. */
  id: string;
}

/** An issued refresh token. */
export interface RefreshTokenRecord extends FamilyMember {
  /** SHA-256 of the token (base64url). The raw token is never stored. */
  hash: string;
  /** Set by `consumeRefreshToken` when the token was exchanged; a consumed token never works again. */
  consumedAt?: Date;
}

/** An issued authorization code (RFC 6749 §4.1). */
export interface AuthorizationCodeRecord extends FamilyMember {
  /** SHA-256 of the code (base64url). The raw code is never stored. */
  hash: string;
  /** The redirect URI the code was issued for; the exchange must present the same one. */
  redirectUri: string;
  /** PKCE challenge (RFC 7636), if the request carried one. */
  codeChallenge?: string;
  /** PKCE method, `'S256'` (or `'plain'` where a server allows it). */
  codeChallengeMethod?: 'S256' | 'plain';
  /** Set by `consumeAuthorizationCode` on the one successful exchange. */
  consumedAt?: Date;
}

/**
 * A pending authorization request (RFC 6749 §4.1.1) between `GET /authorize` and the user's
 * decision: it survives the login and consent round trips without any session. It is found
 * by the hash of its transaction id, bound to the browser that started it, used once.
 */
export interface InteractionRecord {
  /** SHA-256 of the transaction id (base64url); the raw id travels only in the user's pages. */
  hash: string;
  /** SHA-256 of the browser-binding cookie that started the request. */
  browserHash: string;
  /** The anti-CSRF token the pages embed and the POSTs must return. */
  csrfToken: string;
  clientId: string;
  redirectUri: string;
  responseType: 'code' | 'token';
  /** The scope that will be granted if the user allows. */
  scope: string[];
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** The user, once signed in. */
  userId?: string;
  realm?: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set by `consumeInteraction` when the request was decided. */
  consumedAt?: Date;
}

/** A user's remembered consent to a client, for a set of scopes. */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  /** Every scope the user has allowed this client. */
  scope: string[];
  /** When the consent was last given or widened. */
  updatedAt: Date;
}

/**
 * Looks up registered clients. Called on every request that authenticates a client, so it
 * should be one indexed read.
 */
export interface ClientStore {
  /**
   * Called by client authentication on every token request, with the `client_id` exactly as
   * sent (after form-decoding). Resolves to the client, or `undefined` if there is none.
   */
  findById(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * Called whenever a client with a `group` is authenticated or one of its tokens is checked,
   * with that group id. Resolves to the group, or `undefined` if there is none (its clients
   * are then refused: a group that cannot be found fails closed). Needed only by stores
   * whose clients have groups.
   */
  findGroup?(groupId: string): Promise<ClientGroupRecord | undefined>;

  // The write methods below are optional: only the client management API
  // (`createClientAdminRouter()`) calls them, and it needs all of them.

  /**
   * Called by the admin API's `POST /clients` with a validated record whose secret is already
   * hashed. Persist every field. Resolves `true` when inserted, `false` (inserting nothing)
   * when the id is taken or was ever deleted: a deleted client's id is never registered
   * again, so its old tokens and consents cannot come back to life. Must be atomic: of many
   * concurrent creates of one id, exactly one resolves `true`.
   */
  createClient?(client: ClientRecord): Promise<boolean>;
  /**
   * Called by the admin API to change a client (`PATCH`, disable, enable, secret rotation)
   * with the whole new record, already validated. Replace every field: a field absent from
   * `client` must be absent afterwards. Resolves `false` (changing nothing) if there is no
   * such client.
   */
  updateClient?(client: ClientRecord): Promise<boolean>;
  /**
   * Called by the admin API's `DELETE /clients/:id`. Removes the client (its secret hash with
   * it) and remembers the id as deleted, so that `createClient` refuses it from then on.
   * Resolves `true` if a client was deleted, `false` if there was none.
   */
  deleteClient?(clientId: string): Promise<boolean>;
  /**
   * Called by the admin API's `GET /clients`: up to `limit` clients whose id sorts after
   * `after` (all when it is absent), ordered by id in byte order of its UTF-8 encoding (SQL:
   * `ORDER BY id COLLATE "C"`), so that paging is stable; only those of `group` when given.
   * Also called with `{ group, limit: 1 }` before a group is deleted, to refuse deleting a
   * group that still has clients.
   */
  listClients?(query: ClientListQuery): Promise<ClientRecord[]>;
  /** Called by the admin API's `PUT /groups/:id`, disable and enable: insert or replace the group, every field. */
  saveGroup?(group: ClientGroupRecord): Promise<void>;
  /** Called by the admin API's `GET /groups`: like `listClients`, for groups (no `group` filter). */
  listGroups?(query: ListQuery): Promise<ClientGroupRecord[]>;
  /**
   * Called by the admin API's `DELETE /groups/:id` once no client names the group. Resolves
   * `true` if a group was deleted, `false` if there was none.
   */
  deleteGroup?(groupId: string): Promise<boolean>;
}

/** A page request of the store's list methods. */
export interface ListQuery {
  /** Only records whose id sorts after this one (the last id of the previous page). */
  after?: string;
  /** At most this many records (the admin API asks for 1 to 101). */
  limit: number;
}

/** A page request of `ClientStore.listClients`. */
export interface ClientListQuery extends ListQuery {
  /** Only clients of this group. */
  group?: string;
}

/** Looks up resource owners. */
export interface UserStore {
  /**
   * Called by the password grant with the username as typed and the realm the request
   * named. Resolves to the user, or `undefined`. Whether usernames are
   * case-sensitive is the store's decision.
   */
  findByUsername(username: string, context: UserContext): Promise<UserRecord | undefined>;
  /**
   * Called when a refresh token is exchanged, to check that its user still exists and is
   * not disabled. Resolves to the user, or `undefined` if it was deleted.
   */
  findById(id: string, context: UserContext): Promise<UserRecord | undefined>;
}

/**
 * Persists codes and tokens. Two guarantees matter more than anything else here:
 * 1. `consume*` is atomic: when many callers consume the same record at once, exactly one
 *    resolves `true`. (In SQL: `UPDATE ... SET consumed_at = now() WHERE hash = $1 AND
 *    consumed_at IS NULL`, and report whether a row changed.)
 * 2. After `revokeFamily(id)` resolves, every `find*` of a member of that family, including
 *    members saved later, resolves `undefined`, and `consume*` of one resolves `false`.
 */
export interface TokenStore {
  /** Called when an access token is issued, before it is returned to the client. */
  saveAccessToken(record: AccessTokenRecord): Promise<void>;
  /**
   * Called to check that an access token is still live (revocation checks, introspection).
   * `undefined` if unknown or its family was revoked.
   */
  findAccessToken(id: string): Promise<AccessTokenRecord | undefined>;

  /** Called when a refresh token is issued, before it is returned to the client. */
  saveRefreshToken(record: RefreshTokenRecord): Promise<void>;
  /**
   * Called by the refresh_token grant with the hash of the presented token. Must return
   * consumed records too (with `consumedAt` set): that is how reuse is detected.
   * `undefined` if unknown or its family was revoked.
   */
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks the refresh token consumed. Resolves `true` for exactly one caller; `false` if it
   * was already consumed, is unknown, or its family was revoked. Must be atomic.
   */
  consumeRefreshToken(hash: string, at: Date): Promise<boolean>;

  /** Called when an authorization code is issued. */
  saveAuthorizationCode(record: AuthorizationCodeRecord): Promise<void>;
  /** Like `findRefreshToken`, for codes: consumed codes are returned with `consumedAt`. */
  findAuthorizationCode(hash: string): Promise<AuthorizationCodeRecord | undefined>;
  /** Like `consumeRefreshToken`, for codes: `true` for exactly one caller. Must be atomic. */
  consumeAuthorizationCode(hash: string, at: Date): Promise<boolean>;

  /**
   * Revokes a whole grant family: its code, refresh tokens and access tokens, including any
   * saved after this call. Called on refresh-token or code reuse and by revocation.
   * Idempotent; revoking an unknown family succeeds.
   */
  revokeFamily(familyId: string, at: Date): Promise<void>;

  /**
   * Called when an authorization request needs the user (login or consent), and again when
   * the user has signed in: insert, or replace the record with the same `hash`. A replace
   * must keep an existing `consumedAt` (a slow login finishing after the decision must not
   * make the request usable again).
   */
  saveInteraction(record: InteractionRecord): Promise<void>;
  /** Called on each step of the browser flow; consumed records are returned with `consumedAt`. */
  findInteraction(hash: string): Promise<InteractionRecord | undefined>;
  /**
   * Called when the user's decision is acted on. Resolves `true` for exactly one caller, so a
   * request cannot be decided twice. Must be atomic.
   */
  consumeInteraction(hash: string, at: Date): Promise<boolean>;

  /** Called when a user allows a client: insert or replace the consent for (userId, clientId). */
  saveConsent(record: ConsentRecord): Promise<void>;
  /** Called on each authorization request of a signed-in user, to skip consent already given. */
  findConsent(userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  /** Called by `forgetConsent()`: the user will be asked again. Deleting nothing succeeds. */
  deleteConsent(userId: string, clientId: string): Promise<void>;
}

/** The three stores a server needs. */
export interface Stores {
  clients: ClientStore;
  users: UserStore;
  tokens: TokenStore;
}

/**
 * A client store with every optional method: what the client management API
 * (`createClientAdminRouter()`) needs, and what the memory and PostgreSQL stores are.
 * @example `class MyClients implements ClientAdminStore { async findById(id) { ... } ... }`
 */
export type ClientAdminStore = ClientStore &
  Required<Pick<ClientStore, 'findGroup' | 'createClient' | 'updateClient' | 'deleteClient' | 'listClients' | 'saveGroup' | 'listGroups' | 'deleteGroup'>>;
