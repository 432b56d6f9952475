import express, { type Express } from 'express';
import { ConfigurationError, createOAuthServer, type OAuthServerOptions, type RateLimitOptions } from 'express-oauth2-provider';
import { createPostgresRateLimitStore, createPostgresStores, migrate, type PostgresRateLimitStore } from 'express-oauth2-provider/postgres';
import { Pool } from 'pg';
import request from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { describeWithDatabase, schemaPool } from '../helpers/database';
import { ALICE, basic, CONFIDENTIAL, ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { ALL_OFF, expectRateLimited, seedRateLimitStores, sequentially } from '../helpers/rate-limit';
import { poolOn, recordingLogger, schemaName, waitFor } from './pg-helpers';

const SCHEMA = schemaName('rate_limit_store');
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithDatabase('PostgreSQL rate-limit store (migration 003)', () => {
  let pool: Pool;
  let other: Pool;
  /** A store initialised the way express-rate-limit does, with a window of `windowMs`. */
  const storeOn = (on: Pool, windowMs: number): PostgresRateLimitStore => {
    const store = createPostgresRateLimitStore({ pool: on });
    store.init?.({ windowMs });
    return store;
  };
  const row = async (key: string) => (await pool.query('SELECT key, hits, reset_at FROM oauth_rate_limits WHERE key = $1', [key])).rows[0];
  const dbNow = async () => (await pool.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]?.now as Date;

  beforeAll(async () => {
    pool = await schemaPool(SCHEMA);
    await migrate(pool);
    other = poolOn(SCHEMA);
  });
  afterAll(async () => {
    await Promise.all([pool.end(), other.end()]);
  });

  describe('the Store contract of express-rate-limit', () => {
    it('counts the first hit as 1 and ends its window windowMs after it, on the database clock; later hits keep that end', async () => {
      const store = storeOn(pool, MINUTE);
      const before = await dbNow();
      const first = await store.increment('first');
      const after = await dbNow();
      expect(first.totalHits).toBe(1);
      expect(first.resetTime?.getTime()).toBeGreaterThanOrEqual(before.getTime() + MINUTE);
      expect(first.resetTime?.getTime()).toBeLessThanOrEqual(after.getTime() + MINUTE);
      const second = await store.increment('first');
      expect(second).toEqual({ totalHits: 2, resetTime: first.resetTime });
      expect(await row('first')).toEqual({ key: 'first', hits: 2, reset_at: first.resetTime });
    });

    it('counts 50 parallel hits from two instances exactly: every total from 1 to 50 once, 50 in the row', async () => {
      const a = storeOn(pool, MINUTE);
      const b = storeOn(other, MINUTE);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).increment('parallel')));
      expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set(results.map((r) => r.resetTime?.getTime())).size).toBe(1);
      expect((await row('parallel')).hits).toBe(50);
    });

    it('starts a new window at 1 once the stored one has ended', async () => {
      const store = storeOn(pool, 300);
      await store.increment('renew');
      const old = await store.increment('renew');
      expect(old.totalHits).toBe(2);
      await sleep(350);
      const renewed = await store.increment('renew');
      expect(renewed.totalHits).toBe(1);
      expect(renewed.resetTime?.getTime()).toBeGreaterThan((old.resetTime as Date).getTime());
    });

    it('decrements within the window, never below 0, and never an ended window', async () => {
      const store = storeOn(pool, 300);
      await store.increment('down');
      await store.increment('down');
      await store.decrement('down');
      expect((await row('down')).hits).toBe(1);
      await store.decrement('down');
      await store.decrement('down');
      expect((await row('down')).hits).toBe(0);
      await store.increment('down');
      await sleep(350);
      await store.decrement('down');
      expect((await row('down')).hits).toBe(1);
    });

    it('get() reports a live count and nothing for an unknown or ended key; resetKey() forgets a key', async () => {
      const store = storeOn(pool, 300);
      const hit = await store.increment('seen');
      expect(await store.get?.('seen')).toEqual({ totalHits: 1, resetTime: hit.resetTime });
      expect(await store.get?.('never-seen')).toBeUndefined();
      await store.resetKey('seen');
      expect(await row('seen')).toBeUndefined();
      await store.increment('ended');
      await sleep(350);
      expect(await store.get?.('ended')).toBeUndefined();
    });

    it('refuses to count before init() gave it a window', async () => {
      await expect(createPostgresRateLimitStore({ pool }).increment('x')).rejects.toThrow('The rate-limit store was used before init() gave it a window');
    });

    it('validates its options: pool and tablePrefix', () => {
      expect(() => createPostgresRateLimitStore({} as never)).toThrow(new ConfigurationError('pool', 'must be a pg Pool (an object with query())'));
      expect(() => createPostgresRateLimitStore({ pool, tablePrefix: 'Bad-' })).toThrow(expect.objectContaining({ name: 'ConfigurationError', path: 'tablePrefix' }));
    });
  });

  describe('purging rows whose window ended', () => {
    it('purgeExpired() deletes exactly the ended rows and says how many', async () => {
      await pool.query('DELETE FROM oauth_rate_limits');
      const short = storeOn(pool, 200);
      const long = storeOn(pool, MINUTE);
      await Promise.all([short.increment('p1'), short.increment('p2'), long.increment('p3')]);
      await sleep(250);
      expect(await long.purgeExpired()).toBe(2);
      expect((await pool.query('SELECT key FROM oauth_rate_limits ORDER BY key')).rows).toEqual([{ key: 'p3' }]);
    });

    it('happens by itself on a hit, at most once per window, in the background', async () => {
      await pool.query('DELETE FROM oauth_rate_limits');
      const statements: string[] = [];
      const watched = { query: (c: { text: string; values?: unknown[] }) => (statements.push(c.text.split(' ')[0] as string), pool.query(c)) };
      const store = createPostgresRateLimitStore({ pool: watched });
      store.init?.({ windowMs: 300 });
      await store.increment('stale'); // the first hit purges (nothing yet) and starts the clock
      await store.increment('stale'); // same window: no purge
      expect(statements).toEqual(['DELETE', 'INSERT', 'INSERT']);
      await sleep(350);
      await store.increment('fresh'); // a window later: this hit purges "stale" without waiting for it
      expect(statements.slice(3)).toEqual(['DELETE', 'INSERT']);
      const keys = async () => (await pool.query('SELECT key FROM oauth_rate_limits ORDER BY key')).rows.map((r) => r.key);
      let seen = await keys();
      for (let i = 0; i < 100 && seen.length !== 1; i++) {
        await sleep(20);
        seen = await keys();
      }
      expect(seen).toEqual(['fresh']);
    });

    it('logs a failed background purge as a warning (code and message only) and still counts the hit', async () => {
      const logger = recordingLogger();
      const failingDelete = {
        query: (c: { text: string; values?: unknown[] }) =>
          c.text.startsWith('DELETE') ? Promise.reject(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })) : pool.query(c),
      };
      const store = createPostgresRateLimitStore({ pool: failingDelete, logger });
      store.init?.({ windowMs: MINUTE });
      expect((await store.increment('purge-fails')).totalHits).toBe(1);
      await waitFor(() => logger.entries.length === 1, 2000, 'the warning');
      expect(logger.entries).toEqual([
        { level: 'warn', obj: { err: { code: '57014', message: 'canceling statement due to statement timeout' } }, msg: 'Purging expired rate-limit rows failed; the next window retries' },
      ]);
    });
  });

  describe('two server instances sharing one budget through the store', () => {
    const instance = (on: Pool, rateLimits: RateLimitOptions): Express => {
      const options: OAuthServerOptions = {
        issuer: ISSUER,
        stores: seedRateLimitStores(),
        signing: { secret: JWT_SECRET },
        rateLimits: { ...rateLimits, store: () => createPostgresRateLimitStore({ pool: on }) },
      };
      return express().set('trust proxy', 'loopback').use(createOAuthServer(options).router);
    };
    const cc = (app: Express, ip: string) =>
      request(app).post('/oauth2/token').set('X-Forwarded-For', ip).set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    const grant = (app: Express, password: string) =>
      request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'password', username: ALICE.username, password });
    beforeEach(async () => {
      await pool.query('DELETE FROM oauth_rate_limits');
    });

    it('per IP: 2 requests on one instance and 1 on the other use up 3, the 4th is refused on either', async () => {
      const rules = { ...ALL_OFF, ip: { token: { limit: 3, windowSeconds: 60 } } };
      const [a, b] = [instance(pool, rules), instance(other, rules)];
      expectTokenResponse(await cc(a, '203.0.113.5'), { expires_in: 3600, scope: 'read' });
      expectTokenResponse(await cc(b, '203.0.113.5'), { expires_in: 3600, scope: 'read' });
      expectTokenResponse(await cc(a, '203.0.113.5'), { expires_in: 3600, scope: 'read' });
      expectRateLimited(await cc(b, '203.0.113.5'), 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
      expectRateLimited(await cc(a, '203.0.113.5'), 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
      expect((await pool.query('SELECT key, hits FROM oauth_rate_limits')).rows).toEqual([{ key: 'ip-token:203.0.113.5', hits: 5 }]);
    });

    it('per client: the budget is one across instances', async () => {
      const rules = { ...ALL_OFF, client: { limit: 2, windowSeconds: 60 } };
      const [a, b] = [instance(pool, rules), instance(other, rules)];
      expect((await cc(a, '203.0.113.6')).status).toBe(200);
      expect((await cc(b, '203.0.113.7')).status).toBe(200);
      expectRateLimited(await cc(a, '203.0.113.8'), 60, 'Too many requests from this client (at most 2 per 60 seconds); retry in 60 seconds');
    });

    it('per username: failures on one instance lock the username out on the other', async () => {
      const rules = { ...ALL_OFF, username: { limit: 2, windowSeconds: 900 } };
      const [a, b] = [instance(pool, rules), instance(other, rules)];
      expectOAuthError(await grant(a, 'wrong'), 400, 'invalid_grant', 'Invalid resource owner credentials');
      expectOAuthError(await grant(b, 'wrong'), 400, 'invalid_grant', 'Invalid resource owner credentials');
      expectRateLimited(await grant(a, ALICE.password), 900, 'Too many failed sign-in attempts for this username; retry in 900 seconds');
      expectRateLimited(await grant(b, ALICE.password), 900, 'Too many failed sign-in attempts for this username; retry in 900 seconds');
    });

    it('the PostgreSQL stores and the rate-limit store share one pool', async () => {
      const stores = createPostgresStores({ pool });
      await stores.clients.upsert({ id: 'pg-client', secretHash: undefined, tokenEndpointAuthMethod: 'none', grants: ['password'] });
      const oauth = createOAuthServer({
        issuer: ISSUER,
        stores,
        signing: { secret: JWT_SECRET },
        rateLimits: { ...ALL_OFF, ip: { token: { limit: 1, windowSeconds: 60 } }, store: () => createPostgresRateLimitStore({ pool }) },
      });
      const app = express().use(oauth.router);
      const send = () => request(app).post('/oauth2/token').type('form').send({ grant_type: 'password', client_id: 'pg-client', username: 'nobody', password: 'x' });
      const [first, second] = await sequentially(2, send);
      expectOAuthError(first as request.Response, 400, 'invalid_grant', 'Invalid resource owner credentials');
      expectRateLimited(second as request.Response, 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
    });
  });

  describe('when PostgreSQL cannot be reached', () => {
    const unreachable = () => new Pool({ host: '127.0.0.1', port: 1, user: 'nobody', database: 'nowhere', connectionTimeoutMillis: 500, max: 1 });
    const serve = (on: Pool, onStoreError: 'allow' | 'refuse') => {
      const logger = recordingLogger();
      const oauth = createOAuthServer({
        issuer: ISSUER,
        stores: seedRateLimitStores(),
        signing: { secret: JWT_SECRET },
        logger,
        rateLimits: { ...ALL_OFF, ip: { token: { limit: 1, windowSeconds: 60 } }, store: () => createPostgresRateLimitStore({ pool: on, logger }), onStoreError },
      });
      return { app: express().use(oauth.router), logger };
    };
    const cc = (app: Express) =>
      request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });

    it("'allow' issues tokens unlimited and logs the connection error", async () => {
      const down = unreachable();
      const { app, logger } = serve(down, 'allow');
      for (const res of await sequentially(2, () => cc(app))) expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
      const failures = logger.entries.filter((e) => e.msg === 'express-rate-limit: error from store, allowing request without rate-limiting.');
      expect(failures).toHaveLength(2);
      expect(failures[0]?.obj).toEqual({ err: expect.objectContaining({ message: expect.stringContaining('ECONNREFUSED') }), limiter: 'ip-token' });
      await down.end();
    });

    it("'refuse' answers 503 temporarily_unavailable with Retry-After 5", async () => {
      const down = unreachable();
      const { app } = serve(down, 'refuse');
      const res = await cc(app);
      expectOAuthError(res, 503, 'temporarily_unavailable', 'The server is temporarily unable to handle the request');
      expect(res.headers['retry-after']).toBe('5');
      await down.end();
    });
  });
});
