import type { Strategy } from 'passport-strategy';

/**
 * Runs one passport Strategy on one request, as `passport.authenticate(name, callback)` does
 * for a single strategy: an `Object.create`d copy of the strategy gets `success`, `fail` and
 * `error` for this request, and resolves with the user (here, the client) or `false`.
 *
 * Why not passport.authenticate itself: on the token endpoint it cost a closure, five request
 * properties and the session-manager plumbing per request, for none of which we have a use
 * (no sessions, one strategy chosen by us). test/token/run-strategy-parity.test.ts runs our
 * strategies both ways and finds the same outcomes (docs/adr/0017-passport-off-the-hot-paths.md).
 * `redirect` and `pass` are never called by our strategies; if one were, it is an error, not a hang.
 */
export function runStrategy<T>(strategy: Strategy, req: unknown): Promise<T | false> {
  return new Promise((resolve, reject) => {
    const attempt = Object.create(strategy) as Strategy & Record<'success' | 'fail' | 'error' | 'redirect' | 'pass', unknown>;
    attempt.success = (user: T) => resolve(user);
    attempt.fail = () => resolve(false);
    attempt.error = (err: unknown) => reject(err);
    attempt.redirect = () => reject(new Error('the strategy redirected, which client authentication never does'));
    attempt.pass = () => reject(new Error('the strategy passed, which client authentication never does'));
    try {
      attempt.authenticate(req as never, {});
    } catch (err) {
      reject(err);
    }
  });
}
