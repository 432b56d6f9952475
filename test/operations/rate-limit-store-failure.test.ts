import express from 'express';
import { MemoryStore } from 'express-rate-limit';
import request from 'supertest';
import { createOAuthServer, type OAuthEventMap, type RateLimitOptions, type RateLimitStore } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest } from '../helpers/authorize-fixtures';
import { Browser, formFields } from '../helpers/browser-flow';
import { ALICE, basic, CONFIDENTIAL, ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { ALL_OFF, seedRateLimitStores } from '../helpers/rate-limit';
import { recordingLogger } from '../postgres/pg-helpers';
import { bcryptCompares, watchBcryptTasks } from '../helpers/worker-threads';

const DOWN = new Error('connect ECONNREFUSED 127.0.0.1:6379');
const UNAVAILABLE = 'The server is temporarily unable to handle the request';
const RULE = { limit: 100, windowSeconds: 60 };

/** A store whose every call fails (a shared store that is down), or never answers. */
function brokenStore(mode: 'failing' | 'hanging'): RateLimitStore {
  const fail = () => (mode === 'failing' ? Promise.reject(DOWN) : new Promise<never>(() => undefined));
  return { increment: fail, decrement: fail, resetKey: fail };
}

function serverWith(rateLimits: RateLimitOptions, storeTimeoutMs?: number) {
  const logger = recordingLogger();
  const oauth = createOAuthServer({
    issuer: ISSUER,
    stores: seedRateLimitStores(),
    signing: { secret: JWT_SECRET },
    rateLimits,
    logger,
    ...(storeTimeoutMs ? { storeTimeoutMs } : {}),
  });
  const events: { name: string; payload: unknown }[] = [];
  for (const name of ['rate_limited', 'server.error'] as const) {
    oauth.events.on(name, (payload: OAuthEventMap[typeof name]) => events.push({ name, payload }));
  }
  return { app: express().use(oauth.router), logger, events };
}

const cc = (app: express.Express) =>
  request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
const passwordGrant = (app: express.Express) =>
  request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });

afterEach(() => jest.restoreAllMocks());

describe("onStoreError: 'allow' (the default): a failing store lets requests through, logged, never a 500", () => {
  it.each(['failing', 'hanging'] as const)('issues the token when the IP and client stores are %s, and logs each failure', async (mode) => {
    const { app, logger, events } = serverWith({ ...ALL_OFF, ip: { token: RULE }, client: RULE, store: () => brokenStore(mode) }, 100);
    expectTokenResponse(await cc(app), { expires_in: 3600, scope: 'read' });
    const cause = mode === 'failing' ? DOWN : expect.objectContaining({ message: 'store call rate-limit increment took longer than 100 ms' });
    expect(logger.entries).toEqual(
      ['ip-token', 'client-60s'].map((limiter) => ({
        level: 'error',
        obj: { err: cause, limiter },
        msg: 'express-rate-limit: error from store, allowing request without rate-limiting.',
      })),
    );
    expect(events).toEqual([]);
  });

  it('runs the password check (bcrypt) when the username store fails, and the sign-in succeeds', async () => {
    const { app, logger } = serverWith({ ...ALL_OFF, username: { limit: 3, windowSeconds: 900 }, store: () => brokenStore('failing') });
    const bcryptTasks = watchBcryptTasks();
    expectTokenResponse(await passwordGrant(app), { expires_in: 3600, scope: 'read', refresh_token: true });
    expect(bcryptCompares(bcryptTasks)).toBe(1);
    // Only the failed count is logged: a hit that was not counted is not taken back after the right password.
    expect(logger.entries).toEqual([
      { level: 'error', obj: { err: DOWN, limiter: 'username' }, msg: 'express-rate-limit: error from store, allowing request without rate-limiting.' },
    ]);
  });

  it('signs the user in when taking a correct password back from the count fails', async () => {
    const memory = new MemoryStore();
    const store: RateLimitStore = {
      localKeys: true,
      init: (o) => memory.init(o as never),
      increment: (key) => memory.increment(key),
      decrement: () => Promise.reject(DOWN),
      resetKey: (key) => memory.resetKey(key),
    };
    const { app, logger } = serverWith({ ...ALL_OFF, username: { limit: 3, windowSeconds: 900 }, store: () => store });
    expectTokenResponse(await passwordGrant(app), { expires_in: 3600, scope: 'read', refresh_token: true });
    expect(logger.entries).toEqual([{ level: 'error', obj: { err: DOWN, limiter: 'username' }, msg: 'rate-limit store failed to take back a hit' }]);
  });

  it('lets a request through when the store of a new window cannot be made', async () => {
    const stores = seedRateLimitStores([
      { id: 'own', secret: 'own-secret-0123456789abcdef', grants: ['client_credentials'], rateLimit: { limit: 1, windowSeconds: 10 } },
    ]);
    const logger = recordingLogger();
    const failing = new Error('Redis is not configured for client-10s');
    const oauth = createOAuthServer({
      issuer: ISSUER,
      stores,
      signing: { secret: JWT_SECRET },
      logger,
      rateLimits: {
        ...ALL_OFF,
        client: RULE,
        store: (name) => {
          if (name === 'client-10s') throw failing;
          return new MemoryStore();
        },
      },
    });
    const app = express().use(oauth.router);
    const own = () => request(app).post('/oauth2/token').set('Authorization', basic('own', 'own-secret-0123456789abcdef')).type('form').send({ grant_type: 'client_credentials' });
    expect((await own()).status).toBe(200);
    expect((await own()).status).toBe(200);
    expect(logger.entries[0]).toEqual({
      level: 'error',
      obj: { err: failing, limiter: 'client-10s' },
      msg: 'rate-limit store could not be made; request allowed without this limit',
    });
  });
});

