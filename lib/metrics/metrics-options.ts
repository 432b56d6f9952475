import { ConfigurationError } from '../errors';
import { isObject, rejectUnknownKeys } from '../internal/validate';

/**
 * The parts of a prom-client `Registry` the server uses. Written out here (rather than
 * imported from prom-client) so that the package's types do not need prom-client installed:
 * it is an optional peer dependency. Any prom-client 15 `Registry` fits.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * const registry: MetricsRegistry = new Registry();
 * ```
 */
export interface MetricsRegistry {
  /** The `Content-Type` of `metrics()`'s text. */
  readonly contentType: string;
  /** The whole registry in the Prometheus (or OpenMetrics) text format. */
  metrics(): Promise<string>;
  /** Called by prom-client's metric constructors. */
  registerMetric(metric: unknown): void;
  /** Used to refuse, at construction, a name the registry already holds. */
  getSingleMetric(name: string): unknown;
}

/**
 * Prometheus metrics (`createOAuthServer({ metrics })`), served by `oauth.metricsHandler`
 * wherever you mount it. Needs `prom-client` (an optional peer dependency) installed.
 * See docs/metrics.md for every metric and label.
 *
 * @example
 * ```ts
 * const oauth = createOAuthServer({ ...options, metrics: { prefix: 'auth_', perClient: false } });
 * app.get('/metrics', requireInternalNetwork, oauth.metricsHandler);
 * ```
 */
export interface MetricsOptions {
  /**
   * The prom-client `Registry` to register the metrics in: pass yours to serve them with your
   * own metrics. Never prom-client's global registry unless you pass it yourself, so two
   * servers in one process do not collide.
   * @defaultValue a new `Registry` of this server's own
   */
  registry?: MetricsRegistry;
  /**
   * Put before every metric name (`oauth_requests_total`, ...): letters, digits, `_` and `:`,
   * not starting with a digit. Two servers sharing one registry need different prefixes.
   * @defaultValue `'oauth_'`
   */
  prefix?: string;
  /**
   * Label tokens issued and revoked and bearer-protected API requests with the `client_id`
   * (per-client usage). One series per registered client: turn it off when you have very many.
   * @defaultValue `true`
   */
  perClient?: boolean;
  /**
   * Upper bounds (seconds) of the request latency histogram's buckets, ascending.
   * @defaultValue `[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]`
   */
  buckets?: number[];
}

/** Metrics options after defaults are applied and everything is validated. */
export interface ResolvedMetricsOptions {
  registry?: MetricsRegistry;
  prefix: string;
  perClient: boolean;
  buckets: number[];
}

/** The token endpoint answers in about a millisecond; bcrypt-bound password checks take 50-250 ms. */
export const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const KNOWN = ['registry', 'prefix', 'perClient', 'buckets'];

/** Validates the `metrics` option; `undefined` or `false` means metrics are off. */
export function resolveMetricsOptions(value: unknown): ResolvedMetricsOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { prefix: 'oauth_', perClient: true, buckets: DEFAULT_BUCKETS };
  if (!isObject(value)) throw new ConfigurationError('metrics', 'must be true, false or { registry?, prefix?, perClient?, buckets? }');
  rejectUnknownKeys(value, KNOWN, 'metrics.');
  const { registry, prefix = 'oauth_', perClient = true, buckets = DEFAULT_BUCKETS } = value;
  if (registry !== undefined && !isRegistry(registry)) {
    throw new ConfigurationError('metrics.registry', 'must be a prom-client Registry (new Registry() from prom-client)');
  }
  // The Prometheus metric name syntax, so that every name built from it is valid.
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new ConfigurationError('metrics.prefix', 'must be letters, digits, _ and : only, not starting with a digit (e.g. "oauth_")');
  }
  if (typeof perClient !== 'boolean') throw new ConfigurationError('metrics.perClient', 'must be a boolean');
  if (!isAscending(buckets)) {
    throw new ConfigurationError('metrics.buckets', 'must be a non-empty array of positive, finite, strictly ascending numbers of seconds');
  }
  return { ...(registry !== undefined ? { registry } : {}), prefix, perClient, buckets: [...buckets] };
}

function isRegistry(r: unknown): r is MetricsRegistry {
  return (
    isObject(r) &&
    typeof r.metrics === 'function' &&
    typeof r.registerMetric === 'function' &&
    typeof r.getSingleMetric === 'function' &&
    typeof r.contentType === 'string'
  );
}

function isAscending(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  return value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > value[i - 1]));
}
