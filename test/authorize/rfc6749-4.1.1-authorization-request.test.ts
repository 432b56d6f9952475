import type { Response } from 'supertest';
import { Browser, CHALLENGE, formFields, redirectParams } from '../helpers/browser-flow';
import { TemporarilyUnavailableError } from '../../lib';
import { codeRequest, makeBrowserApp, seedBrowserStores, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { ISSUER } from '../helpers/fixtures';

const { app } = makeBrowserApp();
const authorize = (query: Record<string, string | undefined>) => new Browser(app).get('/oauth2/authorize', query);

/** The error page: 400, HTML, hardened, never a Location. */
function expectErrorPage(res: Response, description: string): void {
  expect(res.status).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.text).toContain(`<p class="eop-error" role="alert">${description}</p>`);
  expect(res.text).toContain('Error code: <code>invalid_request</code>');
}

/** A redirected error: 303 to the registered URI with exactly these parameters. */
function expectRedirectedError(res: Response, base: string, params: Record<string, string>, part: 'query' | 'fragment' = 'query'): void {
  // RFC 6749 §4.1.2.1: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
  if (params.error_description) expect(params.error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  expect(res.status).toBe(303);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(redirectParams(res, part)).toEqual({ base, params: { ...params, iss: ISSUER } });
}

describe('RFC 6749 §4.1.2.1 client and redirect URI are checked first, and never redirected to', () => {
  it.each<[string, Record<string, string | undefined>, string]>([
    ['no client_id', { client_id: undefined }, 'The request has no client_id.'],
    ['an unknown client', { client_id: 'nobody' }, 'The client is not registered with this server.'],
    ['a disabled client', { client_id: 'off', redirect_uri: 'https://off.example/cb' }, 'The client is disabled.'],
    ['no redirect_uri', { redirect_uri: undefined }, 'The request has no redirect_uri.'],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }, 'The redirect_uri is not registered for this client.'],
    ['a longer path', { redirect_uri: `${WEB_CB}/more` }, 'The redirect_uri is not registered for this client.'],
    ['a trailing slash', { redirect_uri: `${WEB_CB}/` }, 'The redirect_uri is not registered for this client.'],
    ['another case', { redirect_uri: 'https://CLIENT.example/cb' }, 'The redirect_uri is not registered for this client.'],
    ['an added query', { redirect_uri: `${WEB_CB}?next=/admin` }, 'The redirect_uri is not registered for this client.'],
    ['an explicit default port', { redirect_uri: 'https://client.example:443/cb' }, 'The redirect_uri is not registered for this client.'],
    ['a fragment (§3.1.2)', { redirect_uri: `${WEB_CB}#x` }, 'The redirect_uri must not contain a fragment.'],
    ['another loopback path', { redirect_uri: 'http://127.0.0.1:9999/other' }, 'The redirect_uri is not registered for this client.'],
  ])('shows an error page for %s', async (_name, patch, description) => {
    expectErrorPage(await authorize(codeRequest(patch)), description);
  });

  it('shows an error page for a repeated client_id or redirect_uri', async () => {
    const res = await new Browser(app).get(`/oauth2/authorize?client_id=${WEB.id}&client_id=${WEB.id}&redirect_uri=${encodeURIComponent(WEB_CB)}&response_type=code`);
    expectErrorPage(res, 'client_id and redirect_uri must each be given once.');
  });

  it('escapes what it shows', async () => {
    const res = await authorize(codeRequest({ client_id: '<img src=x onerror=alert(1)>' }));
    expectErrorPage(res, 'The client is not registered with this server.');
    expect(res.text).not.toContain('<img');
  });
});

