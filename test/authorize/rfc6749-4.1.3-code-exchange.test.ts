import request from 'supertest';
import { hashToken } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { Browser, CHALLENGE, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { codeRequest, makeBrowserApp, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { basic, decodeJwt } from '../helpers/fixtures';

/** Runs the whole browser flow and returns a fresh code. */
async function getCode(app: Parameters<typeof request>[0], query = codeRequest()) {
  const browser = new Browser(app as never);
  const page = await browser.get('/oauth2/authorize', query);
  const login = await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' });
  const consent = await browser.follow(login);
  const decided = consent.status === 303 ? consent : await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
  return redirectParams(decided).params.code as string;
}

function exchange(app: Parameters<typeof request>[0], fields: Record<string, string | undefined>, client: { id: string; secret?: string } = WEB) {
  const req = request(app).post('/oauth2/token').type('form');
  if (client.secret) req.set('Authorization', basic(client.id, client.secret));
  const body = Object.fromEntries(Object.entries({ grant_type: 'authorization_code', redirect_uri: WEB_CB, code_verifier: VERIFIER, ...fields }).filter(([, v]) => v !== undefined));
  return req.send(body);
}

describe('RFC 6749 §4.1.3 exchanging an authorization code', () => {
  it('issues tokens for the user, with a refresh token when the client may refresh', async () => {
    const { app } = makeBrowserApp();
    const code = await getCode(app, codeRequest({ scope: 'read write' }));
    const body = expectTokenResponse(await exchange(app, { code }), { expires_in: 3600, scope: 'read write', refresh_token: true });
    expect(decodeJwt(body.access_token).payload).toMatchObject({ sub: 'user-alice', client_id: WEB.id, scope: 'read write' });
  });

  it('stores the code by hash, bound to client, redirect URI and challenge, for 60 s', async () => {
    const { app, stores } = makeBrowserApp();
    const code = await getCode(app);
    expect(await stores.tokens.findAuthorizationCode(code)).toBeUndefined();
    const record = await stores.tokens.findAuthorizationCode(hashToken(code));
    expect(record).toEqual({
      hash: hashToken(code),
      familyId: expect.any(String),
      clientId: WEB.id,
      userId: 'user-alice',
      scope: ['read'],
      redirectUri: WEB_CB,
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      createdAt: expect.any(Date),
      expiresAt: expect.any(Date),
    });
    expect((record?.expiresAt.getTime() ?? 0) - (record?.createdAt.getTime() ?? 0)).toBe(60_000);
  });

  it('honours authorizationCodeLifetime', async () => {
    const { app, stores } = makeBrowserApp({ authorizationCodeLifetime: 30 });
    const record = await stores.tokens.findAuthorizationCode(hashToken(await getCode(app)));
    expect((record?.expiresAt.getTime() ?? 0) - (record?.createdAt.getTime() ?? 0)).toBe(30_000);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['another redirect_uri', { redirect_uri: 'https://client.example/with-query?x=1' }, 'redirect_uri does not match the one of the authorization request'],
    ['no redirect_uri', { redirect_uri: undefined }, 'redirect_uri does not match the one of the authorization request'],
    ['a wrong code_verifier (RFC 7636 section 4.6)', { code_verifier: 'x'.repeat(43) }, 'code_verifier does not match the code_challenge (RFC 7636 section 4.6)'],
    ['a malformed code_verifier', { code_verifier: 'short' }, 'code_verifier does not match the code_challenge (RFC 7636 section 4.6)'],
    ['no code_verifier', { code_verifier: undefined }, 'code_verifier is required (RFC 7636 section 4.5)'],
  ])('refuses %s with invalid_grant, leaving the code usable', async (_name, patch, description) => {
    const { app } = makeBrowserApp();
    const code = await getCode(app);
    expectOAuthError(await exchange(app, { code, ...patch }), 400, 'invalid_grant', description);
    expectTokenResponse(await exchange(app, { code }), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('refuses a verifier for a code issued without a challenge (PKCE downgrade, RFC 9700 §2.1.1)', async () => {
    const { app } = makeBrowserApp();
    const code = await getCode(app, codeRequest({ code_challenge: undefined, code_challenge_method: undefined }));
    expectOAuthError(await exchange(app, { code }), 400, 'invalid_grant', 'code_verifier was sent but the authorization request had no code_challenge');
    expectTokenResponse(await exchange(app, { code, code_verifier: undefined }), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it("refuses another client's code and leaves it for its owner", async () => {
    const { app } = makeBrowserApp();
    const code = await getCode(app);
    expectOAuthError(await exchange(app, { code, client_id: 'spa' }, { id: 'spa' }), 400, 'invalid_grant', 'Invalid authorization code');
    expectTokenResponse(await exchange(app, { code }), { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('refuses an expired code', async () => {
    const { app } = makeBrowserApp();
    const code = await getCode(app);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    try {
      expectOAuthError(await exchange(app, { code }), 400, 'invalid_grant', 'The authorization code has expired');
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses an unknown code and a missing one', async () => {
    const { app } = makeBrowserApp();
    expectOAuthError(await exchange(app, { code: 'made-up' }), 400, 'invalid_grant', 'Invalid authorization code');
    expectOAuthError(await exchange(app, { code: undefined }), 400, 'invalid_request', 'Missing required parameter: code');
  });

  it('§4.1.2: a replayed code fails and revokes every token issued from it', async () => {
    const { app, stores } = makeBrowserApp();
    const code = await getCode(app);
    const first = expectTokenResponse(await exchange(app, { code }), { expires_in: 3600, scope: 'read', refresh_token: true });
    expectOAuthError(await exchange(app, { code }), 400, 'invalid_grant', 'The authorization code was already used; tokens issued from it have been revoked');
    expect(await stores.tokens.findAccessToken(decodeJwt(first.access_token).payload.jti as string)).toBeUndefined();
    expect(await stores.tokens.findRefreshToken(hashToken(first.refresh_token as string))).toBeUndefined();
    const refresh = await request(app).post('/oauth2/token').set('Authorization', basic(WEB.id, WEB.secret)).type('form').send({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expectOAuthError(refresh, 400, 'invalid_grant', 'Invalid refresh token');
  });

  it('gives exactly one 200 out of 20 parallel redemptions, then revokes what it issued', async () => {
    const { app, stores } = makeBrowserApp();
    const code = await getCode(app);
    const results = await Promise.all(Array.from({ length: 20 }, () => exchange(app, { code })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error === 'invalid_grant')).toHaveLength(19);
    const winner = ok[0]?.body as { access_token: string };
    expect(await stores.tokens.findAccessToken(decodeJwt(winner.access_token).payload.jti as string)).toBeUndefined();
  });

  it('lets a public client redeem with client_id and its verifier', async () => {
    const { app } = makeBrowserApp();
    const code = await getCode(app, codeRequest({ client_id: 'spa', redirect_uri: 'https://spa.example/cb' }));
    const res = await exchange(app, { code, client_id: 'spa', redirect_uri: 'https://spa.example/cb' }, { id: 'spa' });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('refuses the grant to a client not registered for it', async () => {
    const { app } = makeBrowserApp();
    const res = await exchange(app, { code: 'x', client_id: 'legacy-spa' }, { id: 'legacy-spa' });
    expectOAuthError(res, 400, 'unauthorized_client', 'The client may not use the authorization_code grant');
  });
});

describe('RFC 6749 §4.2 implicit grant', () => {
  it('returns the token in the fragment, never a refresh token, with state and iss', async () => {
    const { app } = makeBrowserApp();
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', { response_type: 'token', client_id: 'legacy-spa', redirect_uri: 'https://legacy.example/cb', state: 's' });
    const consent = await browser.follow(await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' }));
    const res = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    expect(res.status).toBe(303);
    const url = new URL(res.headers.location as string);
    expect(url.search).toBe('');
    expect(redirectParams(res, 'fragment')).toEqual({
      base: 'https://legacy.example/cb',
      params: { access_token: expect.any(String), expires_in: '3600', scope: 'read', token_type: 'Bearer', state: 's', iss: 'https://auth.example.test' },
    });
    expect(decodeJwt(redirectParams(res, 'fragment').params.access_token as string).payload).toMatchObject({ sub: 'user-alice', client_id: 'legacy-spa' });
  });

  it('puts a denial in the fragment too', async () => {
    const { app } = makeBrowserApp();
    const browser = new Browser(app);
    const page = await browser.get('/oauth2/authorize', { response_type: 'token', client_id: 'legacy-spa', redirect_uri: 'https://legacy.example/cb', state: 's' });
    const consent = await browser.follow(await browser.post('/oauth2/login', { ...formFields(page.text), username: 'alice', password: 'alice-password' }));
    const res = await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'deny' });
    expect(redirectParams(res, 'fragment')).toEqual({
      base: 'https://legacy.example/cb',
      params: { error: 'access_denied', state: 's', iss: 'https://auth.example.test' },
    });
  });
});
