/**
 * The direct token route (lib/router/direct-route.ts, docs/adr/0022-direct-token-route.md): a
 * POST to exactly the token path runs the token endpoint's steps without the router walk, and
 * answers exactly as the route does; every other spelling of the path, and every request while
 * the router's tracing channel has listeners, takes the route.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import request from 'supertest';
import { createOAuthServer, createMemoryStores } from '../../lib';
import { runSteps } from '../../lib/router/direct-route';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { CC_ONLY, CONFIDENTIAL, ISSUER, JWT_SECRET, basic, makeApp } from '../helpers/fixtures';

declare const EXPECTED_EXPRESS_MAJOR: number;

/** Counts the requests that reach the token route through the router (its layer's dispatch). */
function countRouteDispatches(router: express.Router, path: string): () => number {
  const layer = (router.stack as unknown as { route?: { path: string }; handle: RequestHandler }[]).find((l) => l.route?.path === path);
  if (!layer) throw new Error(`no route layer for ${path}`);
  let dispatched = 0;
  const original = layer.handle;
  layer.handle = function counted(this: unknown, req, res, next) {
    dispatched++;
    return original.call(this, req, res, next);
  };
  return () => dispatched;
}

function ccRequest(app: express.Express, url: string, secret = CC_ONLY.secret) {
  return request(app).post(url).set('Authorization', basic(CC_ONLY.id, secret)).type('form').send({ grant_type: 'client_credentials' });
}

describe('POST to exactly the token path', () => {
  it('is answered without the router walk (RFC 6749 section 4.4 token response)', async () => {
    const { app, oauth } = makeApp({ rateLimits: false });
    const dispatches = countRouteDispatches(oauth.router, '/oauth2/token');
    expectTokenResponse(await ccRequest(app, '/oauth2/token'), { expires_in: 3600 });
    expect(dispatches()).toBe(0);
  });

  it('takes the route for every other spelling of the path: query string, trailing slash, other case', async () => {
    const { app, oauth } = makeApp({ rateLimits: false });
    const dispatches = countRouteDispatches(oauth.router, '/oauth2/token');
    for (const url of ['/oauth2/token?via=router', '/oauth2/token/', '/OAuth2/Token']) {
      expectTokenResponse(await ccRequest(app, url), { expires_in: 3600 });
    }
    expect(dispatches()).toBe(3);
  });

  it('is relative to where the router is mounted, and works with basePath "" (no path guard)', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: makeApp().stores, signing: { secret: JWT_SECRET }, basePath: '', rateLimits: false });
    const app = express();
    app.use('/auth', oauth.router);
    const dispatches = countRouteDispatches(oauth.router, '/token');
    expectTokenResponse(await ccRequest(app, '/auth/token'), { expires_in: 3600 });
    expect(dispatches()).toBe(0);
  });

  it('answers other methods at the path with 405 through the route, as before', async () => {
    const { app } = makeApp({ rateLimits: false });
    const res = await request(app).get('/oauth2/token');
    expectOAuthError(res, 405, 'invalid_request', 'The token endpoint accepts POST only');
    expect(res.headers.allow).toBe('POST');
  });

  it('takes the route while the router tracing channel has subscribers, so traces show its layers (Express 5; Express 4 publishes none)', async () => {
    const { app, oauth } = makeApp({ rateLimits: false });
    const dispatches = countRouteDispatches(oauth.router, '/oauth2/token');
    const channel = tracingChannel('express.router.request');
    const seen: string[] = [];
    const subscribers = { start: () => seen.push('start'), end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
    channel.subscribe(subscribers);
    try {
      expectTokenResponse(await ccRequest(app, '/oauth2/token'), { expires_in: 3600 });
    } finally {
      channel.unsubscribe(subscribers);
    }
    expect(dispatches()).toBe(1);
    expect(seen.length > 0).toBe(EXPECTED_EXPRESS_MAJOR === 5);
    expectTokenResponse(await ccRequest(app, '/oauth2/token'), { expires_in: 3600 });
    expect(dispatches()).toBe(1);
  });
});

