import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest } from '../helpers/authorize-fixtures';
import { Browser, formFields } from '../helpers/browser-flow';
import { ALICE, basic, CAROL_PARTNER, CONFIDENTIAL } from '../helpers/fixtures';
import { bcryptCompares, watchBcryptTasks } from '../helpers/worker-threads';
import {
  ALL_OFF,
  expectRateLimited,
  expectRateLimitedPage,
  fakeClock,
  rateLimitedApp,
  seedRateLimitStores,
  sequentially,
} from '../helpers/rate-limit';

const THREE_FAILURES = { ...ALL_OFF, username: { limit: 3, windowSeconds: 900 } };
const LOCKED = (s: number) => `Too many failed sign-in attempts for this username; retry in ${s} seconds`;
const WRONG = 'not-the-password';

const grant = (app: Express, username: string, password: string, extra: Record<string, string> = {}) =>
  request(app)
    .post('/oauth2/token')
    .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
    .type('form')
    .send({ grant_type: 'password', username, password, ...extra });
const expectBadCredentials = (res: Response) => expectOAuthError(res, 400, 'invalid_grant', 'Invalid resource owner credentials');
const expectIssued = (res: Response) => expectTokenResponse(res, { expires_in: 3600, scope: 'read', refresh_token: true });

let clock: ReturnType<typeof fakeClock>;
beforeEach(() => {
  clock = fakeClock();
});
afterEach(() => {
  clock.restore();
  jest.restoreAllMocks();
});

describe('failed password checks per username (brute force), password grant (RFC 6749 section 4.3)', () => {
  it('refuses the 4th attempt after 3 failures with 429 and Retry-After 900, even with the right password', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    for (const res of await sequentially(3, () => grant(app, ALICE.username, WRONG))) expectBadCredentials(res);
    expectRateLimited(await grant(app, ALICE.username, ALICE.password), 900, LOCKED(900));
  });

  it('checks before bcrypt and before the user lookup: a locked-out username costs neither', async () => {
    const stores = seedRateLimitStores();
    const lookup = jest.spyOn(stores.users, 'findByUsername'); // before the server wraps the store
    const { app } = rateLimitedApp(THREE_FAILURES, {}, stores);
    const bcryptTasks = watchBcryptTasks();
    await sequentially(3, () => grant(app, ALICE.username, WRONG));
    expect(bcryptCompares(bcryptTasks)).toBe(3);
    expect(lookup).toHaveBeenCalledTimes(3);
    await sequentially(5, () => grant(app, ALICE.username, ALICE.password));
    expect(bcryptCompares(bcryptTasks)).toBe(3);
    expect(lookup).toHaveBeenCalledTimes(3);
  });

  it('does not count a correct password: fail, fail, succeed, fail are all answered, the 5th attempt is refused', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    expectBadCredentials(await grant(app, ALICE.username, WRONG));
    expectBadCredentials(await grant(app, ALICE.username, WRONG));
    expectIssued(await grant(app, ALICE.username, ALICE.password));
    expectBadCredentials(await grant(app, ALICE.username, WRONG));
    expectRateLimited(await grant(app, ALICE.username, ALICE.password), 900, LOCKED(900));
  });

  it('locks out an unknown username exactly like a known one (no enumeration)', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    for (const res of await sequentially(3, () => grant(app, 'nobody', WRONG))) expectBadCredentials(res);
    expectRateLimited(await grant(app, 'nobody', WRONG), 900, LOCKED(900));
  });

  it('keeps one budget per username and realm; case and compatibility forms share one', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    await grant(app, 'alice', WRONG);
    await grant(app, 'ALICE', WRONG);
    await grant(app, 'ａｌｉｃｅ', WRONG); // fullwidth letters: NFKC folds them to "alice"
    expectRateLimited(await grant(app, 'Alice', WRONG), 900, LOCKED(900));
    // The same name in another realm, and another name, are not locked out.
    expectBadCredentials(await grant(app, 'alice', WRONG, { realm: 'partners' }));
    expectTokenResponse(await grant(app, CAROL_PARTNER.username, CAROL_PARTNER.password, { realm: 'partners' }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
  });

  it('opens again when the window (15 minutes here) ends', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    await sequentially(3, () => grant(app, ALICE.username, WRONG));
    clock.advance(899);
    expectRateLimited(await grant(app, ALICE.username, ALICE.password), 1, LOCKED(1));
    clock.advance(1);
    expectIssued(await grant(app, ALICE.username, ALICE.password));
  });

  it('emits rate_limited once per refusal with the username and realm (never the password)', async () => {
    const { app, refusals } = rateLimitedApp(THREE_FAILURES);
    await sequentially(3, () => grant(app, 'carol', WRONG, { realm: 'partners' }));
    await grant(app, 'carol', 'carol-secret-guess', { realm: 'partners' });
    expect(refusals).toEqual([
      { at: expect.any(Date), ip: '127.0.0.1', clientId: CONFIDENTIAL.id, endpoint: 'token', limit: 'username', username: 'carol', realm: 'partners' },
    ]);
    expect(JSON.stringify(refusals)).not.toContain('carol-secret-guess');
  });
});

describe('failed password checks per username, built-in login page', () => {
  const loginPage = async (app: Express) => {
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const post = (username: string, password: string) => browser.post('/oauth2/login', { ...formFields(page.text), username, password });
    return post;
  };

  it('answers failures 1..3 with the login page and the 4th with the 429 page, without bcrypt', async () => {
    const { app, refusals } = rateLimitedApp(THREE_FAILURES);
    const post = await loginPage(app);
    for (const res of await sequentially(3, () => post(ALICE.username, WRONG))) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('The username or password is incorrect.');
    }
    const bcryptTasks = watchBcryptTasks();
    expectRateLimitedPage(await post(ALICE.username, ALICE.password), 900, LOCKED(900));
    expect(bcryptCompares(bcryptTasks)).toBe(0);
    expect(refusals).toEqual([
      { at: expect.any(Date), ip: '127.0.0.1', clientId: 'web-app', endpoint: 'login', limit: 'username', username: ALICE.username },
    ]);
  });

  it('shares the budget with the password grant', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    const post = await loginPage(app);
    await sequentially(2, () => grant(app, ALICE.username, WRONG));
    expect((await post(ALICE.username, WRONG)).status).toBe(400);
    expectRateLimitedPage(await post(ALICE.username, ALICE.password), 900, LOCKED(900));
    expectRateLimited(await grant(app, ALICE.username, ALICE.password), 900, LOCKED(900));
  });

  it('lets a correct password through without counting it', async () => {
    const { app } = rateLimitedApp(THREE_FAILURES);
    const post = await loginPage(app);
    await sequentially(2, () => post(ALICE.username, WRONG));
    expect((await post(ALICE.username, ALICE.password)).status).toBe(303);
    expectBadCredentials(await grant(app, ALICE.username, WRONG));
    expectRateLimited(await grant(app, ALICE.username, WRONG), 900, LOCKED(900));
  });
});
