import express from 'express';
import { MemoryStore } from 'express-rate-limit';
import request from 'supertest';
import { ConfigurationError, createOAuthServer, type OAuthServerOptions, type RateLimitStore } from '../../lib';
import { resolveRateLimits } from '../../lib/rate-limit/options';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest } from '../helpers/authorize-fixtures';
import { Browser, formFields } from '../helpers/browser-flow';
import { ALICE, basic, CONFIDENTIAL, ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { recordingLogger } from '../postgres/pg-helpers';
import { ALL_OFF, expectRateLimited, expectRateLimitedPage, fakeClock, rateLimitedApp, seedRateLimitStores, sequentially } from '../helpers/rate-limit';

const options = (rateLimits: unknown): OAuthServerOptions =>
  ({ issuer: ISSUER, stores: seedRateLimitStores(), signing: { secret: JWT_SECRET }, rateLimits }) as OAuthServerOptions;

function configurationError(rateLimits: unknown): { path: string; message: string } {
  try {
    createOAuthServer(options(rateLimits));
  } catch (err) {
    if (err instanceof ConfigurationError) return { path: err.path, message: err.message };
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

const RULE_ERROR = 'must be { limit, windowSeconds }';
const LIMIT_ERROR = 'must be a whole number of requests, at least 1';
const WINDOW_ERROR = 'must be a whole number of seconds from 1 to 86400';

describe('rateLimits is validated at construction (ConfigurationError naming the option)', () => {
  it.each<[string, unknown, string, string]>([
    ['a string', 'on', 'rateLimits', 'must be false or an object { ip, client, username, store, onStoreError }'],
    ['true', true, 'rateLimits', 'must be false or an object { ip, client, username, store, onStoreError }'],
    ['an unknown key', { perUser: {} }, 'rateLimits.perUser', 'unknown option (known: ip, client, username, store, onStoreError)'],
    ['ip as a rule', { ip: { limit: 5, windowSeconds: 60 } }, 'rateLimits.ip.limit', 'unknown option (known: token, authorize, login, revoke, introspect)'],
    ['ip as a string', { ip: 'strict' }, 'rateLimits.ip', 'must be false or an object with any of token, authorize, login, revoke, introspect'],
    ['an unknown endpoint', { ip: { tokens: { limit: 5, windowSeconds: 60 } } }, 'rateLimits.ip.tokens', 'unknown option (known: token, authorize, login, revoke, introspect)'],
    ['a zero limit', { ip: { token: { limit: 0, windowSeconds: 60 } } }, 'rateLimits.ip.token.limit', LIMIT_ERROR],
    ['a missing window', { ip: { login: { limit: 5 } } }, 'rateLimits.ip.login.windowSeconds', WINDOW_ERROR],
    ['a window over a day', { ip: { authorize: { limit: 5, windowSeconds: 86_401 } } }, 'rateLimits.ip.authorize.windowSeconds', WINDOW_ERROR],
    ['a number as a rule', { ip: { revoke: 5 } }, 'rateLimits.ip.revoke', RULE_ERROR],
    ['true for an endpoint', { ip: { introspect: true } }, 'rateLimits.ip.introspect', RULE_ERROR],
    ['a fractional client limit', { client: { limit: 1.5, windowSeconds: 60 } }, 'rateLimits.client.limit', LIMIT_ERROR],
    ['an unknown rule key', { client: { limit: 1, windowSeconds: 60, burst: 2 } }, 'rateLimits.client.burst', 'unknown option (known: limit, windowSeconds)'],
    ['username true', { username: true }, 'rateLimits.username', RULE_ERROR],
    ['a zero username window', { username: { limit: 10, windowSeconds: 0 } }, 'rateLimits.username.windowSeconds', WINDOW_ERROR],
    ['a store object', { store: new MemoryStore() }, 'rateLimits.store', 'must be a function (name) => store, returning a new store on each call'],
    ['an unknown onStoreError', { onStoreError: 'ignore' }, 'rateLimits.onStoreError', 'must be "allow" or "refuse"'],
  ])('refuses %s', (_label, rateLimits, path, problem) => {
    expect(configurationError(rateLimits)).toEqual({ path, message: `${path}: ${problem}` });
  });

  it('refuses a store factory that hands the same store to two limiters (express-rate-limit forbids it)', () => {
    const shared = new MemoryStore();
    expect(configurationError({ store: () => shared })).toEqual({
      path: 'rateLimits.store',
      message: 'rateLimits.store: must return a new store on each call (express-rate-limit counts wrongly when limiters share one)',
    });
  });

  it('refuses a store factory that returns something without increment, decrement and resetKey', () => {
    expect(configurationError({ store: () => ({ increment: () => ({ totalHits: 1, resetTime: undefined }) }) })).toEqual({
      path: 'rateLimits.store',
      message: 'rateLimits.store: returned no store for "ip-token" (an object with increment, decrement and resetKey)',
    });
  });
});

describe('defaults (docs/rate-limits.md)', () => {
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('are 600/300/60/600/3000 requests a minute per IP at token/authorize/login/revoke/introspect, 3000 a minute per client, 10 failed passwords per 15 minutes', () => {
    expect(resolveRateLimits(undefined)).toEqual({
      ip: {
        token: { limit: 600, windowSeconds: 60 },
        authorize: { limit: 300, windowSeconds: 60 },
        login: { limit: 60, windowSeconds: 60 },
        revoke: { limit: 600, windowSeconds: 60 },
        introspect: { limit: 3000, windowSeconds: 60 },
      },
      client: { limit: 3000, windowSeconds: 60 },
      username: { limit: 10, windowSeconds: 900 },
      store: undefined,
      onStoreError: 'allow',
    });
    // Naming one endpoint keeps the defaults of the others.
    expect(resolveRateLimits({ ip: { token: { limit: 5, windowSeconds: 1 } } }).ip).toEqual({
      token: { limit: 5, windowSeconds: 1 },
      authorize: { limit: 300, windowSeconds: 60 },
      login: { limit: 60, windowSeconds: 60 },
      revoke: { limit: 600, windowSeconds: 60 },
      introspect: { limit: 3000, windowSeconds: 60 },
    });
  });

  const grant = (app: express.Express, password: string) =>
    request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'password', username: ALICE.username, password });

  it('lock a username out after 10 failed passwords, for 15 minutes; rateLimits: false does not', async () => {
    const { app } = rateLimitedApp(undefined);
    for (const res of await sequentially(10, () => grant(app, 'wrong'))) expectOAuthError(res, 400, 'invalid_grant', 'Invalid resource owner credentials');
    expectRateLimited(await grant(app, ALICE.password), 900, 'Too many failed sign-in attempts for this username; retry in 900 seconds');

    const { app: unlimited } = rateLimitedApp(false);
    for (const res of await sequentially(11, () => grant(unlimited, 'wrong'))) expectOAuthError(res, 400, 'invalid_grant', 'Invalid resource owner credentials');
    expectTokenResponse(await grant(unlimited, ALICE.password), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('refuse the 61st login post from one address within a minute; rateLimits: false does not', async () => {
    const attempts = async (app: express.Express) => {
      const browser = new Browser(app);
      const page = await browser.get('/oauth2/authorize', codeRequest());
      // A different username each time: only the address's budget is at stake.
      return sequentially(61, (i) => browser.post('/oauth2/login', { ...formFields(page.text), username: `user-${i}`, password: 'wrong' }));
    };
    const limited = await attempts(rateLimitedApp(undefined).app);
    expect(limited.slice(0, 60).map((r) => r.status)).toEqual(Array(60).fill(400));
    expectRateLimitedPage(limited[60] as request.Response, 60, 'Too many requests to the login endpoint from this address; retry in 60 seconds');
    const unlimited = await attempts(rateLimitedApp(false).app);
    expect(unlimited.map((r) => r.status)).toEqual(Array(61).fill(400));
  });
});

describe('the store factory', () => {
  /** A MemoryStore that records every key it counts. */
  const recordingFactory = () => {
    const names: string[] = [];
    const keys: string[] = [];
    const store = (name: string): RateLimitStore => {
      names.push(name);
      const memory = new MemoryStore();
      return {
        localKeys: true,
        init: (o) => memory.init(o as never),
        increment: (key) => {
          keys.push(key);
          return memory.increment(key);
        },
        decrement: (key) => memory.decrement(key),
        resetKey: (key) => memory.resetKey(key),
      };
    };
    return { names, keys, store };
  };

  it('is called once per limiter with its name; budgets with a new window get theirs on first use', async () => {
    const factory = recordingFactory();
    const stores = seedRateLimitStores([
      { id: 'ten-seconds', secret: 'ten-seconds-secret-0123456789abcdef', grants: ['client_credentials'], rateLimit: { limit: 5, windowSeconds: 10 } },
    ]);
    const { app } = rateLimitedApp({ store: factory.store }, {}, stores);
    expect(factory.names).toEqual(['ip-token', 'ip-authorize', 'ip-login', 'ip-revoke', 'ip-introspect', 'client-60s', 'username']);
    const res = await request(app).post('/oauth2/token').set('Authorization', basic('ten-seconds', 'ten-seconds-secret-0123456789abcdef')).type('form').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    expect(factory.names.slice(7)).toEqual(['client-10s']);
  });

  it('receives keys namespaced by limiter, and a hash instead of the username', async () => {
    const factory = recordingFactory();
    const { app } = rateLimitedApp({ store: factory.store });
    await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'password', username: ALICE.username, password: 'wrong' });
    expect(factory.keys).toEqual(['ip-token:127.0.0.1', `client-60s:${CONFIDENTIAL.id}`, expect.stringMatching(/^username:[A-Za-z0-9_-]{43}$/)]);
    expect(factory.keys.join()).not.toContain(ALICE.username);
  });

  it('is not called when every budget is off', () => {
    const factory = recordingFactory();
    rateLimitedApp({ ...ALL_OFF, store: factory.store });
    expect(factory.names).toEqual([]);
  });
});

describe("express-rate-limit's own checks", () => {
  it("report a misconfiguration (trust proxy: true lets anyone choose their address) through our logger, never the console", async () => {
    const logger = recordingLogger();
    const warn = jest.spyOn(console, 'warn');
    const error = jest.spyOn(console, 'error');
    const oauth = createOAuthServer({ ...options({ ...ALL_OFF, ip: { token: { limit: 5, windowSeconds: 60 } } }), logger });
    const app = express().set('trust proxy', true).use(oauth.router);
    for (let i = 0; i < 2; i++) {
      const res = await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
    }
    expect(logger.entries).toEqual([
      { level: 'error', obj: { err: expect.objectContaining({ code: 'ERR_ERL_PERMISSIVE_TRUST_PROXY' }), limiter: 'ip-token' }, msg: 'express-rate-limit' },
    ]);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    warn.mockRestore();
    error.mockRestore();
  });
});
