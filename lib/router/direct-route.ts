import { tracingChannel } from 'node:diagnostics_channel';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * A route that a request reaches without Express's router walk, when its URL is exactly the
 * route's path and its method the route's method (docs/adr/0022-direct-token-route.md).
 *
 * Entering our router and dispatching its route cost the token endpoint a measurable share of
 * its work: Router.handle's closures, a path match, and writes of `req.params`, `req.next`,
 * `req.baseUrl` and `req.route` on the way in and out, which V8 handles on slow paths for
 * Express's request objects (callgrind counts them in map migration and property lookup).
 * The same steps stay registered on the router as an ordinary
 * route, which serves every other spelling of the path (another case, a trailing slash, a
 * query string).
 */
export interface DirectRoute {
  method: string;
  /** The path as registered, relative to where the router is mounted. */
  path: string;
  handle: (req: Request, res: Response, next: NextFunction) => void;
}

/**
 * Runs a route's steps the way Express runs them for a route that matched:
 * - `next()` goes to the next step; past the last one, to `after` (the layer the router would
 *   reach next: for the token endpoint, its 405 answer);
 * - `next(err)` and a step that throws go to `onError`; what `onError` passes on leaves the
 *   route with the error (to the host's error handlers);
 * - `next('route')` goes to `after`, `next('router')` leaves the router.
 * The steps are the library's own, none returns a promise to be watched.
 */
export function runSteps(steps: readonly RequestHandler[], onError: ErrorRequestHandler, after: RequestHandler): DirectRoute['handle'] {
  return (req, res, done) => {
    let index = 0;
    let failed = false;
    const next = (err?: unknown): void => {
      if (err === 'router') done();
      else if (err === 'route' || (failed && !err)) call(after, done);
      else if (err && failed) done(err);
      else if (err) {
        failed = true;
        try {
          onError(err, req, res, next);
        } catch (thrown) {
          done(thrown);
        }
      } else {
        const step = steps[index++];
        if (step === undefined) call(after, done);
        else call(step, next);
      }
    };
    const call = (handler: RequestHandler, then: (err?: unknown) => void) => {
      try {
        void handler(req, res, then);
      } catch (thrown) {
        then(thrown);
      }
    };
    next();
  };
}

const routerTracing = tracingChannel('express.router.request');

/**
 * Whether someone listens to the router's tracing channel (router 2.3+, which Express 5
 * uses): then every request takes the router walk, so that traces show our route's layers as
 * they show the host's.
 */
export function routerTraced(): boolean {
  const ch = routerTracing;
  return ch.start.hasSubscribers || ch.end.hasSubscribers || ch.asyncStart.hasSubscribers || ch.asyncEnd.hasSubscribers || ch.error.hasSubscribers;
}
