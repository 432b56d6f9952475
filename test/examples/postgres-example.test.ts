/**
 * The PostgreSQL example (examples/postgres) works as its README says, on a real database:
 * migrate and seed are idempotent (twice gives the same tables), the seeded clients are the
 * quickstart's, and client_credentials, the password grant and refresh rotation (with reuse
 * detection) work through the example app, with the rows they leave checked in the database.
 * Two app instances on one database and one signing key behave as one server.
 */
import { hashToken } from 'express-oauth2-provider';
import { migrate } from 'express-oauth2-provider/postgres';
import type { Pool } from 'pg';
import request from 'supertest';
import { createPostgresQuickstart } from '../../examples/postgres/app';
import { DEMO_CLIENTS, type SeedResult, seedDemoData } from '../../examples/postgres/seed';
import { createQuickstartApp, loadSigningKey } from '../../examples/quickstart/app';
import { Browser, CHALLENGE, formFields, redirectParams, VERIFIER } from '../helpers/browser-flow';
import { describeWithDatabase, schemaPool } from '../helpers/database';
import { decodeJwt } from '../helpers/fixtures';

declare const EXPECTED_EXPRESS_MAJOR: number;

const ISSUER = 'http://localhost:3000';
const TOKEN_PATH = '/oauth2/token';

function expectNoStore(res: request.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
}

