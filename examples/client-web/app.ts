/**
 * A web app that signs its users in with an OAuth 2.0 authorization server: authorization
 * code + PKCE (RFC 6749 §4.1, RFC 7636), a confidential client authenticating with HTTP Basic.
 * It uses oauth4webapi, a third-party client library, and nothing of express-oauth2-provider:
 * this is the other side of the wire. See ./README.md.
 *
 *   GET  /          "Sign in" link, or "Signed in as <sub>" with the granted scope
 *   GET  /login     remembers state + PKCE verifier for this browser, redirects to the server
 *   GET  /callback  checks state and iss, exchanges the code, signs the user in
 *   POST /logout    forgets the sign-in
 *
 * Sign-ins and pending logins live in memory, keyed by random ids in HttpOnly cookies (no
 * express-session). A real app keeps them in its own session store.
 */
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as oauth from 'oauth4webapi';

export interface ClientWebOptions {
  /** Where the authorization server is; `issuer` must be exactly its issuer identifier. */
  authServer: { issuer: string; authorizationEndpoint: string; tokenEndpoint: string };
  clientId: string;
  clientSecret: string;
  /** This app's `/callback` URL, exactly as registered for the client. */
  redirectUri: string;
  /** The scope to ask for. @defaultValue `'read write'` */
  scope?: string;
}

/** A sign-in in progress: what the callback must check. */
interface PendingLogin {
  state: string;
  codeVerifier: string;
  expiresAt: number;
}

/** A signed-in user. A real app would keep the tokens to call APIs (and refresh them). */
interface SignedIn {
  sub: string;
  scope: string;
  accessToken: string;
  refreshToken?: string;
}

const LOGIN_COOKIE = 'client_web_login';
const SESSION_COOKIE = 'client_web_session';
const LOGIN_TIMEOUT_MS = 10 * 60 * 1000;

export function createClientWebApp(options: ClientWebOptions) {
  const { authServer, redirectUri } = options;
  const scope = options.scope ?? 'read write';

  // Server metadata written by hand, so the app needs no request at startup. The server also
  // publishes it (RFC 8414): oauth.discoveryRequest() + processDiscoveryResponse() read it.
  const as: oauth.AuthorizationServer = {
    issuer: authServer.issuer,
    authorization_endpoint: authServer.authorizationEndpoint,
    token_endpoint: authServer.tokenEndpoint,
    // The server sends `iss` with every response (RFC 9207): a response without it is rejected.
    authorization_response_iss_parameter_supported: true,
  };
  const client: oauth.Client = { client_id: options.clientId };
  const clientAuth = oauth.ClientSecretBasic(options.clientSecret);
  // oauth4webapi refuses plain http; allowed here for a local demo only. Remove it with https.
  const requestOptions = { [oauth.allowInsecureRequests]: authServer.tokenEndpoint.startsWith('http:') };
  const secureCookies = redirectUri.startsWith('https:');

  const pendingLogins = new Map<string, PendingLogin>();
  const sessions = new Map<string, SignedIn>();

  const app = express();

  app.get('/', (req, res) => {
    const user = sessions.get(readCookie(req, SESSION_COOKIE) ?? '');
    if (!user) {
      return sendPage(
        res,
        200,
        `<h1>Demo Web App</h1>\n<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a></p>`,
      );
    }
    sendPage(
      res,
      200,
      `<h1>Demo Web App</h1>
<p>Signed in as <strong id="sub">${escapeHtml(user.sub)}</strong></p>
<p>Granted scope: <strong id="scope">${escapeHtml(user.scope)}</strong></p>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
    );
  });

  app.get(
    '/login',
    handle(async (_req, res) => {
      const now = Date.now();
      for (const [key, login] of pendingLogins) if (login.expiresAt <= now) pendingLogins.delete(key);

      const state = oauth.generateRandomState();
      const codeVerifier = oauth.generateRandomCodeVerifier();
      const key = randomBytes(32).toString('base64url');
      pendingLogins.set(key, { state, codeVerifier, expiresAt: now + LOGIN_TIMEOUT_MS });
      // SameSite=Lax: the browser sends it when the server redirects it back to /callback.
      res.cookie(LOGIN_COOKIE, key, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        maxAge: LOGIN_TIMEOUT_MS,
        path: '/',
      });

      const url = new URL(authServer.authorizationEndpoint);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', options.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', scope);
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
      url.searchParams.set('code_challenge_method', 'S256');
      res.redirect(303, url.href);
    }),
  );

  app.get(
    '/callback',
    handle(async (req, res) => {
      // The pending login of this browser, used once.
      const key = readCookie(req, LOGIN_COOKIE) ?? '';
      const pending = pendingLogins.get(key);
      pendingLogins.delete(key);
      res.clearCookie(LOGIN_COOKIE, { path: '/' });
      if (!pending || pending.expiresAt <= Date.now()) {
        return signInFailed(res, 'no sign-in was started in this browser, or it took too long');
      }

      let tokens: oauth.TokenEndpointResponse;
      try {
        // Checks `iss` (mix-up attacks, RFC 9207) and `state` (CSRF), then turns an error
        // response (?error=access_denied&...) into an AuthorizationResponseError.
        const params = oauth.validateAuthResponse(as, client, new URL(req.originalUrl, redirectUri), pending.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth,
          params,
          redirectUri,
          pending.codeVerifier,
          requestOptions,
        );
        tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
      } catch (err) {
        // The server said no (e.g. the user clicked Deny), or the response failed a check.
        if (err instanceof oauth.AuthorizationResponseError || err instanceof oauth.ResponseBodyError) {
          return signInFailed(res, err.error);
        }
        if (err instanceof oauth.OperationProcessingError) return signInFailed(res, err.message);
        throw err;
      }

      const sessionId = randomBytes(32).toString('base64url');
      sessions.set(sessionId, {
        sub: subjectOf(tokens.access_token),
        scope: tokens.scope ?? scope,
        accessToken: tokens.access_token,
        ...(tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : {}),
      });
      res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/' });
      res.redirect(303, '/');
    }),
  );

  app.post('/logout', (req, res) => {
    // A cross-site form cannot sign users out: browsers do not send SameSite=Lax cookies
    // with another site's POST, so there is no session to delete and nothing is cleared.
    if (sessions.delete(readCookie(req, SESSION_COOKIE) ?? '')) res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/');
  });

  return { app };
}

/**
 * The user id (`sub`) of the access token, a JWT (RFC 9068). Clients normally treat access
 * tokens as opaque and ask an API who the user is; this server has no such endpoint yet, and
 * the token came straight from its token endpoint, so reading the claim is enough for a demo.
 */
function subjectOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return String(payload.sub);
}

function signInFailed(res: Response, reason: string): void {
  sendPage(
    res,
    400,
    `<h1>Demo Web App</h1>\n<p role="alert">Sign-in failed: ${escapeHtml(reason)}</p>\n<p><a href="/login">Try again</a></p>`,
  );
}

function sendPage(res: Response, status: number, body: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store');
  res.send(
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Demo Web App</title></head>\n<body>\n${body}\n</body>\n</html>\n`,
  );
}

/** Reads a cookie from the request (no cookie-parser needed). */
function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Express 4 does not catch rejected promises: pass them to the error handler. */
function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}
