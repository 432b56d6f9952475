import type { RequestHandler } from 'express';
import type * as PromClient from 'prom-client';
import { ConfigurationError } from '../errors';
import type { OAuthEvents } from '../events';
import type { Logger } from '../internal/logger';
import { loadPromClient } from './load-prom-client';
import type { ResolvedMetricsOptions } from './metrics-options';
import { codeLabel } from './outcome';
import { createRequestObserver, type EndpointRoutes, grantTypeLabel } from './request-observer';

/** What the server wires in when metrics are on. */
export interface ServerMetrics {
  /** The router's first step (see createRequestObserver). */
  requestObserver: RequestHandler;
  /** Called by requireToken() once per decision: an error code, `'no_token'`, or `'success'` with the token's client. */
  observeBearer(outcome: string, clientId?: string): void;
  /** Serves the registry's text. */
  handler: RequestHandler;
}

/** The security events counted, by the label value they get. */
const SECURITY_EVENTS = {
  refresh_token_reused: 'refresh_token.reused',
  authorization_code_replayed: 'authorization_code.replayed',
  client_authentication_failed: 'client.authentication_failed',
  user_authentication_failed: 'user.authentication_failed',
} as const;

const NAMES = ['requests_total', 'request_duration_seconds', 'tokens_issued_total', 'tokens_revoked_total', 'security_events_total', 'bearer_requests_total'];

/**
 * Registers the server's metrics (docs/metrics.md) and feeds them from the router, the
 * bearer middleware and the typed events. Label values all come from fixed sets or from
 * authenticated client ids, so no request can create series at will.
 */
export function createServerMetrics(
  options: ResolvedMetricsOptions,
  deps: { events: OAuthEvents; routes: EndpointRoutes; logger: Logger },
): ServerMetrics {
  const prom = loadPromClient();
  const registry = (options.registry ?? new prom.Registry()) as PromClient.Registry;
  const name = (suffix: string) => options.prefix + suffix;
  for (const suffix of NAMES) {
    if (registry.getSingleMetric(name(suffix))) {
      throw new ConfigurationError('metrics.prefix', `metrics.registry already has a metric named ${name(suffix)}: give each server its own registry or prefix`);
    }
  }
  const registers = [registry];
  const client = options.perClient ? ['client_id'] : [];
  const requestLabels = ['endpoint', 'grant_type', 'outcome'];
  const requests = new prom.Counter({ name: name('requests_total'), help: 'Requests to the OAuth endpoints, by endpoint, grant type and outcome (success or the error code sent).', labelNames: requestLabels, registers });
  const duration = new prom.Histogram({
    name: name('request_duration_seconds'),
    help: 'Time from the router receiving a request to its response being sent, by endpoint, grant type and outcome.',
    labelNames: requestLabels,
    buckets: options.buckets,
    registers,
  });
  const issued = new prom.Counter({ name: name('tokens_issued_total'), help: 'Token responses issued, by grant type (and client).', labelNames: [...client, 'grant_type'], registers });
  const revoked = new prom.Counter({ name: name('tokens_revoked_total'), help: 'Tokens revoked at the revocation endpoint (with their grant family), by token type (and client).', labelNames: [...client, 'token_type'], registers });
  const security = new prom.Counter({ name: name('security_events_total'), help: 'Security events: refresh token reuse, authorization code replay, failed client and user authentication.', labelNames: ['event'], registers });
  const bearer = new prom.Counter({ name: name('bearer_requests_total'), help: 'Decisions of requireToken(): success (by client) or the error code of the challenge.', labelNames: [...client, 'outcome'], registers });

  const withClient = <T extends Record<string, string>>(labels: T, clientId: string | undefined) =>
    options.perClient ? { ...labels, client_id: clientId ?? '' } : labels;

  deps.events.on('token.issued', (e) => issued.inc(withClient({ grant_type: grantTypeLabel(e.grantType) }, e.clientId)));
  deps.events.on('token.revoked', (e) => revoked.inc(withClient({ token_type: e.tokenType }, e.clientId)));
  for (const [label, event] of Object.entries(SECURITY_EVENTS)) {
    // Present from the start at 0, so that alerts on increase() see the first event.
    security.inc({ event: label }, 0);
    deps.events.on(event, () => security.inc({ event: label }));
  }

  return {
    requestObserver: createRequestObserver(deps.routes, (labels, seconds) => {
      requests.inc(labels);
      duration.observe(labels, seconds);
    }),
    // A failed token's client is unverified (anyone can claim one): only successes carry it.
    observeBearer: (outcome, clientId) =>
      bearer.inc(withClient({ outcome: outcome === 'success' || outcome === 'no_token' ? outcome : codeLabel(outcome) }, outcome === 'success' ? clientId : undefined)),
    handler: (_req, res) => {
      registry.metrics().then(
        (text) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', registry.contentType);
          res.setHeader('Cache-Control', 'no-store');
          res.end(text);
        },
        (err: unknown) => {
          // A collect() callback of the host's metrics in a shared registry can throw.
          deps.logger.error({ err }, 'Collecting the metrics failed');
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('Collecting the metrics failed\n');
        },
      );
    },
  };
}

/** `oauth.metricsHandler` when metrics are off: says so, instead of an empty page. */
export const metricsDisabledHandler: RequestHandler = (_req, res) => {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Metrics are not enabled: createOAuthServer({ metrics: true }) turns them on\n');
};
