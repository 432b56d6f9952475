import { EventEmitter } from 'node:events';
import type { Logger } from './internal/logger';
import type { RateLimitedEndpoint, RateLimitKind } from './rate-limit/options';

/** Fields every event has. Never a secret, password, code or token: ids and facts only. */
export interface OAuthEventBase {
  /** When it happened. */
  at: Date;
  /** The client's address (`req.ip`: configure Express's `trust proxy` behind a proxy). */
  ip?: string;
  clientId?: string;
  userId?: string;
}

/** Every event the server emits on `oauth.events`, by name. */
export interface OAuthEventMap {
  /** Tokens were issued at the token endpoint or by the implicit grant. */
  'token.issued': OAuthEventBase & { clientId: string; grantType: string; scope: string[]; familyId: string; refreshToken: boolean };
  /**
   * A refresh token was exchanged for new tokens (rotation, RFC 6749 §6): emitted right after
   * the `token.issued` of the same exchange, once, only when the exchange won.
   */
  'token.refreshed': OAuthEventBase & { clientId: string; familyId: string; scope: string[] };
  /** A token was revoked at the revocation endpoint (with its whole grant family). */
  'token.revoked': OAuthEventBase & { clientId: string; familyId: string; tokenType: 'access_token' | 'refresh_token' };
  /** A used refresh token was presented again: its family was revoked (RFC 9700 §4.14). */
  'refresh_token.reused': OAuthEventBase & { clientId: string; familyId: string };
  /** A used authorization code was presented again: its tokens were revoked (RFC 6749 §4.1.2). */
  'authorization_code.replayed': OAuthEventBase & { clientId: string; familyId: string };
  /** Client authentication failed (unknown client, wrong secret, wrong method, disabled). */
  'client.authentication_failed': OAuthEventBase & { reason: string };
  /** A resource owner's credentials were refused (password grant or login page). */
  'user.authentication_failed': OAuthEventBase & { username: string; realm?: string; via: 'password_grant' | 'login_page' };
  /** The user allowed or denied a client on the consent page. */
  'consent.granted': OAuthEventBase & { clientId: string; userId: string; scope: string[] };
  'consent.denied': OAuthEventBase & { clientId: string; userId: string; scope: string[] };
  /**
   * A request was refused with 429 by a rate limit (once per refused request). `limit` says
   * which budget: the caller's IP address, the client's, its group's (`groupId`), or the failed
   * password checks of a username (`username`, `realm`; never the password).
   */
  rate_limited: OAuthEventBase & {
    endpoint: RateLimitedEndpoint;
    limit: RateLimitKind;
    groupId?: string;
    username?: string;
    realm?: string;
  };
  /**
   * The client management API changed a client or a group. `clientId`/`userId` are those of
   * the admin's access token (who did it); `targetId` is the client or group changed.
   */
  'admin.changed': OAuthEventBase & { action: AdminAction; targetId: string };
  /** A request failed with a 5xx (the cause is logged through `logger`, not carried here). */
  'server.error': OAuthEventBase & { method: string; path: string; code: string };
}

export type OAuthEventName = keyof OAuthEventMap;

/**
 * What the client management API did (the `action` of an `admin.changed` event).
 * @example `oauth.events.on('admin.changed', (e) => { if (e.action === 'client.deleted') audit.warn(e) })`
 */
export type AdminAction =
  | 'client.created'
  | 'client.updated'
  | 'client.disabled'
  | 'client.enabled'
  | 'client.secret_rotated'
  | 'client.deleted'
  | 'group.created'
  | 'group.updated'
  | 'group.disabled'
  | 'group.enabled'
  | 'group.deleted';

/**
 * The server's typed event emitter, for audit logs, alerts and metrics.
 *
 * @example
 * ```ts
 * oauth.events.on('refresh_token.reused', (e) => audit.warn('refresh token reuse', e));
 * oauth.events.on('token.issued', (e) => metrics.inc('tokens', { grant: e.grantType }));
 * ```
 */
export interface OAuthEvents {
  on<K extends OAuthEventName>(event: K, listener: (payload: OAuthEventMap[K]) => void): this;
  once<K extends OAuthEventName>(event: K, listener: (payload: OAuthEventMap[K]) => void): this;
  off<K extends OAuthEventName>(event: K, listener: (payload: OAuthEventMap[K]) => void): this;
}

/**
 * Emits an event; a listener that throws is logged and never breaks the request.
 * `listening(event)` says whether anyone listens, so a hot path can skip building the payload.
 */
export type Emit = (<K extends OAuthEventName>(event: K, payload: Omit<OAuthEventMap[K], 'at'>) => void) & {
  listening(event: OAuthEventName): boolean;
};

export function createEvents(logger: Logger): { events: OAuthEvents; emit: Emit } {
  const emitter = new EventEmitter();
  const send = <K extends OAuthEventName>(event: K, payload: Omit<OAuthEventMap[K], 'at'>): void => {
    // Most servers listen to few events: an unheard one costs no Date and no copied payload.
    if (emitter.listenerCount(event) === 0) return;
    try {
      emitter.emit(event, { at: new Date(), ...payload });
    } catch (err) {
      logger.error({ err, event }, `A listener of ${event} threw`);
    }
  };
  const emit: Emit = Object.assign(send, { listening: (event: OAuthEventName) => emitter.listenerCount(event) > 0 });
  return { events: emitter as unknown as OAuthEvents, emit };
}
