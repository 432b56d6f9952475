import bcrypt from 'bcryptjs';
import express from 'express';
import type { Response } from 'supertest';
import {
  createMemoryStores,
  createOAuthServer,
  type MemoryClientSeed,
  type OAuthEventMap,
  type OAuthServer,
  type OAuthServerOptions,
  type RateLimitOptions,
  type Stores,
} from '../../lib';
import { WEB, WEB_CB } from './authorize-fixtures';
import { ALICE, CAROL_PARTNER, CONFIDENTIAL, ISSUER, JWT_SECRET, POST_CLIENT } from './fixtures';

/** A resource server: introspects any token (RFC 7662). */
export const INTROSPECTOR = { id: 'introspector', secret: 'introspector-secret-0123456789abcdef' };

/**
 * Clients for every rate-limited endpoint: two confidential machine clients, a resource server,
 * the browser flow's web app; alice (default realm) and carol (realm partners). More clients
 * (with `rateLimit`, `group`) may be added.
 */
export function seedRateLimitStores(extraClients: MemoryClientSeed[] = []) {
  return createMemoryStores({
    clients: [
      { ...CONFIDENTIAL, grants: ['client_credentials', 'password', 'refresh_token'], scopes: ['read'], defaultScopes: ['read'] },
      { ...POST_CLIENT, tokenEndpointAuthMethod: 'client_secret_post', grants: ['client_credentials', 'password'], scopes: ['read'], defaultScopes: ['read'] },
      { ...INTROSPECTOR, grants: ['client_credentials'], canIntrospect: true },
      { ...WEB, grants: ['authorization_code'], redirectUris: [WEB_CB], scopes: ['read'], defaultScopes: ['read'] },
      ...extraClients,
    ],
    users: [
      { id: ALICE.id, username: ALICE.username, passwordHash: bcrypt.hashSync(ALICE.password, 4) },
      { id: CAROL_PARTNER.id, username: CAROL_PARTNER.username, passwordHash: bcrypt.hashSync(CAROL_PARTNER.password, 4), realm: 'partners' },
    ],
  });
}

/** Every budget off: each test turns on the one it is about. */
export const ALL_OFF: RateLimitOptions = { ip: false, client: false, username: false };

/** Asserts a 429 JSON answer exactly: status, whole body, and every header that matters. */
export function expectRateLimited(res: Response, retryAfter: number, description: string): void {
  expect(description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  expect({ status: res.status, body: res.body }).toEqual({
    status: 429,
    body: { error: 'temporarily_unavailable', error_description: description },
  });
  expect(res.headers['content-type']).toBe('application/json');
  expectRateLimitHeaders(res, retryAfter);
}

/** Asserts a 429 HTML error page: status, headers, and the message and code it shows. */
export function expectRateLimitedPage(res: Response, retryAfter: number, description: string): void {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expectRateLimitHeaders(res, retryAfter);
  expect(res.text).toContain(`<p class="eop-error" role="alert">${description}</p>`);
  expect(res.text).toContain('Error code: <code>temporarily_unavailable</code>');
  expect(res.headers.location).toBeUndefined();
}

function expectRateLimitHeaders(res: Response, retryAfter: number): void {
  expect(res.headers['retry-after']).toBe(String(retryAfter));
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(res.headers['www-authenticate']).toBeUndefined();
  // express-rate-limit's own headers stay off: several limiters would contradict each other.
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'ratelimit', 'ratelimit-policy', 'ratelimit-limit']) {
    expect(res.headers[name]).toBeUndefined();
  }
}

/**
 * Fakes only `Date` (timers, ticks and sockets stay real, so supertest works): windows open and
 * end exactly when the test says. Call `restore()` in afterEach.
 */
export function fakeClock(start = Date.UTC(2031, 0, 1, 9, 0, 0)) {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
    now: start,
  });
  return {
    advance: (seconds: number) => jest.setSystemTime(Date.now() + seconds * 1000),
    restore: () => jest.useRealTimers(),
  };
}

/** An app behind a trusted loopback proxy, so a test can speak from any address with X-Forwarded-For. */
export function rateLimitedApp(rateLimits: OAuthServerOptions['rateLimits'], overrides: Partial<OAuthServerOptions> = {}, stores: Stores = seedRateLimitStores()) {
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, rateLimits, ...overrides });
  const app = express();
  app.set('trust proxy', 'loopback');
  app.use(oauth.router);
  return { app, oauth, refusals: recordRefusals(oauth) };
}

/** The `rate_limited` events of a server, in order. */
export function recordRefusals(oauth: OAuthServer): OAuthEventMap['rate_limited'][] {
  const seen: OAuthEventMap['rate_limited'][] = [];
  oauth.events.on('rate_limited', (e) => seen.push(e));
  return seen;
}

/** `n` requests one after the other (a budget counts them in order). */
export async function sequentially(n: number, send: (i: number) => Promise<Response>): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i++) out.push(await send(i));
  return out;
}
