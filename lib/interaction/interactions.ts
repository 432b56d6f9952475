import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { OAuthError } from '../errors';
import type { InteractionRecord, TokenStore } from '../stores/types';
import { hashToken, randomToken } from '../tokens/secrets';
import { readCookie, setCookie } from './cookies';

/** Errors about the pending request itself: shown on our error page, never redirected. */
export class InteractionError extends OAuthError {
  constructor(description: string) {
    super('invalid_request', 400, description, { redirectable: false });
  }
}

/** The validated authorization request, before it is stored. */
export type PendingRequest = Omit<InteractionRecord, 'hash' | 'browserHash' | 'csrfToken' | 'createdAt' | 'expiresAt' | 'consumedAt'>;

const BROWSER_COOKIE = 'eop_browser';

/**
 * Pending authorization requests without sessions (docs/adr/0006-pending-authorization-without-sessions.md):
 * a record in the token store, found by the hash of a random transaction id, bound to the
 * browser by an HttpOnly cookie holding a random browser id, consumed exactly once, expiring.
 */
export class Interactions {
  constructor(
    private readonly store: TokenStore,
    private readonly options: { lifetime: number; basePath: string; secureCookies: boolean },
  ) {}

  /** Stores a new pending request for this browser; returns its transaction id. */
  async create(req: Request, res: Response, pending: PendingRequest): Promise<{ id: string; record: InteractionRecord }> {
    const id = randomToken();
    const now = Date.now();
    const record: InteractionRecord = {
      ...pending,
      hash: hashToken(id),
      browserHash: hashToken(this.browserId(req, res)),
      csrfToken: randomToken(),
      createdAt: new Date(now),
      expiresAt: new Date(now + this.options.lifetime * 1000),
    };
    await this.store.saveInteraction(record);
    return { id, record };
  }

  /**
   * Loads a pending request for this browser. Unknown, expired, decided, or started in another
   * browser: an InteractionError (the same message for all, nothing to probe).
   */
  async load(req: Request, id: unknown): Promise<InteractionRecord> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 100) {
      throw new InteractionError('The sign-in request is missing or invalid.');
    }
    const record = await this.store.findInteraction(hashToken(id));
    const browser = readCookie(req, BROWSER_COOKIE);
    if (
      !record ||
      record.consumedAt ||
      record.expiresAt.getTime() <= Date.now() ||
      browser === undefined ||
      !sameHash(hashToken(browser), record.browserHash)
    ) {
      throw new InteractionError('This sign-in request has expired or was already used. Return to the application and start again.');
    }
    return record;
  }

  /** Records who signed in. */
  async setUser(record: InteractionRecord, user: { id: string; realm?: string }): Promise<InteractionRecord> {
    const updated: InteractionRecord = { ...record, userId: user.id };
    if (user.realm !== undefined) updated.realm = user.realm;
    else delete updated.realm;
    await this.store.saveInteraction(updated);
    return updated;
  }

  /** Marks the request decided; `false` if another request got there first (a replay). */
  consume(record: InteractionRecord): Promise<boolean> {
    return this.store.consumeInteraction(record.hash, new Date());
  }

  /** Checks the anti-CSRF token a form sent back, in constant time. */
  checkCsrf(record: InteractionRecord, token: unknown): void {
    if (typeof token !== 'string' || !sameHash(hashToken(token), hashToken(record.csrfToken))) {
      throw new InteractionError('The form has expired. Return to the application and start again.');
    }
  }

  /** The browser id from the cookie, or a new one set on the response. */
  private browserId(req: Request, res: Response): string {
    const existing = readCookie(req, BROWSER_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const id = randomToken();
    setCookie(res, BROWSER_COOKIE, id, {
      // Where the host mounted the router, plus our base path: the cookie goes to our pages only.
      path: `${req.baseUrl}${this.options.basePath}` || '/',
      maxAge: 400 * 24 * 3600, // a browser identity, not a session: it authenticates nobody
      secure: this.options.secureCookies,
    });
    return id;
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
