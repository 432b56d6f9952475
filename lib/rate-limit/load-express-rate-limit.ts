import type * as ExpressRateLimit from 'express-rate-limit';

let loaded: typeof ExpressRateLimit | undefined;

/**
 * express-rate-limit, loaded on the first limiter or store made. With ip-address, which it
 * loads, it keeps about 0.5 MB of heap in a server (measured: createOAuthServer with the
 * default limits 0.65 MB, with `rateLimits: false` 0.18 MB). A server with `rateLimits: false`
 * and no client or group budgets never needs either.
 */
export function expressRateLimit(): typeof ExpressRateLimit {
  // A runtime require on purpose: a static import would load it whether limits are on or off.
  loaded ??= require('express-rate-limit') as typeof ExpressRateLimit;
  return loaded;
}
