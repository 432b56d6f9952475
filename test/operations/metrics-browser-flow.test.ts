/**
 * Prometheus metrics of the browser endpoints (authorize, login, continue, consent) and of the
 * code exchange: the outcome label is the error code the client or user was really given,
 * whether as a redirect to the client (RFC 6749 §4.1.2.1), an error page or the login page.
 */
import request from 'supertest';
import { codeRequest, makeBrowserApp, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { ISSUER, basic } from '../helpers/fixtures';
import { checkHistograms, parsePrometheusText, samplesOf, sortedByLabels, valuesByLabel } from '../helpers/prometheus-text';


describe('Prometheus metrics: the browser flow', () => {
  it('counts authorize, login, continue and consent by the outcome the browser was given, and the code exchange and its replay', async () => {
    const { app, oauth } = makeBrowserApp({ metrics: true });
    app.get('/metrics', oauth.metricsHandler);

    // A full code flow with one failed login.
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    expect(page.status).toBe(200);
    const failed = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'wrong-password' });
    expect(failed.status).toBe(400);
    const login = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(303);
    const consent = await browser.follow(login);
    expect(consent.status).toBe(200);
    const allowed = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    expect(allowed.status).toBe(303);
    const code = redirectParams(allowed).params.code as string;
    const exchange = () =>
      request(app)
        .post('/oauth2/token')
        .set('Authorization', basic(WEB.id, WEB.secret))
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });
    expect((await exchange()).status).toBe(200);
    expect((await exchange()).status).toBe(400);

    // Denied: oauth2orize redirects with error=access_denied.
    const other = new Browser(app);
    const page2 = await other.get('/oauth2/authorize', codeRequest({ scope: 'write' }));
    const consent2 = await other.follow(await other.post('/oauth2/login', { ...formFields(page2.text), username: 'alice', password: 'alice-password' }));
    const denied = await other.post('/oauth2/authorize/decision', { ...formFields(consent2.text), decision: 'deny' });
    expect(redirectParams(denied)).toEqual({ base: WEB_CB, params: { error: 'access_denied', state: 'state-123', iss: ISSUER } });

    // A redirected error (the client's redirect URI is proven, the scope is not allowed) and an error page.
    const badScope = await browser.get('/oauth2/authorize', codeRequest({ scope: 'admin' }));
    expect({ status: badScope.status, error: redirectParams(badScope).params.error }).toEqual({ status: 303, error: 'invalid_scope' });
    const noClient = await browser.get('/oauth2/authorize', codeRequest({ client_id: 'no-such-client' }));
    expect({ status: noClient.status, location: noClient.headers.location }).toEqual({ status: 400, location: undefined });
    // A forged consent form: CSRF-checked, refused with a page.
    const forged = await other.post('/oauth2/authorize/decision', { transaction_id: 'forged', csrf_token: 'forged', decision: 'allow' });
    expect(forged.status).toBe(400);

    const text = (await request(app).get('/metrics')).text;
    const metrics = parsePrometheusText(text);
    const req = (endpoint: string, outcome: string, value: number, grant_type = 'none') => ({ labels: { endpoint, grant_type, outcome }, value });
    const requests = sortedByLabels([
      req('authorize', 'success', 2),
      req('authorize', 'invalid_scope', 1),
      req('authorize', 'invalid_request', 1),
      req('login', 'invalid_grant', 1),
      req('login', 'success', 2),
      req('continue', 'success', 2),
      req('consent', 'success', 1),
      req('consent', 'access_denied', 1),
      req('consent', 'invalid_request', 1),
      req('token', 'success', 1, 'authorization_code'),
      req('token', 'invalid_grant', 1, 'authorization_code'),
    ]);
    expect(sortedByLabels(samplesOf(metrics, 'oauth_requests_total'))).toEqual(requests);
    expect(checkHistograms(metrics, 'oauth_request_duration_seconds')).toEqual(requests);

    expect(samplesOf(metrics, 'oauth_tokens_issued_total')).toEqual([{ labels: { client_id: WEB.id, grant_type: 'authorization_code' }, value: 1 }]);
    expect(valuesByLabel(metrics, 'oauth_security_events_total', 'event')).toEqual({
      refresh_token_reused: 0,
      authorization_code_replayed: 1,
      client_authentication_failed: 0,
      user_authentication_failed: 1,
    });
    for (const secret of [code, VERIFIER, WEB.secret, 'alice-password', 'wrong-password', formFields(page.text).csrf_token, formFields(page.text).transaction_id]) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts the implicit grant\'s tokens under grant_type implicit', async () => {
    const { app, oauth } = makeBrowserApp({ metrics: true });
    app.get('/metrics', oauth.metricsHandler);
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', { response_type: 'token', client_id: 'legacy-spa', redirect_uri: 'https://legacy.example/cb', state: 's' });
    const consent = await browser.follow(await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' }));
    const res = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    expect(redirectParams(res, 'fragment').params.token_type).toBe('Bearer');
    const metrics = parsePrometheusText((await request(app).get('/metrics')).text);
    expect(samplesOf(metrics, 'oauth_tokens_issued_total')).toEqual([{ labels: { client_id: 'legacy-spa', grant_type: 'implicit' }, value: 1 }]);
  });
});
