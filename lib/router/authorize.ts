import type { ErrorRequestHandler, Request, RequestHandler, Response, Router } from 'express';
import type { OAuth2Server } from 'oauth2orize';
import { InvalidRequestError } from '../errors';
import type { BrowserRequest, Principal } from '../grants/browser-request';
import { sendRedirect } from '../grants/response-modes';
import { asyncHandler } from '../internal/async-handler';
import { InteractionError, type Interactions } from '../interaction/interactions';
import { type ConsentPage, type LoginPage, renderConsent, renderLogin } from '../interaction/pages';
import { hostPrincipal, isPreapproved, loadPrincipal, rememberConsent } from '../interaction/principal';
import type { ResolvedOptions } from '../options';
import { setPageHeaders, newNonce } from '../interaction/html';
import type { Emit } from '../events';
import type { OAuthErrorCode } from '../errors';
import { setOutcome } from '../metrics/outcome';
import type { RateLimits } from '../rate-limit/rate-limits';
import { clientRefusal } from '../stores/client-status';
import type { ClientRecord, InteractionRecord } from '../stores/types';
import { PASSWORD_EXPIRED, isPasswordExpired } from '../tokens/password-age';
import type { VerifyPassword } from '../tokens/passwords';
import { type AuthorizeRequest, validateAuthorizeRequest } from './authorize-request';
import { setRedirectTarget } from './browser-errors';
import { readParams } from './read-params';

/** Where oauth2orize finds the user (never `req.user`, which belongs to the host's Passport). */
export const USER_PROPERTY = 'oauth2ProviderUser';

/** Per-request state of ours, kept off the request object. */
const requests = new WeakMap<Request, AuthorizeRequest>();
const storedInteractions = new WeakMap<Request, { id: string; record: InteractionRecord }>();

/**
 * The parts of oauth2orize's runtime API we call; @types/oauth2orize lacks `resume` and the
 * `userProperty` option, both of which exist in oauth2orize 1.12.
 */
/** Any callback oauth2orize invokes; it dispatches on fn.length, so shapes vary by arity. */
type Callback = (...args: never[]) => void;
interface OAuth2Runtime {
  grant(type: '*', parse: (req: Request) => object): void;
  authorization(options: { userProperty: string }, validate: Callback, immediate: Callback): RequestHandler;
  resume(options: { userProperty: string; loadTransaction: false }, immediate: Callback): RequestHandler;
  decision(options: { userProperty: string; loadTransaction: false }, parse: Callback): RequestHandler;
}

export type BrowserFlowOptions = Pick<
  ResolvedOptions,
  | 'basePath'
  | 'stores'
  | 'allowPlainPkce'
  | 'authenticateUser'
  | 'loginUrl'
  | 'realms'
  | 'renderLoginPage'
  | 'renderConsentPage'
  | 'scopeDescriptions'
  | 'pageCss'
  | 'maxPasswordAgeDays'
> & { oauth2: OAuth2Server; interactions: Interactions; errorHandler: ErrorRequestHandler; emit: Emit; limits: RateLimits; verifyPassword: VerifyPassword };

type Txn = { transactionID: string; client: ClientRecord; redirectURI: string; req: BrowserRequest; user?: Principal };
type WithTxn = Request & { oauth2?: Txn };

/**
 * The browser endpoints of the authorization flow (RFC 6749 §4.1, §4.2):
 * - `GET  {basePath}/authorize`           validates, then signs in / asks consent / redirects
 * - `POST {basePath}/login`               the built-in login form
 * - `GET  {basePath}/authorize/continue`  resumes a pending request after a login
 * - `POST {basePath}/authorize/decision`  the consent form's allow / deny
 */
