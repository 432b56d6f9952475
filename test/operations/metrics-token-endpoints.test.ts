/**
 * Prometheus metrics over a scripted sequence of token-endpoint, revocation, introspection,
 * authorization and resource requests: the exposition `oauth.metricsHandler` serves is parsed
 * and every counter is checked to the exact value, the histogram's `_count` against the
 * counter, its buckets for monotonicity, and the text for secrets.
 */
import express from 'express';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { ALICE, CONFIDENTIAL, DISABLED_CLIENT, ISSUER, JWT_SECRET, basic, seedStores } from '../helpers/fixtures';
import { checkHistograms, parsePrometheusText, samplesOf, sortedByLabels, valuesByLabel } from '../helpers/prometheus-text';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function meteredApp() {
  const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, metrics: true });
  const app = express();
  app.use(oauth.router);
  app.get('/api/read', oauth.requireToken({ scope: 'read' }), (_req, res) => res.json({ ok: true }));
  app.get('/api/write', oauth.requireToken({ scope: 'write' }), (_req, res) => res.json({ ok: true }));
  app.get('/metrics', oauth.metricsHandler);
  return { app, oauth };
}

const asClient = (app: express.Express, secret = CONFIDENTIAL.secret) => (path: string) =>
  request(app).post(path).set('Authorization', basic(CONFIDENTIAL.id, secret)).type('form');


