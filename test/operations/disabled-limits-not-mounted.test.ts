/**
 * A rate limit that is off is not a step of any route at all (not a pass-through middleware):
 * `rateLimits: false`, as the benchmark runs, costs nothing per request, and its modules are
 * not even loaded.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createOAuthServer, type OAuthServerOptions } from '../../lib';
import { ISSUER, JWT_SECRET, seedStores } from '../helpers/fixtures';

interface Layer {
  name: string;
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
}

/** The names of the steps of the POST route at `path` (Express 4 and 5 keep the same shape). */
function postSteps(overrides: Partial<OAuthServerOptions>, path: string): string[] {
  const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, ...overrides });
  const stack = (oauth.router as unknown as { stack: Layer[] }).stack;
  const route = stack.find((l) => l.route?.path === path && l.route.methods.post)?.route;
  if (!route) throw new Error(`no POST route at ${path}`);
  return route.stack.map((l) => l.name);
}

describe('IP rate limits that are off are not mounted', () => {
  it.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'])('POST %s starts with the IP limit by default', (path) => {
    expect(postSteps({}, path)[0]).toBe('limitIp');
  });

  it.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'])('POST %s has no IP step with rateLimits: false', (path) => {
    expect(postSteps({ rateLimits: false }, path)).not.toContain('limitIp');
  });

  it('lists the token endpoint steps with rateLimits: false', () => {
    expect(postSteps({ rateLimits: false }, '/oauth2/token')).toEqual([
      'issueTokens', // body, client authentication, client limit, grant type check, exchange
      expect.any(String), // the error handler
    ]);
  });
});

describe('express-rate-limit is loaded only when a limit needs it', () => {
  // In a child process: this jest worker's module registry already holds what other tests loaded.
  const LOADED = `
const { createOAuthServer, createMemoryStores } = require('./lib');
const overrides = process.argv[1] === 'off' ? { rateLimits: false } : {};
createOAuthServer({ issuer: 'https://as.example', stores: createMemoryStores(), signing: { secret: '${JWT_SECRET}' }, ...overrides });
const modules = Object.keys(require.cache).map((p) => /node_modules[\\\\/](express-rate-limit|ip-address)[\\\\/]/.exec(p)?.[1]).filter(Boolean);
process.stdout.write(JSON.stringify([...new Set(modules)].sort()));
`;
  const loaded = (mode: string): string[] =>
    JSON.parse(execFileSync(process.execPath, ['-r', './scripts/register-ts.js', '-e', LOADED, mode], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' }));

  it('loads it (and ip-address, about 0.5 MB of heap) with the default limits', () => {
    expect(loaded('default')).toEqual(['express-rate-limit', 'ip-address']);
  });

  it('loads neither with rateLimits: false', () => {
    expect(loaded('off')).toEqual([]);
  });
});