export function mountBrowserFlow(router: Router, o: BrowserFlowOptions): void {
  const path = (suffix: string, req: Request) => `${req.baseUrl}${o.basePath}${suffix}`;

  const oauth2 = o.oauth2 as unknown as OAuth2Runtime;
  // oauth2orize carries our validated request on its parsed request, for every response type.
  oauth2.grant('*', (req) => ({ eop: requests.get(req), ip: req.ip }));

  /** Decides without asking: only a signed-in user, only if first party or already consented. */
  const immediate = (txn: Txn, done: (err: Error | null, allow?: boolean, info?: object) => void) => {
    const user = txn.user;
    if (!user) return done(null, false);
    const decide = async () => {
      if (!(await isPreapproved(o.stores, txn.client, user, txn.req.eop.scope))) return false;
      const stored = txn.req.eop.interaction;
      if (stored && !(await o.interactions.consume(stored))) throw replayed();
      return true;
    };
    decide().then((allow) => done(null, allow, {}), done);
  };

  const authorization = oauth2.authorization(
    { userProperty: USER_PROPERTY },
    // Two parameters: oauth2orize passes the parsed request whole (it dispatches on fn.length).
    (areq: BrowserRequest, done: (err: Error | null, client?: ClientRecord, redirectUri?: string) => void) => {
      done(null, areq.eop.client, areq.eop.redirectUri);
    },
    immediate,
  );
  // loadTransaction: false, because our own steps load (and check) the pending request.
  const resume = oauth2.resume({ userProperty: USER_PROPERTY, loadTransaction: false }, immediate);
  const decision = oauth2.decision({ userProperty: USER_PROPERTY, loadTransaction: false }, (req: Request, done: (err: Error | null, ares?: object) => void) =>
    done(null, { allow: (req.body as Record<string, string>).decision === 'allow' }),
  );

  /** After login or consent is needed: the login page (or the host's), or the consent page. */
  const ask = async (req: Request, res: Response, id: string, record: InteractionRecord, client: ClientRecord, user?: Principal) => {
    if (!user) {
      if (o.loginUrl) {
        const url = new URL(o.loginUrl, 'http://relative.invalid');
        url.searchParams.set('return_to', `${path('/authorize/continue', req)}?transaction_id=${encodeURIComponent(id)}`);
        return sendRedirect(res, o.loginUrl.startsWith('/') ? url.pathname + url.search : url.href);
      }
      return showLogin(req, res, id, record, client, 200);
    }
    const page: ConsentPage = {
      action: path('/authorize/decision', req),
      transactionId: id,
      csrfToken: record.csrfToken,
      clientName: client.name ?? client.id,
      userName: user.name,
      scopes: record.scope.map((name) => ({ name, description: o.scopeDescriptions[name] })),
      formTargets: [new URL(record.redirectUri).origin],
    };
    if (o.renderConsentPage) {
      setHookPageHeaders(res);
      return o.renderConsentPage(page, req, res);
    }
    renderConsent(res, page, o.pageCss);
  };

  const showLogin = async (
    req: Request,
    res: Response,
    id: string,
    record: InteractionRecord,
    client: ClientRecord,
    status: number,
    extra: { error?: string; username?: string } = {},
  ) => {
    const page: LoginPage = {
      action: path('/login', req),
      transactionId: id,
      csrfToken: record.csrfToken,
      clientName: client.name ?? client.id,
      realms: o.realms,
      formTargets: [new URL(record.redirectUri).origin],
      ...extra,
    };
    if (o.renderLoginPage) {
      setHookPageHeaders(res);
      res.statusCode = status;
      return o.renderLoginPage(page, req, res);
    }
    renderLogin(res, page, status, o.pageCss);
  };

  /** Loads the pending request named by a form or link, re-checking its client. */
  const loadPending = async (req: Request, id: unknown) => {
    const record = await o.interactions.load(req, id);
    setRedirectTarget(req, { redirectUri: record.redirectUri, responseType: record.responseType, state: record.state });
    const client = await o.stores.clients.findById(record.clientId);
    if (!client || (await clientRefusal(o.stores.clients, client)) !== undefined) {
      throw new InteractionError('The application is no longer available.');
    }
    return { id: id as string, record, client };
  };

  /** A form POST of ours: its body, and the pending request it names, CSRF-checked. */
  const readForm = async (req: Request) => {
    const body = await readParams(req);
    const pending = await loadPending(req, body.transaction_id);
    o.interactions.checkCsrf(pending.record, body.csrf_token);
    return { body, ...pending };
  };

  /** After oauth2orize stored or resumed the request without deciding: ask the user. */
  const askStored = asyncHandler(async (req, res) => {
    const stored = storedInteractions.get(req) as { id: string; record: InteractionRecord };
    const txn = (req as WithTxn).oauth2 as Txn;
    await ask(req, res, stored.id, stored.record, txn.client, txn.user);
  });

  /** Rebuilds oauth2orize's transaction from a stored interaction. */
  const toTxn = (req: Request, id: string, record: InteractionRecord, client: ClientRecord, user: Principal | undefined): Txn => {
    const eop: BrowserRequest['eop'] = {
      client,
      redirectUri: record.redirectUri,
      responseType: record.responseType,
      scope: record.scope,
      interaction: record,
      ...(record.state !== undefined ? { state: record.state } : {}),
      ...(record.codeChallenge !== undefined ? { codeChallenge: record.codeChallenge, codeChallengeMethod: record.codeChallengeMethod } : {}),
    };
    const areq: BrowserRequest = { type: record.responseType, clientID: client.id, redirectURI: record.redirectUri, ip: req.ip, eop };
    if (record.state !== undefined) areq.state = record.state;
    return { transactionID: id, client, redirectURI: record.redirectUri, req: areq, ...(user ? { user } : {}) };
  };

  /** The signed-in user of a pending request: the host's session first, else our login. */
  const currentUser = async (req: Request, record: InteractionRecord) => {
    const host = await hostPrincipal(req, o.stores, o.authenticateUser);
    if (host) return host;
    if (record.userId === undefined) return undefined;
    return loadPrincipal(o.stores, { id: record.userId, ...(record.realm !== undefined ? { realm: record.realm } : {}) });
  };

  // GET /authorize ------------------------------------------------------------------------
  router.get(
    `${o.basePath}/authorize`,
    o.limits.ip('authorize'),
    asyncHandler(async (req, res) => {
      const request: AuthorizeRequest = await validateAuthorizeRequest(req, o.stores.clients, { allowPlainPkce: o.allowPlainPkce }, (t) =>
        setRedirectTarget(req, t),
      );
      await o.limits.client(req, res, request.client, 'authorize');
      requests.set(req, request);
      const user = await hostPrincipal(req, o.stores, o.authenticateUser);
      if (user) (req as unknown as Record<string, unknown>)[USER_PROPERTY] = user;
    }),
    authorization,
    askStored,
    o.errorHandler,
  );

  // POST /login ---------------------------------------------------------------------------
  router.post(
    `${o.basePath}/login`,
    o.limits.ip('login'),
    asyncHandler(async (req, res) => {
      const { body, id, record, client } = await readForm(req);
      // The page is shown again with the reason; metrics count it as the password grant would.
      const refuse = (outcome: OAuthErrorCode, error: string) => {
        setOutcome(req, outcome);
        return showLogin(req, res, id, record, client, 400, { error, username: body.username });
      };
      const realm = o.realms.length > 0 ? body.realm : undefined;
      if (o.realms.length > 0 && !o.realms.some((r) => r.id === realm)) return refuse('invalid_request', 'Choose an account type.');
      const username = body.username ?? '';
      // Before any lookup or bcrypt: a username whose budget of failures is spent costs nothing (429).
      const attempt = await o.limits.password(req, res, { username, realm, clientId: client.id, endpoint: 'login' });
      const user = username ? await o.stores.users.findByUsername(username, { realm }) : undefined;
      const valid = await o.verifyPassword(body.password ?? '', user?.passwordHash);
      if (!user || !valid) {
        o.emit('user.authentication_failed', { ip: req.ip, clientId: client.id, username, realm, via: 'login_page' });
        return refuse('invalid_grant', 'The username or password is incorrect.');
      }
      await attempt.succeeded();
      if (user.disabled) return refuse('invalid_grant', 'This account is disabled.');
      if (isPasswordExpired(user, o.maxPasswordAgeDays)) return refuse('invalid_grant', `${PASSWORD_EXPIRED}.`);
      await o.interactions.setUser(record, { id: user.id, ...(realm !== undefined ? { realm } : {}) });
      sendRedirect(res, `${path('/authorize/continue', req)}?transaction_id=${encodeURIComponent(id)}`);
    }),
    o.errorHandler,
  );

  // GET /authorize/continue -----------------------------------------------------------------
  router.get(
    `${o.basePath}/authorize/continue`,
    o.limits.ip('authorize'),
    asyncHandler(async (req, res) => {
      const { id, record, client } = await loadPending(req, new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('transaction_id'));
      let current = record;
      const user = await currentUser(req, record);
      if (!user) return ask(req, res, id, record, client, undefined);
      if (record.userId !== user.id) current = await o.interactions.setUser(record, user);
      storedInteractions.set(req, { id, record: current });
      (req as WithTxn).oauth2 = toTxn(req, id, current, client, user);
      (req as unknown as Record<string, unknown>)[USER_PROPERTY] = user;
    }),
    resume,
    askStored,
    o.errorHandler,
  );

  // POST /authorize/decision ----------------------------------------------------------------
  router.post(
    `${o.basePath}/authorize/decision`,
    o.limits.ip('authorize'),
    asyncHandler(async (req) => {
      const { body, id, record, client } = await readForm(req);
      req.body = body; // oauth2orize's decision() reads req.body
      const user = await currentUser(req, record);
      // The decision belongs to the user who signed in for this very request.
      if (!user || user.id !== record.userId) throw new InteractionError('This request belongs to another sign-in. Start again.');
      if (body.decision !== 'allow' && body.decision !== 'deny') throw new InvalidRequestError("decision must be 'allow' or 'deny'");
      if (!(await o.interactions.consume(record))) throw replayed();
      if (body.decision === 'allow') await rememberConsent(o.stores, client, user, record.scope);
      // oauth2orize redirects a denial itself, with error=access_denied (RFC 6749 §4.1.2.1).
      else setOutcome(req, 'access_denied');
      o.emit(body.decision === 'allow' ? 'consent.granted' : 'consent.denied', { ip: req.ip, clientId: client.id, userId: user.id, scope: record.scope });
      (req as WithTxn).oauth2 = toTxn(req, id, record, client, user);
      (req as unknown as Record<string, unknown>)[USER_PROPERTY] = user;
    }),
    decision,
    o.errorHandler,
  );
}

