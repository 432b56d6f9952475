/**
 * The metrics option: off by default, a host's own registry and prefix, prom-client's global
 * registry left alone, several servers in one process, custom buckets, validation, and the
 * outcome labels of unusual responses (429, unknown codes, a host hook's own status).
 */
import express from 'express';
import { Counter, Gauge, Registry, register as globalRegistry } from 'prom-client';
import request from 'supertest';
import { ConfigurationError, createMemoryStores, createOAuthServer, type OAuthErrorCode, OAuthError, type OAuthServerOptions } from '../../lib';
import { codeRequest, makeBrowserApp } from '../helpers/authorize-fixtures';
import { Browser } from '../helpers/browser-flow';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, SPECIAL, basic, seedStores } from '../helpers/fixtures';
import { parsePrometheusText, samplesOf, seriesValue } from '../helpers/prometheus-text';

const base = (extra: Partial<OAuthServerOptions> = {}): OAuthServerOptions => ({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, ...extra });

const clientCredentials = (app: express.Express, path = '/oauth2/token', client: { id: string; secret: string } = CONFIDENTIAL) =>
  request(app).post(path).set('Authorization', basic(client.id, client.secret)).type('form').send({ grant_type: 'client_credentials' });

async function scrape(app: express.Express, path = '/metrics') {
  const res = await request(app).get(path);
  expect(res.status).toBe(200);
  return parsePrometheusText(res.text);
}

const tokenSuccess = { endpoint: 'token', grant_type: 'client_credentials', outcome: 'success' };

