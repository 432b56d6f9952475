/**
 * Measures what metrics cost per request: two servers in one app, identical but for
 * `metrics: true`, the same client_credentials token request (and the same requireToken-
 * protected route) sent to each, in-process store, over loopback. Run:
 *   node -r ./scripts/register-ts.js scripts/measure-metrics-overhead.ts
 * Prints median latency per request (µs) of each variant over rounds of 5,000 sequential
 * requests on one keep-alive connection, alternating variants so drift affects both alike;
 * and, since that difference is smaller than the noise of a shared machine, the recording
 * work itself per token request (two clock reads, the requests counter, the latency
 * histogram, the tokens-issued counter), timed in-process on the server's own metric objects.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { type Counter, type Histogram, Registry } from 'prom-client';
import { createMemoryStores, createOAuthServer, hashClientSecret } from 'express-oauth2-provider';
import { loopbackCaller, median, medianLatency } from './loopback';

async function main() {
  const secret = 's'.repeat(32);
  const registry = new Registry();
  const server = (metrics: false | { registry: Registry }) =>
    createOAuthServer({
      issuer: 'http://127.0.0.1',
      stores: createMemoryStores({
        clients: [{ id: 'svc', secretHash: hashClientSecret(secret), grants: ['client_credentials'], scopes: ['read'], defaultScopes: ['read'] }],
      }),
      signing: { secret: 'x'.repeat(32) },
      metrics,
    });
  const plain = server(false);
  const metered = server({ registry });
  const app = express();
  app.use('/plain', plain.router);
  app.use('/metered', metered.router);
  app.get('/plain/api', plain.requireToken(), (_req, res) => res.end('ok'));
  app.get('/metered/api', metered.requireToken(), (_req, res) => res.end('ok'));
  const listening = app.listen(0, '127.0.0.1');
  await new Promise((r) => listening.once('listening', r));
  const { port } = listening.address() as AddressInfo;
  const { call, close } = loopbackCaller(port);
  const body = 'grant_type=client_credentials';
  const tokenHeaders = {
    authorization: `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(body.length),
  };
  const tokenFor = async (prefix: string) => JSON.parse(await call('POST', `${prefix}/oauth2/token`, tokenHeaders, body)).access_token as string;
  const bearer = { plain: { authorization: `Bearer ${await tokenFor('/plain')}` }, metered: { authorization: `Bearer ${await tokenFor('/metered')}` } };

  const variants = {
    tokenPlain: () => call('POST', '/plain/oauth2/token', tokenHeaders, body),
    tokenMetered: () => call('POST', '/metered/oauth2/token', tokenHeaders, body),
    apiPlain: () => call('GET', '/plain/api', bearer.plain),
    apiMetered: () => call('GET', '/metered/api', bearer.metered),
  };
  for (const run of Object.values(variants)) await medianLatency(run, 2000); // warm-up
  const rounds: Record<keyof typeof variants, number[]> = { tokenPlain: [], tokenMetered: [], apiPlain: [], apiMetered: [] };
  for (let round = 0; round < 4; round++) {
    for (const [name, run] of Object.entries(variants)) rounds[name as keyof typeof variants].push(await medianLatency(run, 5000));
  }
  console.log(
    JSON.stringify({
      recordUs: recordingCost(registry),
      tokenPlainMedianUs: median(rounds.tokenPlain),
      tokenMeteredMedianUs: median(rounds.tokenMetered),
      tokenCostUs: median(rounds.tokenMetered) - median(rounds.tokenPlain),
      apiPlainMedianUs: median(rounds.apiPlain),
      apiMeteredMedianUs: median(rounds.apiMetered),
      apiCostUs: median(rounds.apiMetered) - median(rounds.apiPlain),
      rounds,
    }),
  );
  close();
  listening.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** µs per token request of what the metrics do for it, on the server's registered metrics. */
function recordingCost(registry: Registry): number {
  const requests = registry.getSingleMetric('oauth_requests_total') as Counter;
  const duration = registry.getSingleMetric('oauth_request_duration_seconds') as Histogram;
  const issued = registry.getSingleMetric('oauth_tokens_issued_total') as Counter;
  const once = () => {
    const start = process.hrtime.bigint();
    const labels = { endpoint: 'token', grant_type: 'client_credentials', outcome: 'success' };
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    requests.inc(labels);
    duration.observe(labels, seconds);
    issued.inc({ client_id: 'svc', grant_type: 'client_credentials' });
  };
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 200_000;
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) once();
    rounds.push(Number(process.hrtime.bigint() - t) / 1000 / n);
  }
  return median(rounds);
}
