import type { Express } from 'express';
import request, { type Response } from 'supertest';
import type { RateLimitOptions } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest } from '../helpers/authorize-fixtures';
import { Browser, formFields } from '../helpers/browser-flow';
import { ALICE, basic, CONFIDENTIAL } from '../helpers/fixtures';
import {
  ALL_OFF,
  expectRateLimited,
  expectRateLimitedPage,
  fakeClock,
  INTROSPECTOR,
  rateLimitedApp,
  seedRateLimitStores,
  sequentially,
} from '../helpers/rate-limit';

const RULE = { limit: 3, windowSeconds: 60 };
const EVERY_ENDPOINT: RateLimitOptions = { ...ALL_OFF, ip: { token: RULE, authorize: RULE, login: RULE, revoke: RULE, introspect: RULE } };
const A = '203.0.113.10';
const B = '198.51.100.20';

const token = (app: Express, ip: string, secret = CONFIDENTIAL.secret) =>
  request(app).post('/oauth2/token').set('X-Forwarded-For', ip).set('Authorization', basic(CONFIDENTIAL.id, secret)).type('form').send({ grant_type: 'client_credentials' });
const revoke = (app: Express, ip: string) =>
  request(app).post('/oauth2/revoke').set('X-Forwarded-For', ip).set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ token: 'not-a-token' });
const introspect = (app: Express, ip: string) =>
  request(app).post('/oauth2/introspect').set('X-Forwarded-For', ip).set('Authorization', basic(INTROSPECTOR.id, INTROSPECTOR.secret)).type('form').send({ token: 'not-a-token' });

const expectIssued = (res: Response) => expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
const expectRevoked = (res: Response) => expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: '' });
const expectInactive = (res: Response) => expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { active: false } });

let clock: ReturnType<typeof fakeClock>;
beforeEach(() => {
  clock = fakeClock();
});
afterEach(() => clock.restore());

describe.each([
  ['token', token, expectIssued],
  ['revoke', revoke, expectRevoked],
  ['introspect', introspect, expectInactive],
] as const)('per-IP limit at the %s endpoint (RFC 6585 section 4: 429 with Retry-After)', (endpoint, send, expectNormal) => {
  const refused = (s: number) => `Too many requests to the ${endpoint} endpoint from this address; retry in ${s} seconds`;

  it('answers requests 1..3 normally and the 4th with 429, Retry-After 60, no-store and the JSON error', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    const answers = await sequentially(3, () => send(app, A));
    for (const res of answers) expectNormal(res);
    expectRateLimited(await send(app, A), 60, refused(60));
  });

  it('counts Retry-After down with the window and lets the address back in when the window ends', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(3, () => send(app, A));
    clock.advance(45);
    expectRateLimited(await send(app, A), 15, refused(15));
    clock.advance(14);
    expectRateLimited(await send(app, A), 1, refused(1));
    clock.advance(1);
    const again = await sequentially(3, () => send(app, A));
    for (const res of again) expectNormal(res);
    expectRateLimited(await send(app, A), 60, refused(60));
  });

  it('keeps one budget per address: another address is not refused', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(4, () => send(app, A));
    expectNormal(await send(app, B));
  });

  it('emits rate_limited once per refused request, with the address, the endpoint and the limit', async () => {
    const { app, refusals } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(5, () => send(app, A));
    expect(refusals).toEqual([
      { at: new Date(Date.now()), ip: A, endpoint, limit: 'ip' },
      { at: new Date(Date.now()), ip: A, endpoint, limit: 'ip' },
    ]);
  });
});