describe('RFC 6749 §4.1.2.1 other errors go back to the client with state and iss (RFC 9207)', () => {
  it('missing response_type: invalid_request', async () => {
    expectRedirectedError(await authorize(codeRequest({ response_type: undefined })), WEB_CB, {
      error: 'invalid_request',
      error_description: 'Missing required parameter: response_type',
      state: 'state-123',
    });
  });

  it('unknown response_type: unsupported_response_type', async () => {
    expectRedirectedError(await authorize(codeRequest({ response_type: 'id_token' })), WEB_CB, {
      error: 'unsupported_response_type',
      error_description: 'The response type is not supported by this server',
      state: 'state-123',
    });
  });

  it('a response type the client may not use: unauthorized_client (in the fragment for token)', async () => {
    expectRedirectedError(
      await authorize(codeRequest({ response_type: 'token' })),
      WEB_CB,
      { error: 'unauthorized_client', error_description: 'The client may not use response_type=token', state: 'state-123' },
      'fragment',
    );
  });

  it('a scope the client may not have: invalid_scope', async () => {
    expectRedirectedError(await authorize(codeRequest({ scope: 'read admin' })), WEB_CB, {
      error: 'invalid_scope',
      error_description: 'The client may not request: admin',
      state: 'state-123',
    });
  });

  it('a repeated parameter: invalid_request (§3.1)', async () => {
    const res = await new Browser(app).get(`/oauth2/authorize?${new URLSearchParams(codeRequest() as Record<string, string>)}&scope=read&scope=write`);
    expectRedirectedError(res, WEB_CB, { error: 'invalid_request', error_description: "Parameter 'scope' is included more than once", state: 'state-123' });
  });

  it('leaves state out when the request had none', async () => {
    expectRedirectedError(await authorize(codeRequest({ state: undefined, scope: 'nope' })), WEB_CB, {
      error: 'invalid_scope',
      error_description: 'The client may not request: nope',
    });
  });

  it('keeps the query of the registered redirect URI (§3.1.2)', async () => {
    const res = await authorize(codeRequest({ redirect_uri: 'https://client.example/with-query?x=1', scope: 'nope' }));
    expect(res.status).toBe(303);
    expect(redirectParams(res)).toEqual({
      base: 'https://client.example/with-query',
      params: { x: '1', error: 'invalid_scope', error_description: 'The client may not request: nope', state: 'state-123', iss: ISSUER },
    });
  });
});

describe('RFC 7636 PKCE at the authorization endpoint', () => {
  const pkceError = (description: string) => ({ error: 'invalid_request', error_description: description, state: 'state-123' });

  it('requires a challenge from a public client', async () => {
    const res = await authorize(codeRequest({ client_id: 'spa', redirect_uri: 'https://spa.example/cb', code_challenge: undefined, code_challenge_method: undefined }));
    expectRedirectedError(res, 'https://spa.example/cb', pkceError('This client must use PKCE: code_challenge is required (RFC 7636)'));
  });

  it('requires a challenge from a confidential client marked requirePkce', async () => {
    const res = await authorize(codeRequest({ client_id: 'strict', redirect_uri: 'https://strict.example/cb', code_challenge: undefined, code_challenge_method: undefined }));
    expectRedirectedError(res, 'https://strict.example/cb', pkceError('This client must use PKCE: code_challenge is required (RFC 7636)'));
  });

  it('lets a confidential client go without PKCE', async () => {
    const res = await authorize(codeRequest({ code_challenge: undefined, code_challenge_method: undefined }));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Sign in</h1>');
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['plain', { code_challenge: CHALLENGE, code_challenge_method: 'plain' }, 'code_challenge_method must be S256 (plain is not allowed)'],
    ['no method (defaults to plain, §4.3)', { code_challenge_method: undefined }, 'code_challenge_method must be S256 (plain is not allowed)'],
    ['an unknown method', { code_challenge_method: 'S512' }, 'code_challenge_method must be S256'],
    ['a method without challenge', { code_challenge: undefined }, 'code_challenge_method was given without code_challenge'],
    ['a short challenge', { code_challenge: 'abc' }, 'code_challenge must be 43-128 characters of [A-Za-z0-9-._~]'],
    ['a challenge with bad characters', { code_challenge: `${'a'.repeat(43)}+/` }, 'code_challenge must be 43-128 characters of [A-Za-z0-9-._~]'],
  ])('refuses %s', async (_name, patch, description) => {
    expectRedirectedError(await authorize(codeRequest(patch)), WEB_CB, pkceError(description));
  });

  it('accepts plain when the server allows it', async () => {
    const { app: lenient } = makeBrowserApp({ allowPlainPkce: true });
    const res = await new Browser(lenient).get('/oauth2/authorize', codeRequest({ code_challenge: 'p'.repeat(43), code_challenge_method: 'plain' }));
    expect(res.status).toBe(200);
  });
});

describe('RFC 8252 §7.3 loopback redirect URIs may use any port', () => {
  it('accepts the registered loopback URI on another port', async () => {
    const res = await authorize(codeRequest({ redirect_uri: 'http://127.0.0.1:53123/cb' }));
    expect(res.status).toBe(200);
    expect(formFields(res.text).transaction_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('store failures at the authorization endpoint', () => {
  it('a temporarily unavailable client store shows a 503 page with Retry-After, and redirects nowhere', async () => {
    const stores = seedBrowserStores();
    const failing = { ...stores, clients: { findById: () => Promise.reject(new TemporarilyUnavailableError(new Error('pool exhausted'))) } };
    const logger = { warn: jest.fn(), error: jest.fn() };
    const { app: down } = makeBrowserApp({ logger }, failing);
    const res = await new Browser(down).get('/oauth2/authorize', codeRequest());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('Error code: <code>temporarily_unavailable</code>');
    expect(res.text).not.toContain('pool exhausted');
    expect(logger.error).toHaveBeenCalledTimes(1);
  });
});
