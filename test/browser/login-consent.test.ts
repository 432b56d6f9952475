/**
 * A real browser (Debian's chromium, driven by playwright-core) signs in to the client-web
 * example through the quickstart's built-in login and consent pages: Allow, remembered consent
 * in a new browser context, Deny, and the same flow with the keyboard only. Both apps run on
 * ephemeral 127.0.0.1 ports; the client's callback matches the registered
 * http://127.0.0.1:3001/callback because an http loopback redirect URI may differ in port only.
 *
 * Runs in the express5 jest project only (jest.config.js). Without /usr/bin/chromium the suite
 * is skipped with a warning on a developer machine, and fails on CI (CI=true), where .ci/run
 * installs it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createClientWebApp } from '../../examples/client-web/app';
import { createQuickstartApp, DEMO } from '../../examples/quickstart/app';
import { listen } from '../examples/http-browser';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const available = existsSync(CHROMIUM);
const onCi = process.env.CI === 'true';
if (!available && !onCi) {
  console.warn(
    `test/browser skipped: ${CHROMIUM} is missing (apt-get install chromium); on CI (CI=true) this fails instead.`,
  );
}

jest.setTimeout(30_000);

(available || onCi ? describe : describe.skip)('browser: login and consent (chromium + playwright-core)', () => {
  let browser: Browser;
  let quickstart: ReturnType<typeof createQuickstartApp>;
  let issuer: string;
  let clientOrigin: string;
  /** Screenshots go here; kept when BROWSER_SCREENSHOTS_DIR names a directory, else removed. */
  const screenshots = process.env.BROWSER_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'eop-browser-'));
  const closers: (() => Promise<void>)[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: CI must install it (.ci/run, apt-get install chromium)`);
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
          redirectUri: `${origin}/callback`,
        }).app,
    );
    clientOrigin = web.origin;
    closers.push(web.close);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    quickstart?.stores.tokens.close();
    await Promise.all(closers.map((close) => close()));
    if (!process.env.BROWSER_SCREENSHOTS_DIR) rmSync(screenshots, { recursive: true, force: true });
  });

  /**
   * A page in a fresh context (no cookies), recording the documents the main frame shows
   * (redirect hops are not shown) and every console error (a CSP violation is one).
   */
  async function freshPage() {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const shown: string[] = [];
    const errors: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) shown.push(frame.url());
    });
    page.on('console', (msg) => {
      // Chromium asks every origin for /favicon.ico; neither app has one.
      if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    return { page, shown, errors };
  }

  /** On the client: click "Sign in", land on our login page, sign in with the mouse. */
  async function signIn(page: Page, user: { username: string; password: string }) {
    await page.goto(`${clientOrigin}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/oauth2/authorize?`));
    expect(await page.title()).toBe('Sign in');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await page.locator('main p').first().textContent()).toBe('to continue to Demo Web App');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function expectConsentPage(page: Page, username: string) {
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/oauth2/authorize/continue?transaction_id=`));
    expect(await page.title()).toBe('Allow Demo Web App?');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Allow Demo Web App to access your account?',
    );
    expect(await page.getByText('Signed in as').textContent()).toBe(`Signed in as ${username}`);
    expect(await page.getByRole('listitem').allTextContents()).toEqual([
      'read: Read your data',
      'write: Change your data',
    ]);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Allow', 'Deny']);
  }

  async function expectSignedIn(page: Page, sub: string, scope: string) {
    await page.waitForURL(`${clientOrigin}/`);
    expect(await page.locator('p').allTextContents()).toEqual([`Signed in as ${sub}`, `Granted scope: ${scope}`]);
  }

  /** Matches a URL that starts with `prefix`. */
  const startingWith = (prefix: string) => expect.stringMatching(new RegExp(`^${prefix.replace(/[.?]/g, '\\$&')}`));
  const authorizeUrl = () => startingWith(`${issuer}/oauth2/authorize?response_type=code&`);
  const continueUrl = () => startingWith(`${issuer}/oauth2/authorize/continue?transaction_id=`);

  // The first three tests are one story, in order: consent given, then remembered, then refused.
  it('demo signs in, sees the consent page naming Demo Web App and the scopes, allows, and is signed in', async () => {
    const { page, shown, errors } = await freshPage();
    await signIn(page, DEMO.user);
    await expectConsentPage(page, DEMO.user.username);

    const png = join(screenshots, 'consent.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    await page.getByRole('button', { name: 'Allow' }).click();
    await expectSignedIn(page, DEMO.user.id, 'read write');
    // Client home, login page, consent page, client home: the code exchange and the
    // callback are redirects the user never sees.
    expect(shown).toEqual([`${clientOrigin}/`, authorizeUrl(), continueUrl(), `${clientOrigin}/`]);
    expect(errors).toEqual([]);
  });

  it('a new browser context (no cookies): demo signs in again and the consent page is skipped', async () => {
    const { page, shown, errors } = await freshPage();
    await signIn(page, DEMO.user);
    await expectSignedIn(page, DEMO.user.id, 'read write');
    expect(shown).toEqual([`${clientOrigin}/`, authorizeUrl(), `${clientOrigin}/`]);
    expect(errors).toEqual([]);
  });

  it('demo2 clicks Deny: the client shows "Sign-in failed: access_denied"', async () => {
    const { page, errors } = await freshPage();
    await signIn(page, DEMO.user2);
    await expectConsentPage(page, DEMO.user2.username);
    await page.getByRole('button', { name: 'Deny' }).click();

    await page.waitForURL((url) => url.href.startsWith(`${clientOrigin}/callback?`));
    const callback = new URL(page.url());
    expect(Object.fromEntries(callback.searchParams)).toEqual({
      error: 'access_denied',
      state: expect.any(String),
      iss: issuer,
    });
    expect(await page.getByRole('alert').textContent()).toBe('Sign-in failed: access_denied');
    // The client answers its failure page with 400, which Chromium logs; nothing else.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });

  it('keyboard only: Tab reaches the username field, Enter submits the login form, then Allow', async () => {
    const { page, errors } = await freshPage();
    await page.goto(`${clientOrigin}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/oauth2/authorize?`));

    // Evaluated in the page (as strings: this project's TypeScript has no DOM types).
    const focused = () =>
      page.evaluate<string>('((e) => (e === document.body ? "BODY" : e.id || e.textContent))(document.activeElement)');
    expect(await focused()).toBe('eop-username'); // autofocus
    // From the top of the card (clicking the heading moves focus off the field and makes it
    // the starting point of sequential navigation), the first Tab reaches the username.
    await page.getByRole('heading', { level: 1 }).click();
    expect(await focused()).toBe('BODY');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('eop-username');
    await page.keyboard.type(DEMO.user2.username);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('eop-password');
    await page.keyboard.type(DEMO.user2.password);
    await page.keyboard.press('Enter');

    // demo2 denied before, which is not remembered: asked again.
    await expectConsentPage(page, DEMO.user2.username);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Allow');
    await page.keyboard.press('Enter');
    await expectSignedIn(page, DEMO.user2.id, 'read write');
    expect(errors).toEqual([]);
  });
});