/** The oauth2orize transaction store: our interactions, without any session. */
export function interactionTransactionStore(getInteractions: () => Interactions) {
  return {
    // Loading is done by our own steps (they check the browser and the CSRF token first).
    load: (_req: Request, cb: (err: Error) => void) => cb(new Error('transactions are loaded by the router')),
    store: (req: WithTxn, txn: Txn, cb: (err: Error | null, id?: string) => void) => {
      const eop = txn.req.eop;
      const pending = {
        clientId: eop.client.id,
        redirectUri: eop.redirectUri,
        responseType: eop.responseType,
        scope: eop.scope,
        ...(eop.state !== undefined ? { state: eop.state } : {}),
        ...(eop.codeChallenge !== undefined ? { codeChallenge: eop.codeChallenge, codeChallengeMethod: eop.codeChallengeMethod } : {}),
        ...(txn.user ? { userId: txn.user.id, ...(txn.user.realm !== undefined ? { realm: txn.user.realm } : {}) } : {}),
      };
      getInteractions()
        .create(req, req.res as Response, pending)
        .then((created) => {
          storedInteractions.set(req, created);
          cb(null, created.id);
        }, cb);
    },
    // The user was already recorded by our steps; consumption is explicit (never on res.end).
    update: (_req: Request, id: string, _txn: Txn, cb: (err: Error | null, id?: string) => void) => cb(null, id),
    remove: (_req: Request, _id: string, cb: () => void) => cb(),
  };
}

function replayed(): InteractionError {
  return new InteractionError('This request was already decided. Return to the application and start again.');
}

/** A host-rendered page keeps its own CSP for content, but never caching or framing. */
function setHookPageHeaders(res: Response): void {
  setPageHeaders(res, newNonce(), []);
  res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
}
