/**
 * A real third-party OAuth client library, oauth4webapi, completes the authorization code
 * flow with PKCE (S256) against the quickstart app over HTTP, as its demo web client
 * (`demo-web`, client_secret_basic): it builds the authorization request, validates the
 * authorization response (`state` and RFC 9207 `iss`), exchanges the code and refreshes the
 * tokens. The user's part (login form, consent form) is played with plain HTTP requests and a
 * cookie jar, every hop asserted.
 */
import * as oauth from 'oauth4webapi';
import { createQuickstartApp, DEMO } from '../../examples/quickstart/app';
import { decodeJwt } from '../helpers/fixtures';
import { formField, HttpBrowser, listen } from './http-browser';

/** The server is plain http on loopback: oauth4webapi refuses that unless told otherwise. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;
/** A registered redirect URI (http loopback: only the port may vary, so it is used as is). */
const REDIRECT_URI = 'http://127.0.0.1:3001/callback';

let issuer: string;
let quickstart: ReturnType<typeof createQuickstartApp>;
let close: () => Promise<void>;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  ({ origin: issuer, close } = await listen((origin) => {
    quickstart = createQuickstartApp({ issuer: origin });
    return quickstart.app;
  }));
  // No metadata endpoint yet (RFC 8414): the client is configured by hand.
  as = {
    issuer,
    authorization_endpoint: `${issuer}/oauth2/authorize`,
    token_endpoint: `${issuer}/oauth2/token`,
    authorization_response_iss_parameter_supported: true,
  };
});

afterAll(async () => {
  quickstart?.stores.tokens.close();
  await close?.();
});

const client: oauth.Client = { client_id: DEMO.webClient.id };
const clientAuth = () => oauth.ClientSecretBasic(DEMO.webClient.secret);

/** What the client keeps between the redirect out and the callback. */
async function startAuthorization(scope = 'read write') {
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, state, codeVerifier };
}

