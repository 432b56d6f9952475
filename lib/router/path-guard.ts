import type { RequestHandler } from 'express';

/**
 * The router's first step (after the metrics observer): a request whose path is outside every
 * prefix we serve leaves the router at once with `next('router')` (Express 4 and 5), instead of
 * being matched against each of our routes in turn. The host's own routes behind
 * `app.use(oauth.router)` (a bearer-protected API, typically) then pay one regex test, not a
 * dozen layers.
 *
 * Express matches routes case-insensitively on the raw path, so a route can only match a path
 * that starts with one of our prefixes in any case: the test is a superset of the routes.
 * `undefined` when a prefix is empty (`basePath: ''`): everything may be ours, no guard.
 */
export function leaveForeignPaths(prefixes: string[]): RequestHandler | undefined {
  if (prefixes.some((p) => p === '' || p === '/')) return undefined;
  const ours = new RegExp(`^(?:${prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'i');
  return (req, _res, next) => (ours.test(req.path) ? next() : next('router'));
}
