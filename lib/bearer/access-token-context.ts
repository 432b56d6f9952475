/** What `requireToken()` puts on `req.oauth` for the handlers behind it. */
export interface AccessTokenContext {
  /** `'jwt'` or `'opaque'`. */
  format: 'jwt' | 'opaque';
  /** The token's id: the JWT `jti`, or the SHA-256 hash of an opaque token. */
  tokenId: string;
  /** The client the token was issued to. */
  clientId: string;
  /**
   * The resource owner. Absent for client_credentials tokens (whose `sub` is the client,
   * RFC 9068 §2.2): a JWT whose `sub` equals its `client_id` is taken as such.
   */
  userId?: string;
  /** The granted scopes. */
  scopes: string[];
  /** When the token expires. */
  expiresAt: Date;
  /** The verified JWT claims (`{}` for opaque tokens). */
  claims: Record<string, unknown>;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by `requireToken()` once the bearer token is verified. */
      oauth?: AccessTokenContext;
    }
  }
}