describe("onStoreError: 'refuse': a failing store answers 503 temporarily_unavailable with Retry-After", () => {
  it.each(['failing', 'hanging'] as const)('refuses the token request when the IP store is %s', async (mode) => {
    const { app, logger, events } = serverWith({ ...ALL_OFF, ip: { token: RULE }, store: () => brokenStore(mode), onStoreError: 'refuse' }, 100);
    const res = await cc(app);
    expectOAuthError(res, 503, 'temporarily_unavailable', UNAVAILABLE);
    expect(res.headers['retry-after']).toBe('5');
    expect(logger.entries).toEqual([
      {
        level: 'error',
        obj: { err: mode === 'failing' ? DOWN : expect.objectContaining({ message: 'store call rate-limit increment took longer than 100 ms' }), method: 'POST', path: '/oauth2/token' },
        msg: 'POST /oauth2/token failed with temporarily_unavailable',
      },
    ]);
    expect(events).toEqual([
      { name: 'server.error', payload: { at: expect.any(Date), ip: '127.0.0.1', method: 'POST', path: '/oauth2/token', code: 'temporarily_unavailable' } },
    ]);
  });

  it('refuses the password grant before bcrypt when the username store fails', async () => {
    const { app } = serverWith({ ...ALL_OFF, username: { limit: 3, windowSeconds: 900 }, store: () => brokenStore('failing'), onStoreError: 'refuse' });
    const bcryptTasks = watchBcryptTasks();
    expectOAuthError(await passwordGrant(app), 503, 'temporarily_unavailable', UNAVAILABLE);
    expect(bcryptCompares(bcryptTasks)).toBe(0);
  });

  it('shows the 503 error page at the browser endpoints', async () => {
    const { app } = serverWith({ ...ALL_OFF, ip: { authorize: RULE }, store: () => brokenStore('failing'), onStoreError: 'refuse' });
    const res = await new Browser(app).get('/oauth2/authorize', codeRequest());
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toContain(UNAVAILABLE);
    expect(formFields(res.text)).toEqual({ transaction_id: '', csrf_token: '' });
  });
});