describeWithDatabase('examples/postgres: the quickstart on PostgreSQL', () => {
  let pool: Pool;
  let example: ReturnType<typeof createPostgresQuickstart>;
  const signingKey = loadSigningKey({}).jwk;
  const runs: { migrated: number[][]; seeded: SeedResult[]; tables: unknown[] } = {
    migrated: [],
    seeded: [],
    tables: [],
  };

  const tables = async () => ({
    migrations: (await pool.query('SELECT version, name FROM oauth_schema_migrations ORDER BY version')).rows,
    clients: (await pool.query('SELECT * FROM oauth_clients ORDER BY id')).rows,
    users: (await pool.query('SELECT * FROM oauth_users ORDER BY id')).rows,
  });

  beforeAll(async () => {
    // Its own schema per Express project: the two jest projects run this file in parallel.
    pool = await schemaPool(`example_postgres_e${EXPECTED_EXPRESS_MAJOR}`);
    example = createPostgresQuickstart({ pool, issuer: ISSUER, signingKey });
    // What server.ts does on every start, twice: as after a restart, or a second instance.
    for (let i = 0; i < 2; i++) {
      runs.migrated.push(await migrate(pool));
      runs.seeded.push(await seedDemoData(example.stores));
      runs.tables.push(await tables());
    }
  });

  afterAll(async () => {
    await pool?.end();
  });

  describe('migrate and seed', () => {
    it('migrate applies versions 1 and 2 once, then finds nothing to do', () => {
      expect(runs.migrated).toEqual([[1, 2], []]);
    });

    it('seeding twice writes the same rows: clients upserted, users created once', async () => {
      expect(runs.seeded).toEqual([
        { clients: ['demo-service', 'demo-spa', 'demo-web'], usersCreated: ['user-demo', 'user-demo2'] },
        { clients: ['demo-service', 'demo-spa', 'demo-web'], usersCreated: [] },
      ]);
      expect(runs.tables[1]).toEqual(runs.tables[0]);
      const { migrations, users } = runs.tables[1] as Awaited<ReturnType<typeof tables>>;
      expect(migrations).toEqual([
        { version: 1, name: '001_initial.sql' },
        { version: 2, name: '002_client_groups.sql' },
      ]);
      expect(users).toEqual([
        {
          id: 'user-demo',
          username: 'demo',
          realm: '',
          password_hash: expect.stringMatching(/^\$2[aby]\$10\$/),
          disabled: null,
          password_changed_at: expect.any(Date),
        },
        {
          id: 'user-demo2',
          username: 'demo2',
          realm: '',
          password_hash: expect.stringMatching(/^\$2[aby]\$10\$/),
          disabled: null,
          password_changed_at: expect.any(Date),
        },
      ]);
    });

    it('stores exactly the clients of the in-memory quickstart, secrets only as SHA-256 hashes', async () => {
      const quickstart = createQuickstartApp({ issuer: ISSUER, signingKey });
      try {
        for (const { id } of DEMO_CLIENTS) {
          expect(await example.stores.clients.findById(id)).toEqual(await quickstart.stores.clients.findById(id));
        }
      } finally {
        quickstart.stores.tokens.close();
      }
      const { rows } = await pool.query('SELECT id, secret_hash FROM oauth_clients ORDER BY id');
      expect(rows).toEqual([
        { id: 'demo-service', secret_hash: expect.stringMatching(/^sha256:[A-Za-z0-9_-]{43}$/) },
        { id: 'demo-spa', secret_hash: null },
        { id: 'demo-web', secret_hash: expect.stringMatching(/^sha256:[A-Za-z0-9_-]{43}$/) },
      ]);
    });
  });

  describe('grants through the example app', () => {
    const service = () => example.demo.confidentialClient;

    it('GET / describes the endpoints', async () => {
      const res = await request(example.app).get('/');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: 'express-oauth2-provider quickstart on PostgreSQL',
        issuer: ISSUER,
        endpoints: {
          authorization: `${ISSUER}/oauth2/authorize`,
          token: `${ISSUER}${TOKEN_PATH}`,
          revocation: `${ISSUER}/oauth2/revoke`,
          introspection: `${ISSUER}/oauth2/introspect`,
          jwks: `${ISSUER}/oauth2/jwks`,
          metadata: `${ISSUER}/.well-known/oauth-authorization-server`,
        },
        api: { me: `${ISSUER}/api/me` },
      });
    });

    it('client_credentials: demo-service gets an ES256 token, recorded in oauth_access_tokens, accepted by /api/me', async () => {
      const res = await request(example.app)
        .post(TOKEN_PATH)
        .auth(service().id, service().secret)
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'read' });
      expect(res.status).toBe(200);
      expectNoStore(res);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        expires_in: 3600,
        scope: 'read',
        token_type: 'Bearer',
      });
      const jwt = decodeJwt(res.body.access_token);
      expect(jwt.header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: example.signingKid });
      expect(jwt.payload).toEqual({
        iss: ISSUER,
        sub: 'demo-service',
        aud: ISSUER,
        client_id: 'demo-service',
        scope: 'read',
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: (jwt.payload.iat as number) + 3600,
      });

      const { rows } = await pool.query('SELECT * FROM oauth_access_tokens WHERE id = $1', [jwt.payload.jti]);
      expect(rows).toEqual([
        {
          id: jwt.payload.jti,
          family_id: expect.any(String),
          client_id: 'demo-service',
          user_id: null,
          realm: null,
          scope: ['read'],
          created_at: expect.any(Date),
          expires_at: new Date((jwt.payload.exp as number) * 1000),
        },
      ]);

      const me = await request(example.app).get('/api/me').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ clientId: 'demo-service', userId: null, scopes: ['read'] });
    });

    it('client_credentials with a wrong secret is 401 invalid_client', async () => {
      const res = await request(example.app)
        .post(TOKEN_PATH)
        .auth(service().id, 'not-the-secret')
        .type('form')
        .send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(401);
      expectNoStore(res);
      expect(res.headers['www-authenticate']).toBe(`Basic realm="${ISSUER}"`);
      expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    });

    it('password then refresh: the seeded user signs in, the refresh token rotates, and replaying it revokes the grant', async () => {
      const first = await request(example.app).post(TOKEN_PATH).type('form').send({
        grant_type: 'password',
        client_id: 'demo-spa',
        username: 'demo',
        password: 'demo-password',
        scope: 'read write',
      });
      expect(first.status).toBe(200);
      expectNoStore(first);
      expect(first.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
        scope: 'read write',
        token_type: 'Bearer',
      });
      expect(decodeJwt(first.body.access_token).payload).toMatchObject({
        sub: 'user-demo',
        client_id: 'demo-spa',
        scope: 'read write',
      });

      const refresh = () =>
        request(example.app)
          .post(TOKEN_PATH)
          .type('form')
          .send({ grant_type: 'refresh_token', client_id: 'demo-spa', refresh_token: first.body.refresh_token });
      const second = await refresh();
      expect(second.status).toBe(200);
      expectNoStore(second);
      expect(second.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
        scope: 'read write',
        token_type: 'Bearer',
      });
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);

      // Only hashes are stored; the first token is consumed, the second is live, same family.
      const row = async (token: string) =>
        (
          await pool.query(
            'SELECT family_id, client_id, user_id, scope, consumed_at FROM oauth_refresh_tokens WHERE hash = $1',
            [hashToken(token)],
          )
        ).rows[0];
      const used = await row(first.body.refresh_token);
      const live = await row(second.body.refresh_token);
      expect(used).toEqual({
        family_id: expect.any(String),
        client_id: 'demo-spa',
        user_id: 'user-demo',
        scope: ['read', 'write'],
        consumed_at: expect.any(Date),
      });
      expect(live).toEqual({
        family_id: used.family_id,
        client_id: 'demo-spa',
        user_id: 'user-demo',
        scope: ['read', 'write'],
        consumed_at: null,
      });
      const raw = await pool.query('SELECT count(*)::int AS n FROM oauth_refresh_tokens WHERE hash = $1 OR hash = $2', [
        first.body.refresh_token,
        second.body.refresh_token,
      ]);
      expect(raw.rows).toEqual([{ n: 0 }]);

      // RFC 9700 §4.14: the rotated token presented again revokes the whole family.
      const replay = await refresh();
      expect(replay.status).toBe(400);
      expectNoStore(replay);
      expect(replay.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The refresh token was already used; the grant has been revoked',
      });
      const revoked = await pool.query('SELECT id FROM oauth_revoked_families WHERE id = $1', [used.family_id]);
      expect(revoked.rows).toEqual([{ id: used.family_id }]);
      const after = await request(example.app)
        .post(TOKEN_PATH)
        .type('form')
        .send({ grant_type: 'refresh_token', client_id: 'demo-spa', refresh_token: second.body.refresh_token });
      expect(after.status).toBe(400);
      expect(after.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid refresh token' });
    });

    it('password with the confidential client, then refresh with HTTP Basic', async () => {
      const first = await request(example.app)
        .post(TOKEN_PATH)
        .auth(service().id, service().secret)
        .type('form')
        .send({ grant_type: 'password', username: 'demo2', password: 'demo2-password' });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
        scope: 'read',
        token_type: 'Bearer',
      });
      const res = await request(example.app)
        .post(TOKEN_PATH)
        .auth(service().id, service().secret)
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      expect(res.status).toBe(200);
      expectNoStore(res);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
        scope: 'read',
        token_type: 'Bearer',
      });
      const me = await request(example.app).get('/api/me').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.body).toEqual({ clientId: 'demo-service', userId: 'user-demo2', scopes: ['read'] });
    });

    it('a wrong password is 400 invalid_grant', async () => {
      const res = await request(example.app)
        .post(TOKEN_PATH)
        .type('form')
        .send({ grant_type: 'password', client_id: 'demo-spa', username: 'demo', password: 'wrong' });
      expect(res.status).toBe(400);
      expectNoStore(res);
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid resource owner credentials' });
    });
  });

  describe('two instances on one database', () => {
    it('share tokens: B rotates what A issued, and A then sees the replay as reuse', async () => {
      const b = createPostgresQuickstart({ pool, issuer: ISSUER, signingKey });
      const a = example;
      const issued = await request(a.app)
        .post(TOKEN_PATH)
        .type('form')
        .send({ grant_type: 'password', client_id: 'demo-spa', username: 'demo', password: 'demo-password' });
      expect(issued.status).toBe(200);

      const me = await request(b.app).get('/api/me').set('Authorization', `Bearer ${issued.body.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ clientId: 'demo-spa', userId: 'user-demo', scopes: ['read'] });

      const rotated = await request(b.app)
        .post(TOKEN_PATH)
        .type('form')
        .send({ grant_type: 'refresh_token', client_id: 'demo-spa', refresh_token: issued.body.refresh_token });
      expect(rotated.status).toBe(200);

      const replay = await request(a.app)
        .post(TOKEN_PATH)
        .type('form')
        .send({ grant_type: 'refresh_token', client_id: 'demo-spa', refresh_token: issued.body.refresh_token });
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The refresh token was already used; the grant has been revoked',
      });
    });

    it('share pending authorizations: login, consent and the code exchange may each land on another instance', async () => {
      const a = example;
      const b = createPostgresQuickstart({ pool, issuer: ISSUER, signingKey });
      // One browser (one cookie jar) whose requests a load balancer sends to A or B.
      const onA = new Browser(a.app);
      const onB = new Browser(b.app);
      const hop = (from: Browser, to: Browser) => {
        for (const [name, value] of from.cookies) to.cookies.set(name, value);
        return to;
      };
      const web = example.demo.webClient;
      const redirectUri = web.redirectUris[0];

      const login = await onA.get('/oauth2/authorize', {
        response_type: 'code',
        client_id: web.id,
        redirect_uri: redirectUri,
        scope: 'read',
        state: 'state-pg',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      });
      expect(login.status).toBe(200);
      const signedIn = await hop(onA, onB).post('/oauth2/login', {
        ...formFields(login.text),
        username: 'demo',
        password: 'demo-password',
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.location).toBe(
        `/oauth2/authorize/continue?transaction_id=${formFields(login.text).transaction_id}`,
      );
      const consent = await hop(onB, onA).follow(signedIn);
      expect(consent.status).toBe(200);
      expect(consent.text).toContain('Signed in as <strong>demo</strong>');
      const allowed = await hop(onA, onB).post('/oauth2/authorize/decision', {
        ...formFields(consent.text),
        decision: 'allow',
      });
      expect(allowed.status).toBe(303);
      const { base, params } = redirectParams(allowed);
      expect({ base, params }).toEqual({
        base: redirectUri,
        params: { code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: 'state-pg', iss: ISSUER },
      });

      const exchanged = await request(a.app)
        .post(TOKEN_PATH)
        .auth(web.id, web.secret)
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code: params.code,
          redirect_uri: redirectUri,
          code_verifier: VERIFIER,
        });
      expect(exchanged.status).toBe(200);
      expect(exchanged.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3600,
        scope: 'read',
        token_type: 'Bearer',
      });
      const consents = await pool.query('SELECT user_id, client_id, scope FROM oauth_consents WHERE client_id = $1', [
        web.id,
      ]);
      expect(consents.rows).toEqual([{ user_id: 'user-demo', client_id: 'demo-web', scope: ['read'] }]);
    });
  });
});