describe('metrics option', () => {
  it('is off by default: metricsHandler answers 404 and says how to turn metrics on', async () => {
    const oauth = createOAuthServer(base());
    const app = express().use(oauth.router).get('/metrics', oauth.metricsHandler);
    expect((await clientCredentials(app)).status).toBe(200);
    const res = await request(app).get('/metrics');
    expect({ status: res.status, type: res.headers['content-type'], text: res.text }).toEqual({
      status: 404,
      type: 'text/plain; charset=utf-8',
      text: 'Metrics are not enabled: createOAuthServer({ metrics: true }) turns them on\n',
    });
  });

  it("registers in the host's registry under the host's prefix, next to the host's own metrics", async () => {
    const registry = new Registry();
    new Counter({ name: 'app_jobs_total', help: 'Jobs', registers: [registry] }).inc(3);
    const oauth = createOAuthServer(base({ metrics: { registry, prefix: 'auth_' } }));
    const app = express().use(oauth.router).get('/metrics', oauth.metricsHandler);
    await clientCredentials(app);

    const served = await scrape(app);
    expect([...served.families.keys()].sort()).toEqual([
      'app_jobs_total',
      'auth_bearer_requests_total',
      'auth_request_duration_seconds',
      'auth_requests_total',
      'auth_security_events_total',
      'auth_tokens_issued_total',
      'auth_tokens_revoked_total',
    ]);
    expect(seriesValue(served, 'app_jobs_total', {})).toBe(3);
    expect(seriesValue(served, 'auth_requests_total', tokenSuccess)).toBe(1);
    // The host serving its registry itself sees the same.
    expect(seriesValue(parsePrometheusText(await registry.metrics()), 'auth_requests_total', tokenSuccess)).toBe(1);
  });

  it("never registers in prom-client's global registry", async () => {
    const oauth = createOAuthServer(base({ metrics: true }));
    await clientCredentials(express().use(oauth.router));
    expect(globalRegistry.getMetricsAsArray().map((m) => m.name)).toEqual([]);
  });

  it('keeps two servers in one process apart: each has its own registry and counts', async () => {
    const first = createOAuthServer(base({ metrics: true }));
    const second = createOAuthServer(base({ metrics: true }));
    const app = express();
    app.use('/first', first.router).get('/first/metrics', first.metricsHandler);
    app.use('/second', second.router).get('/second/metrics', second.metricsHandler);
    await clientCredentials(app, '/first/oauth2/token');
    await clientCredentials(app, '/second/oauth2/token');
    await clientCredentials(app, '/second/oauth2/token');
    expect(samplesOf(await scrape(app, '/first/metrics'), 'oauth_requests_total')).toEqual([{ labels: tokenSuccess, value: 1 }]);
    expect(samplesOf(await scrape(app, '/second/metrics'), 'oauth_requests_total')).toEqual([{ labels: tokenSuccess, value: 2 }]);
  });

  it('refuses a second server with the same prefix in a shared registry, and accepts another prefix', () => {
    const registry = new Registry();
    createOAuthServer(base({ metrics: { registry } }));
    expect(() => createOAuthServer(base({ metrics: { registry } }))).toThrow(
      new ConfigurationError('metrics.prefix', 'metrics.registry already has a metric named oauth_requests_total: give each server its own registry or prefix'),
    );
    createOAuthServer(base({ metrics: { registry, prefix: 'partner_oauth_' } }));
    expect(registry.getMetricsAsArray().map((m) => m.name)).toHaveLength(12);
  });

  it('counts requests wherever the router is mounted, with any basePath, and at the issuer-path metadata URL', async () => {
    const oauth = createOAuthServer(base({ issuer: 'https://example.test/tenant-a', basePath: '/o', metrics: true }));
    const app = express().use('/auth', oauth.router).get('/metrics', oauth.metricsHandler);
    expect((await clientCredentials(app, '/auth/o/token')).status).toBe(200);
    // Express matches routes without case and with a trailing slash: so do the metrics.
    expect((await clientCredentials(app, '/auth/O/Token/')).status).toBe(200);
    expect((await request(app).get('/auth/.well-known/oauth-authorization-server/tenant-a')).status).toBe(200);
    expect((await request(app).head('/auth/o/jwks')).status).toBe(200);
    // Not ours: the default basePath, and a POST to a GET-only endpoint.
    expect((await clientCredentials(app, '/auth/oauth2/token')).status).toBe(404);
    expect((await request(app).post('/auth/o/jwks')).status).toBe(404);
    const metrics = await scrape(app);
    expect(samplesOf(metrics, 'oauth_requests_total')).toEqual([
      { labels: tokenSuccess, value: 2 },
      { labels: { endpoint: 'metadata', grant_type: 'none', outcome: 'success' }, value: 1 },
      { labels: { endpoint: 'jwks', grant_type: 'none', outcome: 'success' }, value: 1 },
    ]);
  });

  it('uses the buckets given', async () => {
    const oauth = createOAuthServer(base({ metrics: { buckets: [0.5, 30] } }));
    const app = express().use(oauth.router).get('/metrics', oauth.metricsHandler);
    await clientCredentials(app);
    const buckets = samplesOf(await scrape(app), 'oauth_request_duration_seconds_bucket');
    expect(buckets).toEqual([
      { labels: { ...tokenSuccess, le: '0.5' }, value: 1 },
      { labels: { ...tokenSuccess, le: '30' }, value: 1 },
      { labels: { ...tokenSuccess, le: '+Inf' }, value: 1 },
    ]);
  });

  it('keeps client ids with any character intact in label values (escaped in the text)', async () => {
    const odd = { id: 'quote" back\\slash', secret: 'odd-client-secret-0123456789' };
    const stores = createMemoryStores({
      clients: [
        { ...SPECIAL, grants: ['client_credentials'], scopes: ['read'] },
        { ...odd, grants: ['client_credentials'], scopes: ['read'] },
      ],
    });
    const oauth = createOAuthServer(base({ stores, metrics: true }));
    const app = express().use(oauth.router).get('/metrics', oauth.metricsHandler);
    expect((await clientCredentials(app, '/oauth2/token', SPECIAL)).status).toBe(200);
    expect((await clientCredentials(app, '/oauth2/token', odd)).status).toBe(200);
    const res = await request(app).get('/metrics');
    expect(res.text).toContain('client_id="quote\\" back\\\\slash"');
    expect(samplesOf(parsePrometheusText(res.text), 'oauth_tokens_issued_total')).toEqual([
      { labels: { grant_type: 'client_credentials', client_id: SPECIAL.id }, value: 1 },
      { labels: { grant_type: 'client_credentials', client_id: odd.id }, value: 1 },
    ]);
  });

  it('answers 500 with no details when collecting fails (a throwing collect of the host), and logs why', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'app_broken',
      help: 'Broken',
      registers: [registry],
      collect() {
        throw new Error('queue database password=hunter2 unreachable');
      },
    });
    const logger = { warn: jest.fn(), error: jest.fn() };
    const oauth = createOAuthServer(base({ metrics: { registry }, logger }));
    const res = await request(express().get('/metrics', oauth.metricsHandler)).get('/metrics');
    expect({ status: res.status, type: res.headers['content-type'], text: res.text }).toEqual({
      status: 500,
      type: 'text/plain; charset=utf-8',
      text: 'Collecting the metrics failed\n',
    });
    expect(logger.error).toHaveBeenCalledWith({ err: expect.objectContaining({ message: 'queue database password=hunter2 unreachable' }) }, 'Collecting the metrics failed');
  });

  it.each([
    ['yes', 'metrics', 'must be true, false or { registry?, prefix?, perClient?, buckets? }'],
    [{ registy: new Registry() }, 'metrics.registy', 'unknown option (known: registry, prefix, perClient, buckets)'],
    [{ registry: {} }, 'metrics.registry', 'must be a prom-client Registry (new Registry() from prom-client)'],
    [{ prefix: '1oauth_' }, 'metrics.prefix', 'must be letters, digits, _ and : only, not starting with a digit (e.g. "oauth_")'],
    [{ prefix: 'o-auth_' }, 'metrics.prefix', 'must be letters, digits, _ and : only, not starting with a digit (e.g. "oauth_")'],
    [{ perClient: 'no' }, 'metrics.perClient', 'must be a boolean'],
    [{ buckets: [] }, 'metrics.buckets', 'must be a non-empty array of positive, finite, strictly ascending numbers of seconds'],
    [{ buckets: [0.1, 0.05] }, 'metrics.buckets', 'must be a non-empty array of positive, finite, strictly ascending numbers of seconds'],
    [{ buckets: [0, 1] }, 'metrics.buckets', 'must be a non-empty array of positive, finite, strictly ascending numbers of seconds'],
    [{ buckets: [1, Number.POSITIVE_INFINITY] }, 'metrics.buckets', 'must be a non-empty array of positive, finite, strictly ascending numbers of seconds'],
  ])('refuses metrics: %p at construction (%s)', (metrics, path, message) => {
    expect(() => createOAuthServer(base({ metrics: metrics as OAuthServerOptions['metrics'] }))).toThrow(new ConfigurationError(path, message));
  });
});