describe('per-IP limit: where it runs and what it counts', () => {
  it('runs before client authentication: wrong secrets use up the budget, then even the right one is refused without a client lookup', async () => {
    const stores = seedRateLimitStores();
    const findById = jest.spyOn(stores.clients, 'findById');
    const { app } = rateLimitedApp(EVERY_ENDPOINT, {}, stores);
    for (const res of await sequentially(3, () => token(app, A, 'wrong-secret'))) {
      expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
    }
    expect(findById).toHaveBeenCalledTimes(3);
    expectRateLimited(await token(app, A), 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
    expect(findById).toHaveBeenCalledTimes(3);
  });

  it('runs before the body is read: an unparseable body over budget is 429, not 400', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(3, () => token(app, A));
    const res = await request(app).post('/oauth2/token').set('X-Forwarded-For', A).set('Content-Type', 'application/json').send('{not json');
    expectRateLimited(res, 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
  });

  it('keeps one budget per endpoint: a spent token budget leaves revoke and introspect open', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(4, () => token(app, A));
    expectRevoked(await revoke(app, A));
    expectInactive(await introspect(app, A));
  });

  it('counts IPv6 addresses by /56 network: two addresses of one /56 share a budget, another /56 does not', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(3, (i) => token(app, `2001:db8:0:${i + 1}::1`));
    expectRateLimited(await token(app, '2001:db8:0:ff::2'), 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
    expectIssued(await token(app, '2001:db8:0:100::1'));
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(3, () => token(app, '::ffff:203.0.113.10'));
    expectRateLimited(await token(app, A), 60, 'Too many requests to the token endpoint from this address; retry in 60 seconds');
  });

  it('turns off for one endpoint with false, the others keeping their budgets', async () => {
    const { app } = rateLimitedApp({ ...ALL_OFF, ip: { token: false, revoke: RULE } });
    for (const res of await sequentially(6, () => token(app, A))) expectIssued(res);
    await sequentially(3, () => revoke(app, A));
    expectRateLimited(await revoke(app, A), 60, 'Too many requests to the revoke endpoint from this address; retry in 60 seconds');
  });
});

describe('per-IP limit at the browser endpoints', () => {
  const authorize = (app: Express, accept?: string) => {
    const req = request(app).get('/oauth2/authorize').query(codeRequest() as Record<string, string>).set('X-Forwarded-For', A);
    return accept ? req.set('Accept', accept) : req;
  };

  it('authorize: pages 1..3 are the login page, the 4th is the 429 error page (not a redirect to the client)', async () => {
    const { app, refusals } = rateLimitedApp(EVERY_ENDPOINT);
    for (const res of await sequentially(3, () => authorize(app))) {
      expect(res.status).toBe(200);
      expect(res.text).toContain('<h1>Sign in</h1>');
    }
    expectRateLimitedPage(await authorize(app, 'text/html,application/xhtml+xml,*/*;q=0.8'), 60, 'Too many requests to the authorize endpoint from this address; retry in 60 seconds');
    expect(refusals).toEqual([{ at: expect.any(Date), ip: A, endpoint: 'authorize', limit: 'ip' }]);
  });

  it('authorize: a caller that asks for JSON gets the JSON error', async () => {
    const { app } = rateLimitedApp(EVERY_ENDPOINT);
    await sequentially(3, () => authorize(app));
    expectRateLimited(await authorize(app, 'application/json'), 60, 'Too many requests to the authorize endpoint from this address; retry in 60 seconds');
  });

  it('authorize: the resume after login and the consent form count against the same budget', async () => {
    // GET /authorize and the resume are hits 1 and 2 (the login has its own budget); the consent form is the 3rd.
    const { app } = rateLimitedApp({ ...ALL_OFF, ip: { authorize: { limit: 2, windowSeconds: 60 } } });
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const login = await browser.post('/oauth2/login', { ...formFields(page.text), username: ALICE.username, password: ALICE.password });
    expect(login.status).toBe(303);
    const consent = await browser.follow(login);
    expect(consent.status).toBe(200);
    const decision = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    expectRateLimitedPage(decision, 60, 'Too many requests to the authorize endpoint from this address; retry in 60 seconds');
  });

  it('login: posts 1..3 are answered by the login page, the 4th by the 429 page', async () => {
    const { app, refusals } = rateLimitedApp({ ...ALL_OFF, ip: { login: RULE } });
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const wrong = () => browser.post('/oauth2/login', { ...formFields(page.text), username: ALICE.username, password: 'wrong' });
    for (const res of await sequentially(3, wrong)) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('The username or password is incorrect.');
    }
    expectRateLimitedPage(await wrong(), 60, 'Too many requests to the login endpoint from this address; retry in 60 seconds');
    expect(refusals).toEqual([{ at: expect.any(Date), ip: '127.0.0.1', endpoint: 'login', limit: 'ip' }]);
  });
});
