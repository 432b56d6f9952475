import type { NextFunction, Request, Response, Router } from 'express';
import { type DirectRoute, routerTraced } from './direct-route';

type Handle = (this: Router, req: Request, res: Response, next: NextFunction) => void;

/**
 * A request whose path is outside every prefix we serve skips our router entirely: the host's
 * own routes behind `app.use(oauth.router)` (a bearer-protected API, typically) then pay one
 * regex test, not our router's set-up (Express's Router.handle: URL parsing, `baseUrl` and
 * `params` bookkeeping, closures) and a walk over a dozen route layers. A request for exactly
 * the `direct` route's method and path goes straight to it (lib/router/direct-route.ts),
 * unless the router's tracing channel has listeners.
 *
 * Both Express 4's and 5's routers are functions that call `router.handle(req, res, next)`
 * looked up on the router itself, so the guard is an own `handle` on our router instance that
 * defers to the original (no prototype is touched). `req.url` is relative to where the router
 * is mounted, as the route paths are. Anything unusual (no `next`, a URL not starting with
 * "/") goes to the original handle, which decides as before.
 */
export function guardRouter(router: Router, prefixes: string[], direct?: DirectRoute): void {
  const owns = ownsPath(prefixes);
  if (!owns && !direct) return;
  const target = router as unknown as { handle: Handle };
  const handle = target.handle;
  target.handle = function guardedHandle(this: Router, req, res, next) {
    const url = req.url;
    if (typeof next !== 'function' || url.charCodeAt(0) !== 0x2f) return handle.call(this, req, res, next);
    if (direct !== undefined && url === direct.path && req.method === direct.method && !routerTraced()) return direct.handle(req, res, next);
    if (!owns || owns(url)) return handle.call(this, req, res, next);
    next();
  };
}

/**
 * Whether a path may be ours. Express matches routes case-insensitively on the raw (undecoded)
 * path, so a route can only match a path that starts with one of our prefixes in any case: the
 * test is a superset of the routes. `undefined` when a prefix is empty (`basePath: ''`):
 * everything may be ours, no guard.
 */
export function ownsPath(prefixes: string[]): ((path: string) => boolean) | undefined {
  if (prefixes.some((p) => p === '' || p === '/')) return undefined;
  const ours = new RegExp(`^(?:${prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'i');
  return (path) => ours.test(path);
}
