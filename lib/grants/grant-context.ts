import type { ExchangeDoneFunction } from 'oauth2orize';
import type { Params } from '../router/read-params';
import type { Emit } from '../events';
import type { PasswordAttempt } from '../rate-limit/rate-limits';
import type { Stores } from '../stores/types';
import type { VerifyPassword } from '../tokens/passwords';
import type { IssuedTokens, TokenService } from '../tokens/token-service';

/** What every grant needs. */
export interface GrantContext {
  stores: Stores;
  tokens: TokenService;
  /** The request property the authenticated client is put under (oauth2orize's `userProperty`). */
  clientProperty: string;
  emit: Emit;
  maxPasswordAgeDays?: number;
  /** The configured realm ids; when there are any, the password grant accepts only these. */
  realmIds: ReadonlySet<string>;
  /** bcrypt checks of user passwords, off the event loop (the server's worker threads). */
  verifyPassword: VerifyPassword;
}

/** What the token route puts in `req.authInfo`, which oauth2orize hands to every exchange. */
export interface AuthInfo {
  ip?: string;
  /** Counts a password check against the username's budget; rejects (429) when it is spent. */
  checkPassword?: (username: string, realm: string | undefined) => Promise<PasswordAttempt>;
}

/**
 * Bridges an async grant to oauth2orize's `issued` callback. oauth2orize writes the RFC 6749
 * §5.1 response itself: access_token, refresh_token, then these params, then token_type.
 * `scope` is always echoed when the token has one (RFC 6749 §5.1 requires it when it differs
 * from the request; echoing it always lets clients skip the comparison).
 */
export function respond(done: ExchangeDoneFunction, work: Promise<IssuedTokens>): void {
  work.then(
    (issued) => {
      const params: Record<string, unknown> = { expires_in: issued.expiresIn };
      if (issued.scope.length > 0) params.scope = issued.scope.join(' ');
      done(null, issued.accessToken, issued.refreshToken, params);
    },
    (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
  );
}

/** The parameters oauth2orize hands to exchanges as `body` (ours, already validated). */
export type Body = Params;