describe('Prometheus metrics: token endpoint, revocation, introspection, requireToken', () => {
  it('counts every request by endpoint, grant type and the error code the client received, exactly', async () => {
    const { app } = meteredApp();
    const post = asClient(app);

    // token endpoint: 2 successes, invalid_client, invalid_grant, refresh, reuse, bad grant types, 405
    const cc1 = expectTokenResponse(await post('/oauth2/token').send({ grant_type: 'client_credentials' }), { expires_in: 3600, scope: 'read' });
    const cc2 = expectTokenResponse(await post('/oauth2/token').send({ grant_type: 'client_credentials' }), { expires_in: 3600, scope: 'read' });
    expectOAuthError(await asClient(app, 'wrong-secret-0123456789')('/oauth2/token').send({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'Client authentication failed');
    expectOAuthError(
      await request(app).post('/oauth2/token').set('Authorization', basic(DISABLED_CLIENT.id, DISABLED_CLIENT.secret)).type('form').send({ grant_type: 'client_credentials' }),
      401,
      'invalid_client',
      'The client is disabled',
    );
    expectOAuthError(await post('/oauth2/token').send({ grant_type: 'password', username: ALICE.username, password: 'wrong' }), 400, 'invalid_grant', 'Invalid resource owner credentials');
    const pw = expectTokenResponse(await post('/oauth2/token').send({ grant_type: 'password', username: ALICE.username, password: ALICE.password }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    const refreshed = expectTokenResponse(await post('/oauth2/token').send({ grant_type: 'refresh_token', refresh_token: pw.refresh_token as string }), {
      expires_in: 3600,
      scope: 'read',
      refresh_token: true,
    });
    expectOAuthError(await post('/oauth2/token').send({ grant_type: 'refresh_token', refresh_token: pw.refresh_token as string }), 400, 'invalid_grant', 'The refresh token was already used; the grant has been revoked');
    expectOAuthError(await post('/oauth2/token').send({ grant_type: 'urn:example:made-up-1' }), 400, 'unsupported_grant_type', 'The grant type is not supported by this server');
    expectOAuthError(await post('/oauth2/token').send({ grant_type: 'urn:example:made-up-2' }), 400, 'unsupported_grant_type', 'The grant type is not supported by this server');
    expectOAuthError(await post('/oauth2/token').send({ scope: 'read' }), 400, 'invalid_request', 'Missing required parameter: grant_type');
    const get = await request(app).get('/oauth2/token');
    expect({ status: get.status, body: get.body, allow: get.headers.allow }).toEqual({
      status: 405,
      body: { error: 'invalid_request', error_description: 'The token endpoint accepts POST only' },
      allow: 'POST',
    });

    // revocation and introspection
    const revoked = await post('/oauth2/revoke').send({ token: cc1.access_token });
    expect({ status: revoked.status, text: revoked.text }).toEqual({ status: 200, text: '' });
    const introspected = await post('/oauth2/introspect').send({ token: cc2.access_token });
    expect({ status: introspected.status, active: introspected.body.active }).toEqual({ status: 200, active: true });
    expectOAuthError(await post('/oauth2/introspect').send({}), 400, 'invalid_request', 'Missing required parameter: token');

    // authorization endpoint: an unknown client gets an error page, never a redirect
    const authorize = await request(app).get('/oauth2/authorize').query({ response_type: 'code', client_id: 'no-such-client', redirect_uri: 'https://evil.example/cb' });
    expect({ status: authorize.status, location: authorize.headers.location, type: authorize.headers['content-type'] }).toEqual({
      status: 400,
      location: undefined,
      type: 'text/html; charset=utf-8',
    });

    // discovery
    expect((await request(app).get('/oauth2/jwks')).status).toBe(200);
    expect((await request(app).get('/.well-known/oauth-authorization-server')).status).toBe(200);

    // requireToken: no token, success, a revoked-family JWT still verifies by signature, bad token, missing scope
    expect((await request(app).get('/api/read')).status).toBe(401);
    expect((await request(app).get('/api/read').set('Authorization', `Bearer ${cc2.access_token}`)).status).toBe(200);
    expect((await request(app).get('/api/read').set('Authorization', `Bearer ${refreshed.access_token}`)).status).toBe(200);
    expect((await request(app).get('/api/read').set('Authorization', 'Bearer not-a-jwt-at-all')).status).toBe(401);
    expect((await request(app).get('/api/write').set('Authorization', `Bearer ${cc2.access_token}`)).status).toBe(403);
    // A host route that is not ours is not counted; neither is the metrics endpoint itself.
    expect((await request(app).get('/oauth2/elsewhere')).status).toBe(404);

    const res = await request(app).get('/metrics');
    expect({ status: res.status, type: res.headers['content-type'], cache: res.headers['cache-control'] }).toEqual({
      status: 200,
      type: PROMETHEUS_TEXT,
      cache: 'no-store',
    });
    const text = res.text;
    const metrics = parsePrometheusText(text);

    expect(Object.fromEntries([...metrics.families].map(([name, f]) => [name, f.type]))).toEqual({
      oauth_requests_total: 'counter',
      oauth_request_duration_seconds: 'histogram',
      oauth_tokens_issued_total: 'counter',
      oauth_tokens_revoked_total: 'counter',
      oauth_security_events_total: 'counter',
      oauth_bearer_requests_total: 'counter',
    });

    const req = (endpoint: string, grant_type: string, outcome: string, value: number) => ({ labels: { endpoint, grant_type, outcome }, value });
    const requests = sortedByLabels([
      req('token', 'client_credentials', 'success', 2),
      req('token', 'client_credentials', 'invalid_client', 2),
      req('token', 'password', 'invalid_grant', 1),
      req('token', 'password', 'success', 1),
      req('token', 'refresh_token', 'success', 1),
      req('token', 'refresh_token', 'invalid_grant', 1),
      // Two different unknown grant types from clients: one series, not two.
      req('token', 'other', 'unsupported_grant_type', 2),
      req('token', 'none', 'invalid_request', 2),
      req('revoke', 'none', 'success', 1),
      req('introspect', 'none', 'success', 1),
      req('introspect', 'none', 'invalid_request', 1),
      req('authorize', 'none', 'invalid_request', 1),
      req('jwks', 'none', 'success', 1),
      req('metadata', 'none', 'success', 1),
    ]);
    expect(sortedByLabels(samplesOf(metrics, 'oauth_requests_total'))).toEqual(requests);

    // The histogram saw exactly the same requests: per label set, _count equals the counter.
    expect(checkHistograms(metrics, 'oauth_request_duration_seconds')).toEqual(requests);
    for (const sum of samplesOf(metrics, 'oauth_request_duration_seconds_sum')) expect(sum.value).toBeGreaterThan(0);
    expect(
      samplesOf(metrics, 'oauth_request_duration_seconds_bucket')
        .filter((s) => s.labels.endpoint === 'jwks')
        .map((s) => s.labels.le),
    ).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf']);

    expect(sortedByLabels(samplesOf(metrics, 'oauth_tokens_issued_total'))).toEqual(
      sortedByLabels([
        { labels: { client_id: CONFIDENTIAL.id, grant_type: 'client_credentials' }, value: 2 },
        { labels: { client_id: CONFIDENTIAL.id, grant_type: 'password' }, value: 1 },
        { labels: { client_id: CONFIDENTIAL.id, grant_type: 'refresh_token' }, value: 1 },
      ]),
    );
    expect(samplesOf(metrics, 'oauth_tokens_revoked_total')).toEqual([{ labels: { client_id: CONFIDENTIAL.id, token_type: 'access_token' }, value: 1 }]);
    expect(valuesByLabel(metrics, 'oauth_security_events_total', 'event')).toEqual({
      refresh_token_reused: 1,
      authorization_code_replayed: 0,
      client_authentication_failed: 2,
      user_authentication_failed: 1,
    });
    expect(sortedByLabels(samplesOf(metrics, 'oauth_bearer_requests_total'))).toEqual(
      sortedByLabels([
        { labels: { client_id: '', outcome: 'no_token' }, value: 1 },
        { labels: { client_id: CONFIDENTIAL.id, outcome: 'success' }, value: 2 },
        { labels: { client_id: '', outcome: 'invalid_token' }, value: 1 },
        { labels: { client_id: '', outcome: 'insufficient_scope' }, value: 1 },
      ]),
    );

    // Ids and counts only: no secret, password, token or claimed-but-unknown client id.
    for (const secret of [
      CONFIDENTIAL.secret,
      DISABLED_CLIENT.secret,
      'wrong-secret-0123456789',
      ALICE.password,
      ALICE.username,
      cc1.access_token,
      cc2.access_token,
      pw.access_token,
      pw.refresh_token as string,
      refreshed.access_token,
      refreshed.refresh_token as string,
      'not-a-jwt-at-all',
      'no-such-client',
      'urn:example:made-up',
      JWT_SECRET,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('labels tokens and API requests without client_id when perClient is false', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, metrics: { perClient: false } });
    const app = express().use(oauth.router);
    app.get('/api', oauth.requireToken(), (_req, res) => res.end());
    app.get('/metrics', oauth.metricsHandler);
    const cc = expectTokenResponse(await asClient(app)('/oauth2/token').send({ grant_type: 'client_credentials' }), { expires_in: 3600, scope: 'read' });
    await asClient(app)('/oauth2/revoke').send({ token: cc.access_token });
    expect((await request(app).get('/api').set('Authorization', `Bearer ${cc.access_token}`)).status).toBe(200);
    expect((await request(app).get('/api')).status).toBe(401);

    const metrics = parsePrometheusText((await request(app).get('/metrics')).text);
    expect(samplesOf(metrics, 'oauth_tokens_issued_total')).toEqual([{ labels: { grant_type: 'client_credentials' }, value: 1 }]);
    expect(samplesOf(metrics, 'oauth_tokens_revoked_total')).toEqual([{ labels: { token_type: 'access_token' }, value: 1 }]);
    expect(sortedByLabels(samplesOf(metrics, 'oauth_bearer_requests_total'))).toEqual(
      sortedByLabels([
        { labels: { outcome: 'success' }, value: 1 },
        { labels: { outcome: 'no_token' }, value: 1 },
      ]),
    );
    expect(metrics.samples.some((s) => 'client_id' in s.labels)).toBe(false);
  });
});
