/**
 * The client-web example (examples/client-web) signs a user in against the quickstart, both
 * on ephemeral 127.0.0.1 ports, driven with plain HTTP requests: every hop of its README's
 * flow, Deny, and the callback's own checks (no pending sign-in, wrong state). The same flow
 * in a real browser is test/browser/login-consent.test.ts.
 */
import { createClientWebApp } from '../../examples/client-web/app';
import { createQuickstartApp, DEMO } from '../../examples/quickstart/app';
import { formField, HttpBrowser, listen } from './http-browser';

let quickstart: ReturnType<typeof createQuickstartApp>;
let issuer: string;
let clientOrigin: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const as = await listen((origin) => {
    quickstart = createQuickstartApp({ issuer: origin });
    return quickstart.app;
  });
  issuer = as.origin;
  closers.push(as.close);
  const web = await listen(
    (origin) =>
      createClientWebApp({
        authServer: {
          issuer,
          authorizationEndpoint: `${issuer}/oauth2/authorize`,
          tokenEndpoint: `${issuer}/oauth2/token`,
        },
        clientId: DEMO.webClient.id,
        clientSecret: DEMO.webClient.secret,
        // Registered as http://127.0.0.1:3001/callback: a loopback URI may differ in port only.
        redirectUri: `${origin}/callback`,
      }).app,
  );
  clientOrigin = web.origin;
  closers.push(web.close);
});

afterAll(async () => {
  quickstart?.stores.tokens.close();
  await Promise.all(closers.map((close) => close()));
});

beforeEach(async () => {
  await quickstart.oauth.forgetConsent(DEMO.user.id, DEMO.webClient.id);
  await quickstart.oauth.forgetConsent(DEMO.user2.id, DEMO.webClient.id);
});

/** From "Sign in" on the client to the consent page of the server. */
async function toConsent(browser: HttpBrowser, user: { username: string; password: string }) {
  const login = await browser.go(`${clientOrigin}/login`);
  expect(login.status).toBe(303);
  const authorize = new URL(login.location as string);
  const loginPage = await browser.go(authorize.href);
  expect(loginPage.status).toBe(200);
  const posted = await browser.go(`${issuer}/oauth2/login`, {
    transaction_id: formField(loginPage.body, 'transaction_id'),
    csrf_token: formField(loginPage.body, 'csrf_token'),
    username: user.username,
    password: user.password,
  });
  expect(posted.status).toBe(303);
  const consent = await browser.go(new URL(posted.location as string, issuer).href);
  expect(consent.status).toBe(200);
  expect(consent.body).toContain('<h1>Allow Demo Web App to access your account?</h1>');
  return { authorize, consent };
}

async function decide(browser: HttpBrowser, consentPage: string, decision: 'allow' | 'deny') {
  const res = await browser.go(`${issuer}/oauth2/authorize/decision`, {
    transaction_id: formField(consentPage, 'transaction_id'),
    csrf_token: formField(consentPage, 'csrf_token'),
    decision,
  });
  expect(res.status).toBe(303);
  return res.location as string;
}

describe('client-web example against the quickstart', () => {
  it('GET / offers to sign in', async () => {
    const res = await new HttpBrowser().go(`${clientOrigin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a></p>');
  });

  it('/login redirects to the authorization endpoint with state and an S256 challenge', async () => {
    const browser = new HttpBrowser();
    const res = await browser.go(`${clientOrigin}/login`);
    expect(res.status).toBe(303);
    const url = new URL(res.location as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${issuer}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'demo-web',
      redirect_uri: `${clientOrigin}/callback`,
      scope: 'read write',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    const key = browser.cookie('client_web_login');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.setCookies).toEqual([
      expect.stringMatching(
        new RegExp(`^client_web_login=${key}; Max-Age=600; Path=/; Expires=.+; HttpOnly; SameSite=Lax$`),
      ),
    ]);
  });

  it('Allow: the callback exchanges the code and the user is signed in; sign out forgets it', async () => {
    const browser = new HttpBrowser();
    const { authorize, consent } = await toConsent(browser, DEMO.user);

    const callback = new URL(await decide(browser, consent.body, 'allow'));
    expect(`${callback.origin}${callback.pathname}`).toBe(`${clientOrigin}/callback`);
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      code: expect.any(String),
      state: authorize.searchParams.get('state'),
      iss: issuer,
    });

    const done = await browser.go(callback.href);
    expect(done.status).toBe(303);
    expect(done.location).toBe('/');
    expect(browser.cookie('client_web_login')).toBeUndefined();
    expect(browser.cookie('client_web_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const home = await browser.go(`${clientOrigin}/`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('<p>Signed in as <strong id="sub">user-demo</strong></p>');
    expect(home.body).toContain('<p>Granted scope: <strong id="scope">read write</strong></p>');

    // The callback URL is single-use: its pending sign-in is gone.
    const again = await browser.go(callback.href);
    expect(again.status).toBe(400);
    expect(again.body).toContain('Sign-in failed: no sign-in was started in this browser, or it took too long');

    const out = await browser.go(`${clientOrigin}/logout`, {});
    expect(out.status).toBe(303);
    expect(out.location).toBe('/');
    expect((await browser.go(`${clientOrigin}/`)).body).toContain('You are not signed in.');
  });

  it('Deny: the client shows "Sign-in failed: access_denied"', async () => {
    const browser = new HttpBrowser();
    const { consent } = await toConsent(browser, DEMO.user2);
    const res = await browser.go(await decide(browser, consent.body, 'deny'));
    expect(res.status).toBe(400);
    expect(res.body).toContain('<p role="alert">Sign-in failed: access_denied</p>');
    expect(browser.cookie('client_web_session')).toBeUndefined();
  });

  it('a callback whose state is not the one this browser sent is refused', async () => {
    const browser = new HttpBrowser();
    const { consent } = await toConsent(browser, DEMO.user);
    const callback = new URL(await decide(browser, consent.body, 'allow'));
    callback.searchParams.set('state', 'not-the-state');
    const res = await browser.go(callback.href);
    expect(res.status).toBe(400);
    expect(res.body).toContain('Sign-in failed: unexpected &#34;state&#34; response parameter value');
    expect(browser.cookie('client_web_session')).toBeUndefined();
  });
});
