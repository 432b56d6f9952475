import type { Request } from 'express';
import type { Response } from 'supertest';
import type { AuthenticatedUser } from '../../lib';
import { Browser, formFields, redirectParams } from '../helpers/browser-flow';
import { codeRequest, makeBrowserApp, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { ISSUER } from '../helpers/fixtures';

const ALICE = { username: 'alice', password: 'alice-password' };

/** Runs the built-in login for a fresh browser; returns the response to the login POST. */
async function signIn(browser: Browser, query = codeRequest(), credentials: Record<string, string> = ALICE) {
  const page = await browser.get('/oauth2/authorize', query);
  expect(page.status).toBe(200);
  return { page, res: await browser.post('/oauth2/login', { ...formFields(page.text), ...credentials }) };
}

/** Login, then the continue step; returns the consent page (or the redirect if consent was skipped). */
async function signInAndContinue(browser: Browser, query = codeRequest()) {
  const { res } = await signIn(browser, query);
  expect(res.status).toBe(303);
  return browser.follow(res);
}

function expectCode(res: Response, base = WEB_CB, state: string | undefined = 'state-123') {
  expect(res.status).toBe(303);
  const { params } = redirectParams(res);
  expect(redirectParams(res)).toEqual({
    base,
    params: { code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), ...(state ? { state } : {}), iss: ISSUER },
  });
  return params.code as string;
}

function expectPage(res: Response, status: number, text: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.text).toContain(text);
}

