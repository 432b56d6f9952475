import type { JsonWebKey } from 'node:crypto';
import { TemporarilyUnavailableError } from '../errors';
import type { Logger } from '../internal/logger';
import { importJwk, type VerificationKey } from '../tokens/keys';

/**
 * The keys of a remote authorization server, from its JWKS: fetched on first use; after
 * `maxAge` refreshed in the background while the cached keys keep serving; fetched at once
 * when a token names an unknown `kid` (a key rotation), but at most once per `cooldown`, so a
 * stream of forged kids cannot hammer the server. Concurrent misses share one fetch. Only
 * asymmetric signature keys (RS256/ES256, `use` absent or `sig`) are accepted. If no JWKS has
 * ever loaded, lookups fail with `temporarily_unavailable` (a server problem, not the token's).
 */
export function createRemoteKeySet(options: {
  jwksUri: string;
  logger: Logger;
  maxAgeMs?: number;
  cooldownMs?: number;
  fetch?: typeof fetch;
}): (kid: string) => Promise<VerificationKey | undefined> {
  const maxAge = options.maxAgeMs ?? 10 * 60_000;
  const cooldown = options.cooldownMs ?? 30_000;
  const fetchImpl = options.fetch ?? fetch;
  let keys = new Map<string, VerificationKey>();
  let fetchedAt = 0;
  let loaded = false;
  let inFlight: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      try {
        const res = await fetchImpl(options.jwksUri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        const body = (await res.json()) as { keys?: unknown };
        if (!Array.isArray(body.keys)) throw new Error('JWKS has no keys array');
        const next = new Map<string, VerificationKey>();
        for (const jwk of body.keys as (JsonWebKey & { use?: unknown })[]) {
          if (jwk.use !== undefined && jwk.use !== 'sig') continue;
          try {
            const key = importJwk(jwk, 'jwks');
            if (key.alg !== 'HS256') next.set(key.kid, { kid: key.kid, alg: key.alg, verifyKey: key.verifyKey });
          } catch {
            // A key we cannot use (another algorithm, a malformed entry) is skipped, not fatal.
          }
        }
        keys = next;
        loaded = true;
      } catch (err) {
        // Keep the keys we had: a JWKS outage must not turn every valid token away.
        options.logger.warn({ err, jwksUri: options.jwksUri }, 'Could not refresh the JWKS');
      } finally {
        fetchedAt = Date.now();
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return async (kid) => {
    const age = Date.now() - fetchedAt;
    if (!loaded || (!keys.has(kid) && age > cooldown)) await refresh();
    else if (age > maxAge) void refresh(); // stale: serve from cache, refresh behind
    if (!loaded) throw new TemporarilyUnavailableError(new Error(`The JWKS at ${options.jwksUri} could not be loaded`));
    return keys.get(kid);
  };
}