/** The user opens the authorization URL and signs in; returns the response to the login POST. */
async function signIn(browser: HttpBrowser, authorizationUrl: string, user: { username: string; password: string }) {
  const login = await browser.go(authorizationUrl);
  expect(login.status).toBe(200);
  expect(login.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(login.headers.get('cache-control')).toBe('no-store');
  expect(login.body).toContain('<h1>Sign in</h1>');
  expect(login.body).toContain('to continue to <strong>Demo Web App</strong>');
  const transactionId = formField(login.body, 'transaction_id');

  const posted = await browser.go(`${issuer}/oauth2/login`, {
    transaction_id: transactionId,
    csrf_token: formField(login.body, 'csrf_token'),
    username: user.username,
    password: user.password,
  });
  expect(posted.status).toBe(303);
  expect(posted.location).toBe(`/oauth2/authorize/continue?transaction_id=${encodeURIComponent(transactionId)}`);
  const next = await browser.go(new URL(posted.location as string, issuer).href);
  return Object.assign(next, { loginPage: login });
}

/** Clicks Allow or Deny on a consent page; returns the redirect back to the client. */
async function decide(browser: HttpBrowser, consentPage: string, decision: 'allow' | 'deny') {
  const res = await browser.go(`${issuer}/oauth2/authorize/decision`, {
    transaction_id: formField(consentPage, 'transaction_id'),
    csrf_token: formField(consentPage, 'csrf_token'),
    decision,
  });
  expect(res.status).toBe(303);
  return new URL(res.location as string);
}

/** The redirect to the client, with exactly these parameters (values `expect`ed). */
function expectCallback(location: URL, params: Record<string, unknown>): void {
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  expect(Object.fromEntries(location.searchParams)).toEqual(params);
  expect(location.searchParams.getAll('iss')).toHaveLength(1);
}

async function exchange(location: URL, state: string, codeVerifier: string) {
  const params = oauth.validateAuthResponse(as, client, location, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth(),
    params,
    REDIRECT_URI,
    codeVerifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

/** The rejection of `promise`, which must be an OAuth error response from the token endpoint. */
async function tokenError(promise: Promise<unknown>): Promise<oauth.ResponseBodyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(oauth.ResponseBodyError);
  return err as oauth.ResponseBodyError;
}

describe('oauth4webapi: authorization code + PKCE against the quickstart app', () => {
  beforeEach(async () => {
    await quickstart.oauth.forgetConsent(DEMO.user.id, DEMO.webClient.id);
    await quickstart.oauth.forgetConsent(DEMO.user2.id, DEMO.webClient.id);
  });

  it('login, consent, code exchange, then refresh_token rotation', async () => {
    const browser = new HttpBrowser();
    const { url, state, codeVerifier } = await startAuthorization();

    const consent = await signIn(browser, url, DEMO.user);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('<h1>Allow Demo Web App to access your account?</h1>');
    expect(consent.body).toContain('Signed in as <strong>demo</strong>');
    expect(consent.body).toContain(
      '<li><strong>read</strong>: Read your data</li><li><strong>write</strong>: Change your data</li>',
    );
    // The browser-binding cookie, set with the login page: HttpOnly, Lax, not Secure on an http issuer.
    const browserId = browser.cookie('eop_browser');
    expect(browserId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(consent.loginPage.setCookies).toEqual([
      `eop_browser=${browserId}; Path=/oauth2; Max-Age=34560000; HttpOnly; SameSite=Lax`,
    ]);

    const callback = await decide(browser, consent.body, 'allow');
    expectCallback(callback, { code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state, iss: issuer });

    const tokens = await exchange(callback, state, codeVerifier);
    // oauth4webapi lowercases token_type ("Bearer" on the wire).
    expect(tokens).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'read write',
    });
    const jwt = decodeJwt(tokens.access_token);
    expect(jwt.header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(jwt.payload).toEqual({
      iss: issuer,
      sub: DEMO.user.id,
      aud: issuer,
      client_id: DEMO.webClient.id,
      scope: 'read write',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: (jwt.payload.iat as number) + 3600,
    });

    // The code is single-use: replaying it is invalid_grant...
    const replay = await tokenError(exchange(callback, state, codeVerifier));
    expect(replay.status).toBe(400);
    expect(replay.error).toBe('invalid_grant');

    // ...and revokes what it issued (RFC 6749 §4.1.2): the refresh token is dead too.
    const revoked = await tokenError(
      oauth
        .refreshTokenGrantRequest(as, client, clientAuth(), tokens.refresh_token as string, insecure)
        .then((res) => oauth.processRefreshTokenResponse(as, client, res)),
    );
    expect(revoked.status).toBe(400);
    expect(revoked.error).toBe('invalid_grant');
  });

  it('refresh_token: the code grant’s refresh token rotates', async () => {
    const browser = new HttpBrowser();
    const { url, state, codeVerifier } = await startAuthorization('read');
    const consent = await signIn(browser, url, DEMO.user);
    expect(consent.body).toContain('<li><strong>read</strong>: Read your data</li></ul>');
    const tokens = await exchange(await decide(browser, consent.body, 'allow'), state, codeVerifier);
    expect(tokens.scope).toBe('read');

    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      clientAuth(),
      tokens.refresh_token as string,
      insecure,
    );
    const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
    expect(refreshed).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: 'read',
    });
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(decodeJwt(refreshed.access_token).payload).toMatchObject({
      sub: DEMO.user.id,
      client_id: DEMO.webClient.id,
      scope: 'read',
    });

    // The rotated-out token no longer works.
    const old = await tokenError(
      oauth
        .refreshTokenGrantRequest(as, client, clientAuth(), tokens.refresh_token as string, insecure)
        .then((res) => oauth.processRefreshTokenResponse(as, client, res)),
    );
    expect(old.error).toBe('invalid_grant');
  });

  it('remembered consent: the second authorization goes from login straight back to the client', async () => {
    const first = await startAuthorization();
    const browser = new HttpBrowser();
    const consent = await signIn(browser, first.url, DEMO.user);
    await exchange(await decide(browser, consent.body, 'allow'), first.state, first.codeVerifier);

    // A new browser (no cookie of the first one): the user signs in again, but is not asked.
    const second = await startAuthorization();
    const redirect = await signIn(new HttpBrowser(), second.url, DEMO.user);
    expect(redirect.status).toBe(303);
    const callback = new URL(redirect.location as string);
    expectCallback(callback, { code: expect.any(String), state: second.state, iss: issuer });
    const tokens = await exchange(callback, second.state, second.codeVerifier);
    expect(tokens.scope).toBe('read write');
    expect(decodeJwt(tokens.access_token).payload.sub).toBe(DEMO.user.id);
  });

  it('Deny: the client gets access_denied with state and iss, and oauth4webapi reports it', async () => {
    const browser = new HttpBrowser();
    const { url, state } = await startAuthorization();
    const consent = await signIn(browser, url, DEMO.user2);
    expect(consent.body).toContain('Signed in as <strong>demo2</strong>');

    const callback = await decide(browser, consent.body, 'deny');
    expectCallback(callback, { error: 'access_denied', state, iss: issuer });
    let err: unknown;
    try {
      oauth.validateAuthResponse(as, client, callback, state);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((err as oauth.AuthorizationResponseError).error).toBe('access_denied');

    // Nothing was remembered: the next attempt asks again.
    const again = await signIn(new HttpBrowser(), (await startAuthorization()).url, DEMO.user2);
    expect(again.status).toBe(200);
    expect(again.body).toContain('<h1>Allow Demo Web App to access your account?</h1>');
  });

  it('PKCE: a code exchanged with another code_verifier is invalid_grant', async () => {
    const browser = new HttpBrowser();
    const { url, state } = await startAuthorization();
    const consent = await signIn(browser, url, DEMO.user);
    const callback = await decide(browser, consent.body, 'allow');

    const err = await tokenError(exchange(callback, state, oauth.generateRandomCodeVerifier()));
    expect(err.status).toBe(400);
    expect(err.error).toBe('invalid_grant');
    expect(err.error_description).toBe('code_verifier does not match the code_challenge (RFC 7636 section 4.6)');
  });

  it('a response from another issuer is refused by the client (RFC 9207 mix-up defence)', async () => {
    const browser = new HttpBrowser();
    const { url, state } = await startAuthorization();
    const consent = await signIn(browser, url, DEMO.user);
    const callback = await decide(browser, consent.body, 'allow');

    const other: oauth.AuthorizationServer = { ...as, issuer: 'http://127.0.0.1:1' };
    expect(() => oauth.validateAuthResponse(other, client, callback, state)).toThrow(
      'unexpected "iss" (issuer) response parameter value',
    );
  });
});
