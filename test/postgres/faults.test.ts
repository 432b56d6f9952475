import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import express from 'express';
import { createOAuthServer, hashClientSecret, hashToken } from 'express-oauth2-provider';
import { createPostgresStores, migrate } from 'express-oauth2-provider/postgres';
import { Pool } from 'pg';
import request, { type Response, type Test } from 'supertest';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { codeRequest, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { DATABASE_URL, describeWithDatabase, schemaPool } from '../helpers/database';
import { ALICE, basic, CONFIDENTIAL, decodeJwt, ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { recordingLogger, schemaName, waitFor, within } from './pg-helpers';
import { type Direction, startTcpProxy, type TcpProxy } from './tcp-proxy';

/**
 * The PostgreSQL adapter behind a TCP proxy that can take the database away ('down'), make it
 * stop answering ('stall') and give it back ('pass'), with the server's storeTimeoutMs at
 * 500 ms. What a client sees during an outage must be a 503 it can retry, never a hang, a
 * crash, a 401 that makes it throw its tokens away, or a half-done grant.
 */

const STORE_TIMEOUT_MS = 500;
/** How much later than storeTimeoutMs a stalled request may answer (a slow CI machine included). */
const MARGIN_MS = 1000;
/** How long an answer may take while the database is down. */
const DOWN_BOUND_MS = 2000;
const API = '/api/me';
const RESOURCE_SERVER = { id: 'resource-server', secret: 'resource-server-secret-0123456789' };
const UNAVAILABLE = 'The server is temporarily unable to handle the request';

/** What a down database makes pg report; every one of them must end up as the logged cause. */
const CONNECTION_LOST = /Connection terminated unexpectedly|ECONNRESET|EPIPE|Client has encountered a connection error/;

describeWithDatabase('PostgreSQL faults: the database goes away, stalls and comes back', () => {
  const schema = schemaName('faults');
  const logger = recordingLogger();
  let direct: Pool;
  let faulty: Pool;
  let proxy: TcpProxy;
  let server: Server;
  /** Everything secret that crossed the wire in this file: none of it may reach the logs. */
  const secrets = new Set<string>([CONFIDENTIAL.secret, WEB.secret, RESOURCE_SERVER.secret, ALICE.password, VERIFIER]);

  beforeAll(async () => {
    direct = await schemaPool(schema);
    await migrate(direct);
    const seed = createPostgresStores({ pool: direct });
    await seed.clients.upsert({
      id: CONFIDENTIAL.id,
      secretHash: hashClientSecret(CONFIDENTIAL.secret),
      grants: ['client_credentials', 'password', 'refresh_token'],
      scopes: ['read', 'write'],
      defaultScopes: ['read'],
    });
    await seed.clients.upsert({
      id: WEB.id,
      name: 'Web App',
      secretHash: hashClientSecret(WEB.secret),
      grants: ['authorization_code', 'refresh_token'],
      redirectUris: [WEB_CB],
      scopes: ['read'],
      defaultScopes: ['read'],
    });
    await seed.clients.upsert({
      id: RESOURCE_SERVER.id,
      secretHash: hashClientSecret(RESOURCE_SERVER.secret),
      grants: ['client_credentials'],
      canIntrospect: true,
    });
    await seed.users.upsert({
      id: ALICE.id,
      username: ALICE.username,
      passwordHash: bcrypt.hashSync(ALICE.password, 4),
    });

    const target = new URL(DATABASE_URL as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(DATABASE_URL as string);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    faulty = new Pool({
      connectionString: viaProxy.href,
      options: `-c search_path=${schema}`,
      max: 5,
      connectionTimeoutMillis: 1000,
    });
    const oauth = createOAuthServer({
      issuer: ISSUER,
      signing: { secret: JWT_SECRET },
      stores: createPostgresStores({ pool: faulty, logger }),
      storeTimeoutMs: STORE_TIMEOUT_MS,
      logger,
    });
    const app = express();
    app.use(oauth.router);
    app.get(API, oauth.requireToken({ checkRevocation: true }), (req, res) => {
      res.json({ clientId: req.oauth?.clientId, userId: req.oauth?.userId });
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });

  beforeEach(() => {
    proxy?.clearTriggers();
    proxy?.setMode('pass');
    logger.entries.length = 0;
  });

  afterEach(() => {
    // Whatever a test did, nothing secret may have been logged.
    const logged = logger.text();
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });

  afterAll(async () => {
    proxy?.setMode('pass');
    server?.closeAllConnections();
    await within(
      new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
      5000,
      'server.close()',
    );
    await within(Promise.resolve(faulty?.end()), 5000, 'the faulty pool to end');
    await within(Promise.resolve(proxy?.close()), 5000, 'the proxy to close');
    await within(Promise.resolve(direct?.end()), 5000, 'the direct pool to end');
  });

  /** Every request has a deadline: a hang fails the test instead of stalling the run. */
  const bounded = (test: Test) => test.timeout({ deadline: 10_000 });
  const token = (client: { id: string; secret: string }, fields: Record<string, string>) =>
    bounded(
      request(server)
        .post('/oauth2/token')
        .set('Authorization', basic(client.id, client.secret))
        .type('form')
        .send(fields),
    );
  const passwordGrant = () =>
    token(CONFIDENTIAL, {
      grant_type: 'password',
      username: ALICE.username,
      password: ALICE.password,
      scope: 'read write',
    });
  const refresh = (refreshToken: string) =>
    token(CONFIDENTIAL, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const redeem = (code: string) =>
    token(WEB, { grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: VERIFIER });
  const callApi = (accessToken: string) =>
    bounded(request(server).get(API).set('Authorization', `Bearer ${accessToken}`));
  const introspect = (value: string) =>
    bounded(
      request(server)
        .post('/oauth2/introspect')
        .set('Authorization', basic(RESOURCE_SERVER.id, RESOURCE_SERVER.secret))
        .type('form')
        .send({ token: value }),
    );
  const revoke = (value: string) =>
    bounded(
      request(server)
        .post('/oauth2/revoke')
        .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
        .type('form')
        .send({ token: value }),
    );

  async function timed(test: Test): Promise<{ res: Response; ms: number }> {
    const start = performance.now();
    const res = await test;
    return { res, ms: performance.now() - start };
  }

  /** A fresh pair (password grant), its secrets remembered for the log check. */
  async function freshPair(): Promise<{ access_token: string; refresh_token: string }> {
    const pair = expectTokenResponse(await passwordGrant(), {
      expires_in: 3600,
      scope: 'read write',
      refresh_token: true,
    }) as {
      access_token: string;
      refresh_token: string;
    };
    secrets.add(pair.access_token);
    secrets.add(pair.refresh_token);
    return pair;
  }

  /** A fresh authorization code through the browser flow (database up). */
  async function freshCode(): Promise<string> {
    const browser = new Browser(server as never);
    const page = await browser.get('/oauth2/authorize', codeRequest());
    const login = await browser.post('/oauth2/login', {
      ...formFields(page.text),
      username: ALICE.username,
      password: ALICE.password,
    });
    const consent = await browser.follow(login);
    const decided =
      consent.status === 303
        ? consent
        : await browser.post('/oauth2/authorize/decision', { ...formFields(consent.text), decision: 'allow' });
    const code = redirectParams(decided).params.code as string;
    expect(code).toEqual(expect.any(String));
    secrets.add(code);
    return code;
  }

  /** The token endpoint's 503: RFC 6749 §5.2 JSON, no-store, Retry-After, no challenge. */
  function expectUnavailable(res: Response): void {
    expectOAuthError(res, 503, 'temporarily_unavailable', UNAVAILABLE);
    expect(res.headers['retry-after']).toBe('5');
  }

  /** requireToken's 503: not a 401 (the client must keep its token), no challenge, no-store. */
  function expectApiUnavailable(res: Response): void {
    expect({ status: res.status, body: res.body }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: UNAVAILABLE },
    });
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json');
  }

  /** The server errors logged since the test began, as (message, cause message). */
  const loggedErrors = () =>
    logger.entries
      .filter((e) => e.level === 'error')
      .map((e) => ({ msg: e.msg, cause: (e.obj.err as Error | undefined)?.message, path: e.obj.path }));

  const refreshRow = async (refreshToken: string) =>
    (
      await direct.query<{ consumed: boolean; family_id: string }>(
        'SELECT consumed_at IS NOT NULL AS consumed, family_id FROM oauth_refresh_tokens WHERE hash = $1',
        [hashToken(refreshToken)],
      )
    ).rows[0];
  const codeRow = async (code: string) =>
    (
      await direct.query<{ consumed: boolean; family_id: string }>(
        'SELECT consumed_at IS NOT NULL AS consumed, family_id FROM oauth_authorization_codes WHERE hash = $1',
        [hashToken(code)],
      )
    ).rows[0];
  const isRevoked = async (familyId: string) =>
    (await direct.query('SELECT 1 FROM oauth_revoked_families WHERE id = $1', [familyId])).rowCount === 1;

  /**
   * Where the outage starts: before the request, or at the moment a given statement is sent
   * (the database never sees it). Returns a promise that settles once the outage has begun.
   */
  function outageAt(statement: string | undefined): Promise<void> {
    if (statement === undefined) {
      proxy.setMode('down');
      return Promise.resolve();
    }
    return proxy.downWhen('toServer' as Direction, statement);
  }

  describe('database down', () => {
    it('the token endpoint answers a JSON 503 temporarily_unavailable (no-store) within 2 s, the pool errors are handled, the cause is logged without secrets', async () => {
      // Warm the pool: idle connections exist that the outage will kill under it.
      await Promise.all([freshPair(), freshPair(), freshPair()]);
      const idle = faulty.idleCount;
      expect(idle).toBeGreaterThan(0);
      // The pool's connections really go through the proxy.
      expect(proxy.openConnections).toBe(faulty.totalCount);
      // The adapter's listener: without one, pg's 'error' event on the pool would crash the process.
      expect(faulty.listenerCount('error')).toBe(1);
      logger.entries.length = 0;

      proxy.setMode('down');
      // Each idle connection that dies is reported by the pool and handled by the adapter.
      await waitFor(
        () => logger.entries.filter((e) => e.level === 'warn').length >= idle,
        2000,
        'the pool error events',
      );
      expect(faulty.idleCount).toBe(0);
      for (const entry of logger.entries) {
        expect(entry).toEqual({
          level: 'warn',
          obj: { err: expect.objectContaining({ message: expect.stringMatching(CONNECTION_LOST) }) },
          msg: 'PostgreSQL connection lost; the pool will reconnect',
        });
      }
      logger.entries.length = 0;

      const { res, ms } = await timed(passwordGrant());
      expectUnavailable(res);
      expect(ms).toBeLessThan(DOWN_BOUND_MS);
      expect(loggedErrors()).toEqual([
        {
          msg: 'POST /oauth2/token failed with temporarily_unavailable',
          cause: expect.stringMatching(CONNECTION_LOST),
          path: '/oauth2/token',
        },
      ]);
    });

    it.each([
      ['client_credentials', { grant_type: 'client_credentials' }],
      ['password', { grant_type: 'password', username: ALICE.username, password: ALICE.password }],
      ['refresh_token', { grant_type: 'refresh_token', refresh_token: 'a-refresh-token-nobody-has-0123456789abcdef' }],
    ])(
      '%s: 503 within 2 s while down, 200 or the usual answer after recovery without a restart',
      async (grant, fields) => {
        proxy.setMode('down');
        const { res, ms } = await timed(token(CONFIDENTIAL, fields));
        expectUnavailable(res);
        expect(ms).toBeLessThan(DOWN_BOUND_MS);
        expect(loggedErrors()).toEqual([
          {
            msg: 'POST /oauth2/token failed with temporarily_unavailable',
            cause: expect.stringMatching(CONNECTION_LOST),
            path: '/oauth2/token',
          },
        ]);

        proxy.setMode('pass');
        const again = await token(CONFIDENTIAL, fields);
        if (grant === 'refresh_token') expectOAuthError(again, 400, 'invalid_grant', 'Invalid refresh token');
        else expectTokenResponse(again, { expires_in: 3600, scope: 'read', refresh_token: grant === 'password' });
      },
    );

    it.each<[string, string | undefined]>([
      ['before the request', undefined],
      ['when the successor refresh token is saved', 'INSERT INTO oauth_refresh_tokens'],
      ['when the presented token is consumed', 'UPDATE oauth_refresh_tokens'],
    ])(
      'a refresh failing %s leaves the presented token unconsumed: after recovery it refreshes (200)',
      async (_when, statement) => {
        const pair = await freshPair();
        const before = await refreshRow(pair.refresh_token);
        expect(before?.consumed).toBe(false);

        const outage = outageAt(statement);
        const { res, ms } = await timed(refresh(pair.refresh_token));
        await within(outage, 1000, 'the outage to begin');
        expectUnavailable(res);
        expect(ms).toBeLessThan(DOWN_BOUND_MS);
        expect(await refreshRow(pair.refresh_token)).toEqual({ consumed: false, family_id: before?.family_id });
        expect(await isRevoked(before?.family_id as string)).toBe(false);

        proxy.setMode('pass');
        const next = expectTokenResponse(await refresh(pair.refresh_token), {
          expires_in: 3600,
          scope: 'read write',
          refresh_token: true,
        });
        secrets.add(next.access_token);
        secrets.add(next.refresh_token as string);
        expect(await refreshRow(pair.refresh_token)).toEqual({ consumed: true, family_id: before?.family_id });
        // The family is intact: the new pair works.
        expect((await callApi(next.access_token)).status).toBe(200);
        expectTokenResponse(await refresh(next.refresh_token as string), {
          expires_in: 3600,
          scope: 'read write',
          refresh_token: true,
        });
      },
    );

    it.each<[string, string | undefined]>([
      ['before the request', undefined],
      ['when the access token is saved', 'INSERT INTO oauth_access_tokens'],
      ['when the code is consumed', 'UPDATE oauth_authorization_codes'],
    ])('a code redemption failing %s leaves the code redeemable after recovery', async (_when, statement) => {
      const code = await freshCode();
      const outage = outageAt(statement);
      const { res, ms } = await timed(redeem(code));
      await within(outage, 1000, 'the outage to begin');
      expectUnavailable(res);
      expect(ms).toBeLessThan(DOWN_BOUND_MS);
      const row = await codeRow(code);
      expect(row?.consumed).toBe(false);
      expect(await isRevoked(row?.family_id as string)).toBe(false);

      proxy.setMode('pass');
      const body = expectTokenResponse(await redeem(code), { expires_in: 3600, scope: 'read', refresh_token: true });
      secrets.add(body.access_token);
      secrets.add(body.refresh_token as string);
      expect(await codeRow(code)).toEqual({ consumed: true, family_id: row?.family_id });
      expect((await callApi(body.access_token)).body).toEqual({ clientId: WEB.id, userId: ALICE.id });
    });

    it('ADR 0010 known limit: a consume that committed but whose answer was lost leaves the token used; the retry revokes the grant', async () => {
      const pair = await freshPair();
      const family = (await refreshRow(pair.refresh_token))?.family_id as string;
      // The UPDATE reaches PostgreSQL and commits; its "UPDATE 1" never reaches the server.
      const outage = proxy.downWhen('toClient', 'UPDATE 1');
      const { res } = await timed(refresh(pair.refresh_token));
      await within(outage, 1000, 'the outage to begin');
      expectUnavailable(res);
      expect(await refreshRow(pair.refresh_token)).toEqual({ consumed: true, family_id: family });

      proxy.setMode('pass');
      expectOAuthError(
        await refresh(pair.refresh_token),
        400,
        'invalid_grant',
        'The refresh token was already used; the grant has been revoked',
      );
      expect(await isRevoked(family)).toBe(true);
    });

    it('requireToken({ checkRevocation: true }) answers 503, not 401 invalid_token, so the client keeps its token', async () => {
      const pair = await freshPair();
      expect((await callApi(pair.access_token)).status).toBe(200);

      proxy.setMode('down');
      const { res, ms } = await timed(callApi(pair.access_token));
      expectApiUnavailable(res);
      expect(ms).toBeLessThan(DOWN_BOUND_MS);
      expect(loggedErrors()).toEqual([
        {
          msg: `GET ${API} failed with temporarily_unavailable`,
          cause: expect.stringMatching(CONNECTION_LOST),
          path: API,
        },
      ]);

      proxy.setMode('pass');
      expect((await callApi(pair.access_token)).body).toEqual({ clientId: CONFIDENTIAL.id, userId: ALICE.id });
    });

    it.each<[string, string | undefined]>([
      ['at client authentication', undefined],
      ['at the token lookup', 'SELECT * FROM oauth_access_tokens'],
    ])('introspection answers 503 (never {"active": false}) when the database fails %s', async (_when, statement) => {
      const pair = await freshPair();
      const outage = outageAt(statement);
      const { res, ms } = await timed(introspect(pair.access_token));
      await within(outage, 1000, 'the outage to begin');
      expectUnavailable(res);
      expect(ms).toBeLessThan(DOWN_BOUND_MS);

      proxy.setMode('pass');
      const after = await introspect(pair.access_token);
      expect({ status: after.status, active: after.body.active, jti: after.body.jti }).toEqual({
        status: 200,
        active: true,
        jti: decodeJwt(pair.access_token).payload.jti,
      });
    });

    it('revocation answers 503 (never a 200 that did not revoke) when the family cannot be revoked; the retry revokes', async () => {
      const pair = await freshPair();
      const outage = outageAt('INSERT INTO oauth_revoked_families');
      const { res } = await timed(revoke(pair.refresh_token));
      await within(outage, 1000, 'the outage to begin');
      expectUnavailable(res);

      proxy.setMode('pass');
      expect((await callApi(pair.access_token)).status).toBe(200);
      const again = await revoke(pair.refresh_token);
      expect({ status: again.status, text: again.text }).toEqual({ status: 200, text: '' });
      expect((await callApi(pair.access_token)).status).toBe(401);
    });
  });

  describe('database stalled (accepts, answers nothing)', () => {
    const expectStallBound = (ms: number) => {
      expect(ms).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 5);
      expect(ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    };

    it('the token endpoint answers 503 within storeTimeoutMs + margin, and recovers when the database answers again', async () => {
      await freshPair();
      proxy.setMode('stall');
      const { res, ms } = await timed(passwordGrant());
      expectUnavailable(res);
      expectStallBound(ms);
      expect(loggedErrors()).toEqual([
        {
          msg: 'POST /oauth2/token failed with temporarily_unavailable',
          cause: `store call findById took longer than ${STORE_TIMEOUT_MS} ms`,
          path: '/oauth2/token',
        },
      ]);

      proxy.setMode('pass');
      await freshPair();
    });

    it('a fresh connection that stalls (no idle connection left) also answers 503 in time', async () => {
      proxy.setMode('down');
      await waitFor(() => faulty.idleCount === 0 && faulty.totalCount === 0, 2000, 'the pool to drop its connections');
      proxy.setMode('stall');
      const { res, ms } = await timed(passwordGrant());
      expectUnavailable(res);
      expectStallBound(ms);
      proxy.setMode('pass');
      await freshPair();
    });

    it('several stalled requests at once all answer 503 in time; afterwards the pool is usable again', async () => {
      const pair = await freshPair();
      proxy.setMode('stall');
      // More requests than the pool has connections (max 5).
      const results = await within(
        Promise.all(Array.from({ length: 8 }, () => timed(refresh(pair.refresh_token)))),
        STORE_TIMEOUT_MS + MARGIN_MS + 2000,
        'the stalled requests',
      );
      for (const { res, ms } of results) {
        expectUnavailable(res);
        expectStallBound(ms);
      }
      expect(await refreshRow(pair.refresh_token)).toMatchObject({ consumed: false });

      proxy.setMode('pass');
      expectTokenResponse(await refresh(pair.refresh_token), {
        expires_in: 3600,
        scope: 'read write',
        refresh_token: true,
      });
    });

    it('requireToken({ checkRevocation: true }) answers 503 within storeTimeoutMs + margin', async () => {
      const pair = await freshPair();
      proxy.setMode('stall');
      const { res, ms } = await timed(callApi(pair.access_token));
      expectApiUnavailable(res);
      expectStallBound(ms);
      expect(loggedErrors()).toEqual([
        {
          msg: `GET ${API} failed with temporarily_unavailable`,
          cause: `store call findAccessToken took longer than ${STORE_TIMEOUT_MS} ms`,
          path: API,
        },
      ]);
      proxy.setMode('pass');
      expect((await callApi(pair.access_token)).status).toBe(200);
    });

    it('introspection answers 503 within storeTimeoutMs + margin', async () => {
      const pair = await freshPair();
      proxy.setMode('stall');
      const { res, ms } = await timed(introspect(pair.access_token));
      expectUnavailable(res);
      expectStallBound(ms);
      proxy.setMode('pass');
      expect((await introspect(pair.access_token)).body.active).toBe(true);
    });

    it('a code redemption stalled at the consume answers 503 in time; the held consume lands later (ADR 0010: the code is then used)', async () => {
      const code = await freshCode();
      const family = (await codeRow(code))?.family_id as string;
      const stalled = proxy.stallWhen('toServer', 'UPDATE oauth_authorization_codes');
      const { res, ms } = await timed(redeem(code));
      await within(stalled, 1000, 'the stall to begin');
      expectUnavailable(res);
      expectStallBound(ms);
      expect(await codeRow(code)).toEqual({ consumed: false, family_id: family });

      // The statement was held, not lost: when the database answers again, it runs.
      proxy.setMode('pass');
      await waitFor(
        () => faulty.waitingCount === 0 && faulty.idleCount === faulty.totalCount,
        2000,
        'the held statements to finish',
      );
      expect(await codeRow(code)).toEqual({ consumed: true, family_id: family });
      expectOAuthError(
        await redeem(code),
        400,
        'invalid_grant',
        'The authorization code was already used; tokens issued from it have been revoked',
      );
      expect(await isRevoked(family)).toBe(true);
    });
  });
  describe('a database error that is not an outage', () => {
    it('a missing table (migrations not run, wrong tablePrefix) is a 500 server_error, not a 503: retrying will not help', async () => {
      const wrongPrefix = createOAuthServer({
        issuer: ISSUER,
        signing: { secret: JWT_SECRET },
        stores: createPostgresStores({ pool: direct, tablePrefix: 'missing_', logger }),
        logger,
      });
      const app = express().use(wrongPrefix.router);
      const res = await bounded(
        request(app)
          .post('/oauth2/token')
          .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
          .type('form')
          .send({ grant_type: 'client_credentials' }),
      );
      expectOAuthError(res, 500, 'server_error', 'The server encountered an unexpected condition');
      expect(res.headers['retry-after']).toBeUndefined();
      expect(loggedErrors()).toEqual([
        {
          msg: 'POST /oauth2/token failed with server_error',
          cause: 'relation "missing_clients" does not exist',
          path: '/oauth2/token',
        },
      ]);
    });
  });
});