describe('metrics outcome labels of unusual responses', () => {
  /** A server whose client store throws the given error for one client id. */
  function throwingApp(error: Error) {
    const seeded = seedStores();
    const clients = { findById: (id: string) => (id === 'throws' ? Promise.reject(error) : seeded.clients.findById(id)) };
    const oauth = createOAuthServer(base({ stores: { ...seeded, clients }, metrics: true }));
    return express().use(oauth.router).get('/metrics', oauth.metricsHandler);
  }

  it('any 429 is rate_limited, whatever its error code', async () => {
    const app = throwingApp(new OAuthError('temporarily_unavailable', 429, 'Too many requests from this client'));
    const res = await clientCredentials(app, '/oauth2/token', { id: 'throws', secret: 'x' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 429, body: { error: 'temporarily_unavailable', error_description: 'Too many requests from this client' } });
    expect(samplesOf(await scrape(app), 'oauth_requests_total')).toEqual([{ labels: { ...tokenSuccess, outcome: 'rate_limited' }, value: 1 }]);
  });

  it('an error code outside the RFC set is other, so a store cannot create label values', async () => {
    const app = throwingApp(new OAuthError('account_locked_until_1234' as OAuthErrorCode, 400, 'Locked'));
    expect((await clientCredentials(app, '/oauth2/token', { id: 'throws', secret: 'x' })).status).toBe(400);
    expect(samplesOf(await scrape(app), 'oauth_requests_total')).toEqual([{ labels: { ...tokenSuccess, outcome: 'other' }, value: 1 }]);
  });

  it('a store failure is server_error, a timeout temporarily_unavailable', async () => {
    const app = throwingApp(new Error('connection refused'));
    const logger = { warn: jest.fn(), error: jest.fn() };
    const stalled = createOAuthServer(
      base({ logger, storeTimeoutMs: 20, stores: { ...seedStores(), clients: { findById: () => new Promise(() => {}) } }, metrics: true }),
    );
    const stalledApp = express().use(stalled.router).get('/metrics', stalled.metricsHandler);
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect((await clientCredentials(app, '/oauth2/token', { id: 'throws', secret: 'x' })).status).toBe(500);
      expect((await clientCredentials(stalledApp)).status).toBe(503);
    } finally {
      quiet.mockRestore();
    }
    expect(samplesOf(await scrape(app), 'oauth_requests_total')).toEqual([{ labels: { ...tokenSuccess, outcome: 'server_error' }, value: 1 }]);
    expect(samplesOf(await scrape(stalledApp), 'oauth_requests_total')).toEqual([{ labels: { ...tokenSuccess, outcome: 'temporarily_unavailable' }, value: 1 }]);
  });

  it("a status a host's page hook chose itself, with no error code, is client_error", async () => {
    const { app, oauth } = makeBrowserApp({
      metrics: true,
      renderLoginPage: (_page, _req, res) => {
        res.status(403).send('Sign-in is closed for maintenance');
      },
    });
    app.get('/metrics', oauth.metricsHandler);
    const res = await new Browser(app).get('/oauth2/authorize', codeRequest());
    expect({ status: res.status, text: res.text }).toEqual({ status: 403, text: 'Sign-in is closed for maintenance' });
    expect(samplesOf(await scrape(app), 'oauth_requests_total')).toEqual([{ labels: { endpoint: 'authorize', grant_type: 'none', outcome: 'client_error' }, value: 1 }]);
  });
});