describe('the direct route answers exactly as the route does', () => {
  /** Everything of a response but what differs per request (the date, the token itself). */
  function shape(res: request.Response) {
    const { date: _date, ...headers } = res.headers;
    const body = { ...(res.body as Record<string, unknown>) };
    if (typeof body.access_token === 'string') body.access_token = '(a token)';
    return { status: res.status, headers, body };
  }

  async function both(app: express.Express, send: (url: string) => request.Test) {
    return { direct: shape(await send('/oauth2/token')), routed: shape(await send('/oauth2/token?via=router')) };
  }

  it('for a token response (RFC 6749 section 5.1)', async () => {
    const { app } = makeApp({ rateLimits: false });
    const { direct, routed } = await both(app, (url) => ccRequest(app, url));
    expect(direct).toEqual(routed);
    expect(direct.status).toBe(200);
  });

  it('for invalid_client with its Basic challenge (RFC 6749 section 5.2)', async () => {
    const { app } = makeApp({ rateLimits: false });
    const { direct, routed } = await both(app, (url) => ccRequest(app, url, 'wrong-secret'));
    expect(direct).toEqual(routed);
    expect(direct.status).toBe(401);
    expect(direct.headers['www-authenticate']).toBe(`Basic realm="${ISSUER}"`);
  });

  it('for a grant the client may not use (unauthorized_client)', async () => {
    const { app } = makeApp({ rateLimits: false });
    const send = (url: string) => request(app).post(url).set('Authorization', basic(CC_ONLY.id, CC_ONLY.secret)).type('form').send({ grant_type: 'password', username: 'a', password: 'b' });
    const { direct, routed } = await both(app, send);
    expect(direct).toEqual(routed);
    expect(direct.body).toEqual({ error: 'unauthorized_client', error_description: 'The client may not use the password grant' });
  });

  it('for the IP rate limit (429 with Retry-After), which runs first on both', async () => {
    const { app } = makeApp({ rateLimits: { ip: { token: { limit: 1, windowSeconds: 60 } }, client: false, username: false } });
    const first = await ccRequest(app, '/oauth2/token');
    expect(first.status).toBe(200);
    const { direct, routed } = await both(app, (url) => ccRequest(app, url));
    expect(direct).toEqual(routed);
    expect(direct.status).toBe(429);
    expect(direct.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('for a store that fails (500 server_error, nothing internal in the body)', async () => {
    const stores = createMemoryStores({ clients: [{ id: CONFIDENTIAL.id, secret: CONFIDENTIAL.secret, grants: ['client_credentials'] }] });
    stores.tokens.saveAccessToken = () => Promise.reject(new Error('disk on fire'));
    const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, rateLimits: false, logger: { error: () => undefined, warn: () => undefined } });
    const app = express();
    app.use(oauth.router);
    const send = (url: string) => request(app).post(url).set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    const { direct, routed } = await both(app, send);
    expect(direct).toEqual(routed);
    expect(direct.status).toBe(500);
    expect(direct.body).toEqual({ error: 'server_error', error_description: 'The server encountered an unexpected condition' });
  });
});

describe('runSteps follows Express route semantics', () => {
  type Script = (name: string, req: Request, res: Response, next: NextFunction) => void;

  /**
   * Runs the same steps once as an Express route (with the 405 step after it and an app-level
   * error handler and fallback after the router) and once through runSteps, and returns what
   * each did, in order.
   */
  async function compare(scripts: { steps: Script[]; onError: (err: unknown, next: NextFunction) => void }) {
    const run = async (direct: boolean) => {
      const trace: string[] = [];
      const steps: RequestHandler[] = scripts.steps.map((script, i) => (req, res, next) => {
        trace.push(`step${i}`);
        script(`step${i}`, req, res, next);
      });
      const onError: ErrorRequestHandler = (err, _req, _res, next) => {
        trace.push(`onError(${String((err as Error).message ?? err)})`);
        scripts.onError(err, next);
      };
      const after: RequestHandler = (_req, res) => {
        trace.push('after');
        res.status(405).end();
      };
      const app = express();
      if (direct) {
        const handle = runSteps(steps, onError, after);
        app.use((req, res, next) => handle(req, res, next));
      } else {
        const router = express.Router();
        router.post('/x', ...steps, onError);
        router.all('/x', after);
        app.use(router);
      }
      app.use((_req: Request, res: Response) => {
        trace.push('fallback');
        res.status(404).end();
      });
      app.use(((err, _req, res, _next) => {
        trace.push(`app error(${String((err as Error).message)})`);
        res.status(500).end();
      }) as ErrorRequestHandler);
      const res = await request(app).post('/x');
      return { trace, status: res.status };
    };
    return { direct: await run(true), routed: await run(false) };
  }

  const cases: [string, Parameters<typeof compare>[0]][] = [
    ['next() through every step, then the step after the route', { steps: [(_n, _q, _s, next) => next(), (_n, _q, _s, next) => next()], onError: () => undefined }],
    ['a step that answers ends the chain', { steps: [(_n, _q, res) => void res.status(200).end(), (_n, _q, _s, next) => next()], onError: () => undefined }],
    ['next(err) skips the remaining steps to the error handler', { steps: [(_n, _q, _s, next) => next(new Error('e1')), (_n, _q, _s, next) => next()], onError: (_e, next) => next() }],
    ['a step that throws goes to the error handler', { steps: [() => { throw new Error('thrown'); }], onError: (err, next) => next(err) }],
    ['an error the handler passes on reaches the app', { steps: [(_n, _q, _s, next) => next(new Error('e2'))], onError: (err, next) => next(err) }],
    ['an error handler that throws reaches the app', { steps: [(_n, _q, _s, next) => next(new Error('e3'))], onError: () => { throw new Error('handler failed'); } }],
    ["next('route') goes to the step after the route", { steps: [(_n, _q, _s, next) => next('route'), (_n, _q, _s, next) => next()], onError: () => undefined }],
    ["next('router') leaves the router", { steps: [(_n, _q, _s, next) => next('router')], onError: () => undefined }],
  ];

  it.each(cases)('%s', async (_name, scripts) => {
    const { direct, routed } = await compare(scripts);
    expect(direct).toEqual(routed);
  });
});