describe('the built-in login page', () => {
  it('is hardened: CSP with nonce, no framing, no caching, no referrer, and a locked-down cookie', async () => {
    const res = await new Browser(makeBrowserApp().app).get('/oauth2/authorize', codeRequest());
    expect(res.status).toBe(200);
    const nonce = /<style nonce="([^"]+)">/.exec(res.text)?.[1];
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self' https://client.example; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toEqual([
      expect.stringMatching(/^eop_browser=[A-Za-z0-9_-]{43}; Path=\/oauth2; Max-Age=34560000; HttpOnly; SameSite=Lax; Secure$/),
    ]);
  });

  it('omits Secure from the cookie on an http issuer', async () => {
    const res = await new Browser(makeBrowserApp({ issuer: 'http://localhost:3000' }).app).get('/oauth2/authorize', codeRequest());
    expect(res.headers['set-cookie']?.[0]).toMatch(/; HttpOnly; SameSite=Lax$/);
  });

  it('labels its fields and escapes the client name', async () => {
    const res = await new Browser(makeBrowserApp().app).get('/oauth2/authorize', codeRequest());
    expect(res.text).toContain('<p>to continue to <strong>Web &#60;App&#62; &#38; &#34;Co&#34;</strong></p>');
    expect(res.text).toContain('<label for="eop-username">Username</label>');
    expect(res.text).toContain('<label for="eop-password">Password</label>');
    expect(res.text).toContain('<form method="post" action="/oauth2/login">');
  });

  it('rejects a wrong password with 400, the message and the username kept (escaped)', async () => {
    const { res } = await signIn(new Browser(makeBrowserApp().app), codeRequest(), { username: 'alice"><b>', password: 'nope' });
    expectPage(res, 400, '<p class="eop-error" role="alert">The username or password is incorrect.</p>');
    expect(res.text).toContain('value="alice&#34;&#62;&#60;b&#62;"');
  });

  it('refuses a disabled user', async () => {
    const { res } = await signIn(new Browser(makeBrowserApp().app), codeRequest(), { username: 'dave', password: 'dave-password' });
    expectPage(res, 400, 'This account is disabled.');
  });

  it('offers realms when configured and signs in within the chosen one', async () => {
    const { app } = makeBrowserApp({ realms: [{ id: 'staff', label: 'Staff' }, { id: 'partners', label: 'Partners' }] });
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    expect(page.text).toContain('<select id="eop-realm" name="realm"><option value="staff">Staff</option><option value="partners">Partners</option></select>');
    const missing = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'carol', password: 'carol-password' });
    expectPage(missing, 400, 'Choose an account type.');
    const ok = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'carol', password: 'carol-password', realm: 'partners' });
    expect(ok.status).toBe(303);
  });

  it('redirects to the continue step after a good login', async () => {
    const { page, res } = await signIn(new Browser(makeBrowserApp().app));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/oauth2/authorize/continue?transaction_id=${formFields(page.text).transaction_id}`);
  });
});

describe('the consent page and the decision', () => {
  it('names the client and the scopes with their descriptions', async () => {
    const consent = await signInAndContinue(new Browser(makeBrowserApp().app), codeRequest({ scope: 'read write' }));
    expectPage(consent, 200, '<h1>Allow Web &#60;App&#62; &#38; &#34;Co&#34; to access your account?</h1>');
    expect(consent.text).toContain('Signed in as <strong>alice</strong>');
    expect(consent.text).toContain('<li><strong>read</strong>: Read your data</li><li><strong>write</strong>: Change your data</li>');
    expect(consent.text).toContain('<button type="submit" name="decision" value="allow" class="eop-primary">Allow</button>');
    expect(consent.headers['x-frame-options']).toBe('DENY');
  });

  it('allow: redirects with a code, the state and iss', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const consent = await signInAndContinue(browser);
    expectCode(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
  });

  it('deny: redirects access_denied with state and iss (§4.1.2.1)', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const consent = await signInAndContinue(browser);
    const res = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'deny' });
    expect(res.status).toBe(303);
    expect(redirectParams(res)).toEqual({ base: WEB_CB, params: { error: 'access_denied', state: 'state-123', iss: ISSUER } });
  });

  it('cannot be decided twice (the pending request is single-use)', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const fields = formFields((await signInAndContinue(browser)).text);
    expectCode(await browser.post('/oauth2/authorize/decision', { ...fields, decision: 'allow' }));
    const again = await browser.post('/oauth2/authorize/decision', { ...fields, decision: 'allow' });
    expectPage(again, 400, 'This sign-in request has expired or was already used.');
    expect(again.headers.location).toBeUndefined();
  });

  it('gives one code for 10 parallel submissions of the same decision', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const fields = formFields((await signInAndContinue(browser)).text);
    const results = await Promise.all(Array.from({ length: 10 }, () => browser.post('/oauth2/authorize/decision', { ...fields, decision: 'allow' })));
    expect(results.filter((r) => r.status === 303)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(9);
  });

  it.each([
    ['a wrong CSRF token', { csrf_token: 'forged' }, 'The form has expired.'],
    ['no CSRF token', { csrf_token: undefined }, 'The form has expired.'],
    ['an unknown transaction', { transaction_id: 'x'.repeat(43) }, 'This sign-in request has expired or was already used.'],
    ['no transaction', { transaction_id: undefined }, 'The sign-in request is missing or invalid.'],
  ])('refuses a decision with %s', async (_name, patch, message) => {
    const browser = new Browser(makeBrowserApp().app);
    const fields = formFields((await signInAndContinue(browser)).text);
    expectPage(await browser.post('/oauth2/authorize/decision', { ...fields, decision: 'allow', ...patch }), 400, message);
  });

  it('refuses a decision that is neither allow nor deny', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const fields = formFields((await signInAndContinue(browser)).text);
    const res = await browser.post('/oauth2/authorize/decision', { ...fields, decision: 'maybe' });
    expect(res.status).toBe(303);
    expect(redirectParams(res).params).toEqual({ error: 'invalid_request', error_description: "decision must be 'allow' or 'deny'", state: 'state-123', iss: ISSUER });
  });

  it('is bound to the browser that started it (another browser gets the error page)', async () => {
    const { app } = makeBrowserApp();
    const victim = new Browser(app);
    const fields = formFields((await signInAndContinue(victim)).text);
    const attacker = new Browser(app);
    expectPage(await attacker.post('/oauth2/authorize/decision', { ...fields, decision: 'allow' }), 400, 'This sign-in request has expired or was already used.');
    // The login form too.
    const page = await victim.get('/oauth2/authorize', codeRequest());
    expectPage(await attacker.post('/oauth2/login', { ...formFields(page.text), ...ALICE }), 400, 'This sign-in request has expired or was already used.');
  });

  it('expires (interactionLifetime)', async () => {
    const browser = new Browser(makeBrowserApp({ interactionLifetime: 120 }).app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 121_000);
    try {
      expectPage(await browser.post('/oauth2/login', { ...formFields(page.text), ...ALICE }), 400, 'This sign-in request has expired or was already used.');
    } finally {
      clock.mockRestore();
    }
  });

  it('cannot be skipped: a decision before login is refused', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    expectPage(await browser.post('/oauth2/authorize/decision', { ...formFields(page.text), decision: 'allow' }), 400, 'This request belongs to another sign-in.');
  });
});

describe('remembered consent', () => {
  it('is not asked again for the same client and scopes, and is asked again once forgotten', async () => {
    const { app, oauth, stores } = makeBrowserApp();
    const first = new Browser(app);
    const consent = await signInAndContinue(first);
    expectCode(await first.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
    expect(await stores.tokens.findConsent('user-alice', WEB.id)).toEqual({ userId: 'user-alice', clientId: WEB.id, scope: ['read'], updatedAt: expect.any(Date) });

    expectCode(await signInAndContinue(new Browser(app)));

    await oauth.forgetConsent('user-alice', WEB.id);
    expectPage(await signInAndContinue(new Browser(app)), 200, 'to access your account?');
  });

  it('asks again for a wider scope, and then remembers the union', async () => {
    const { app, stores } = makeBrowserApp();
    const first = new Browser(app);
    await first.post('/oauth2/authorize/decision', { ...formFields((await signInAndContinue(first)).text), decision: 'allow' });
    const wider = new Browser(app);
    const consent = await signInAndContinue(wider, codeRequest({ scope: 'write' }));
    expectPage(consent, 200, '<li><strong>write</strong>: Change your data</li>');
    await wider.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    expect((await stores.tokens.findConsent('user-alice', WEB.id))?.scope).toEqual(['read', 'write']);
  });

  it('a denial is not remembered', async () => {
    const { app, stores } = makeBrowserApp();
    const browser = new Browser(app);
    await browser.post('/oauth2/authorize/decision', { ...formFields((await signInAndContinue(browser)).text), decision: 'deny' });
    expect(await stores.tokens.findConsent('user-alice', WEB.id)).toBeUndefined();
  });

  it('first-party clients never ask', async () => {
    const browser = new Browser(makeBrowserApp().app);
    const res = await signInAndContinue(browser, codeRequest({ client_id: 'first-party', redirect_uri: 'https://first.example/cb', scope: undefined }));
    expectCode(res, 'https://first.example/cb');
  });
});

describe("the host's own login (authenticateUser and loginUrl)", () => {
  function hostApp(options: { loginUrl?: string } = {}) {
    let current: AuthenticatedUser | undefined;
    const built = makeBrowserApp({ authenticateUser: (_req: Request) => current, ...options });
    return { ...built, signInAs: (user: AuthenticatedUser | undefined) => (current = user) };
  }

  it('skips the login page for a user the host has signed in', async () => {
    const { app, signInAs } = hostApp();
    signInAs({ id: 'user-alice' });
    const browser = new Browser(app);
    const consent = await browser.get('/oauth2/authorize', codeRequest());
    expectPage(consent, 200, 'Signed in as <strong>alice</strong>');
    expectCode(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
    // Remembered now: the next request is answered at once, from GET /authorize.
    expectCode(await new Browser(app).get('/oauth2/authorize', codeRequest({ state: 'second' })), WEB_CB, 'second');
  });

  it('sends the browser to loginUrl with a return_to, and resumes there after the host login', async () => {
    const { app, signInAs } = hostApp({ loginUrl: '/account/login' });
    const browser = new Browser(app);
    const res = await browser.get('/oauth2/authorize', codeRequest());
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location as string, 'http://host.invalid');
    expect(location.pathname).toBe('/account/login');
    const returnTo = location.searchParams.get('return_to') as string;
    expect(returnTo).toMatch(/^\/oauth2\/authorize\/continue\?transaction_id=[A-Za-z0-9_-]{43}$/);

    signInAs({ id: 'user-alice' });
    const consent = await browser.get(returnTo);
    expectPage(consent, 200, 'Signed in as <strong>alice</strong>');
    expectCode(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
  });

  it('binds the decision to the user who started it', async () => {
    const { app, signInAs } = hostApp();
    signInAs({ id: 'user-alice' });
    const browser = new Browser(app);
    const consent = await browser.get('/oauth2/authorize', codeRequest());
    signInAs({ id: 'user-carol', realm: 'partners' });
    expectPage(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }), 400, 'This request belongs to another sign-in.');
  });

  it('refuses a user the store says is disabled (access_denied to the client)', async () => {
    const { app, signInAs } = hostApp();
    signInAs({ id: 'user-dave' });
    const res = await new Browser(app).get('/oauth2/authorize', codeRequest());
    expect(redirectParams(res)).toEqual({
      base: WEB_CB,
      params: { error: 'access_denied', error_description: 'The user may not sign in to this application', state: 'state-123', iss: ISSUER },
    });
  });
});

describe('replacing the pages', () => {
  it('renderLoginPage receives the login model, and the hardening headers stay', async () => {
    const seen: unknown[] = [];
    const { app } = makeBrowserApp({
      renderLoginPage: (page, _req, res) => {
        seen.push(page);
        res.type('html').send(`<form data-tid="${page.transactionId}" data-csrf="${page.csrfToken}"></form>`);
      },
    });
    const res = await new Browser(app).get('/oauth2/authorize', codeRequest());
    expect(res.status).toBe(200);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(seen).toEqual([
      {
        action: '/oauth2/login',
        transactionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        clientName: 'Web <App> & "Co"',
        realms: [],
        formTargets: ['https://client.example'],
      },
    ]);
  });

  it('renderConsentPage receives the consent model, and its form decides', async () => {
    const seen: unknown[] = [];
    const { app } = makeBrowserApp({
      authenticateUser: () => ({ id: 'user-alice' }),
      renderConsentPage: (page, _req, res) => {
        seen.push(page);
        res.type('html').send(`<input name="transaction_id" value="${page.transactionId}"><input name="csrf_token" value="${page.csrfToken}">`);
      },
    });
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest({ scope: 'read write' }));
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(seen).toEqual([
      {
        action: '/oauth2/authorize/decision',
        transactionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        clientName: 'Web <App> & "Co"',
        userName: 'alice',
        scopes: [
          { name: 'read', description: 'Read your data' },
          { name: 'write', description: 'Change your data' },
        ],
        formTargets: ['https://client.example'],
      },
    ]);
    expectCode(await browser.post('/oauth2/authorize/decision', { ...formFields(page.text), decision: 'allow' }));
  });
});

describe('living inside the host app', () => {
  it('works mounted under a path: forms, continue URL and cookie path follow the mount point', async () => {
    const express = (await import('express')).default;
    const { oauth } = makeBrowserApp();
    const host = express();
    host.use('/auth', oauth.router);
    const browser = new Browser(host);
    const page = await browser.get('/auth/oauth2/authorize', codeRequest());
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']?.[0]).toContain('; Path=/auth/oauth2;');
    expect(page.text).toContain('<form method="post" action="/auth/oauth2/login">');
    const login = await browser.post('/auth/oauth2/login', { ...formFields(page.text), ...ALICE });
    expect(login.headers.location).toMatch(/^\/auth\/oauth2\/authorize\/continue\?transaction_id=/);
    const consent = await browser.follow(login);
    expect(consent.text).toContain('action="/auth/oauth2/authorize/decision"');
    expectCode(await browser.post('/auth/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
  });

  it("never hands a finished response on to the host's later middleware", async () => {
    const express = (await import('express')).default;
    const { oauth } = makeBrowserApp();
    const host = express();
    host.use(oauth.router);
    const reachedHost = jest.fn();
    host.use((_req, res) => {
      reachedHost();
      res.status(404).send('host 404');
    });
    const browser = new Browser(host);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const login = await browser.post('/oauth2/login', { ...formFields(page.text), ...ALICE });
    const consent = await browser.follow(login);
    expectCode(await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' }));
    expect([page.status, login.status, consent.status]).toEqual([200, 303, 200]);
    expect(reachedHost).not.toHaveBeenCalled();
  });
});
