import { gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { createOAuthServer, InvalidRequestError, type Logger } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { rawPost } from '../helpers/raw-request';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, NO_REFRESH, POST_CLIENT, basic, makeApp, seedStores } from '../helpers/fixtures';

const { app } = makeApp();
const auth = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);
const token = () => request(app).post('/oauth2/token').set('Authorization', auth);
const formHeaders = (body: Buffer) => ({ 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) });

describe('RFC 6749 §3.2 the token endpoint accepts POST only', () => {
  it.each(['get', 'put', 'delete', 'patch'] as const)('answers %s with 405, Allow: POST and a JSON error', async (method) => {
    const res = await request(app)[method]('/oauth2/token');
    expect({ status: res.status, body: res.body }).toEqual({
      status: 405,
      body: { error: 'invalid_request', error_description: 'The token endpoint accepts POST only' },
    });
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  });
});

describe('RFC 6749 §5.2 malformed requests are invalid_request 400, never 500', () => {
  it('a request with no body lacks grant_type', async () => {
    expectOAuthError(await token(), 400, 'invalid_request', 'Missing required parameter: grant_type');
  });

  it('a request with no body and no client is invalid_client', async () => {
    expectOAuthError(await request(app).post('/oauth2/token'), 401, 'invalid_client', 'Client authentication is required');
  });

  it('ignores parameters in the query string (they belong in the body, §3.2)', async () => {
    expectOAuthError(await token().query({ grant_type: 'client_credentials' }), 400, 'invalid_request', 'Missing required parameter: grant_type');
  });

  it('rejects a repeated form parameter (§3.1)', async () => {
    const res = await token().type('form').send('grant_type=client_credentials&grant_type=password');
    expectOAuthError(res, 400, 'invalid_request', "Parameter 'grant_type' is included more than once");
  });

  it('rejects a repeated parameter even when one copy is empty', async () => {
    const res = await token().type('form').send('grant_type=client_credentials&scope=&scope=read');
    expectOAuthError(res, 400, 'invalid_request', "Parameter 'scope' is included more than once");
  });

  it.each([
    ['the second copy is empty', 'grant_type=client_credentials&scope=read&scope='],
    ['both copies are empty', 'grant_type=client_credentials&scope=&scope='],
  ])('rejects a repeated parameter when %s', async (_name, body) => {
    const res = await token().type('form').send(body);
    expectOAuthError(res, 400, 'invalid_request', "Parameter 'scope' is included more than once");
  });

  it('reads the charset parameter of the media type, in any case and quoted', async () => {
    const res = await token().set('Content-Type', 'application/x-www-form-urlencoded; Charset="ISO-8859-1"').send('grant_type=client_credentials');
    expectOAuthError(res, 400, 'invalid_request', 'The request body must be UTF-8');
  });

  it('rejects a repeated JSON key', async () => {
    const res = await token().set('Content-Type', 'application/json').send('{"grant_type":"client_credentials","scope":"read","scope":"write"}');
    expectOAuthError(res, 400, 'invalid_request', "Parameter 'scope' is included more than once");
  });

  it('does not mistake a key-like string inside a JSON value for a repeated key', async () => {
    const res = await request(app)
      .post('/oauth2/token')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: POST_CLIENT.secret, note: '"grant_type": "x"' }));
    expectTokenResponse(res, { expires_in: 3600 });
  });

  it('rejects unparsable JSON', async () => {
    const res = await token().set('Content-Type', 'application/json').send('{"grant_type": ');
    expectOAuthError(res, 400, 'invalid_request', 'The request body is not valid JSON');
  });

  it.each([
    ['an array', '["client_credentials"]', 'The request body must be a set of parameters'],
    ['a string', '"client_credentials"', 'The request body must be a set of parameters'],
    ['a number value', '{"grant_type":"client_credentials","scope":5}', "Parameter 'scope' must be a string"],
    ['an array value', '{"grant_type":"client_credentials","scope":["read"]}', "Parameter 'scope' must be a string"],
    ['an object value', '{"grant_type":{"$ne":"x"}}', "Parameter 'grant_type' must be a string"],
    ['a null value', '{"grant_type":null}', "Parameter 'grant_type' must be a string"],
    ['a boolean value', '{"grant_type":"client_credentials","x":true}', "Parameter 'x' must be a string"],
  ])('rejects a JSON body that is %s', async (_name, body, description) => {
    const res = await token().set('Content-Type', 'application/json').send(body);
    expectOAuthError(res, 400, 'invalid_request', description);
  });

  it('does not echo odd parameter names back', async () => {
    const res = await token().set('Content-Type', 'application/json').send('{"<script>":1}');
    expectOAuthError(res, 400, 'invalid_request', "Parameter '(unnamed)' must be a string");
  });

  it('rejects an unsupported media type', async () => {
    const res = await token().set('Content-Type', 'text/plain').send('grant_type=client_credentials');
    expectOAuthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded or application/json');
  });

  it('rejects a body without a Content-Type', async () => {
    const body = 'grant_type=client_credentials';
    const res = await rawPost(app, '/oauth2/token', { Authorization: auth, 'Content-Length': String(body.length) }, body);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded or application/json' },
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('rejects a charset other than UTF-8', async () => {
    const res = await token().set('Content-Type', 'application/x-www-form-urlencoded; charset=iso-8859-1').send('grant_type=client_credentials');
    expectOAuthError(res, 400, 'invalid_request', 'The request body must be UTF-8');
  });

  it.each(['UTF-8', 'utf8', '"utf-8"'])('accepts an explicit charset=%s', async (charset) => {
    const res = await token().set('Content-Type', `application/x-www-form-urlencoded; charset=${charset}`).send('grant_type=client_credentials');
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
  });

  it('rejects bytes that are not UTF-8', async () => {
    const body = Buffer.from([0x67, 0x3d, 0xff, 0xfe]);
    const res = await rawPost(app, '/oauth2/token', { ...formHeaders(body), Authorization: auth }, body);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'The request body is not valid UTF-8' },
    });
  });

  it('rejects a compressed body', async () => {
    const body = gzipSync('grant_type=client_credentials');
    const res = await rawPost(app, '/oauth2/token', { ...formHeaders(body), Authorization: auth, 'Content-Encoding': 'gzip' }, body);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Content-Encoding is not supported' },
    });
  });

  it('rejects a body over 64 KiB', async () => {
    const res = await token().type('form').send(`grant_type=client_credentials&pad=${'a'.repeat(70_000)}`);
    expectOAuthError(res, 400, 'invalid_request', 'The request body is too large');
  });

  it('rejects an unknown grant type with unsupported_grant_type 400 (not 501)', async () => {
    const res = await token().type('form').send({ grant_type: 'urn:example:magic' });
    expectOAuthError(res, 400, 'unsupported_grant_type', 'The grant type is not supported by this server');
  });

  it('rejects a grant the client is not registered for with unauthorized_client', async () => {
    const res = await request(app).post('/oauth2/token').set('Authorization', basic(NO_REFRESH.id, NO_REFRESH.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 400, 'unauthorized_client', 'The client may not use the client_credentials grant');
  });
});

describe('living with the host application', () => {
  it('works behind a host urlencoded parser, and still rejects repeated parameters', async () => {
    const stores = seedStores();
    const host = express();
    host.use(express.urlencoded({ extended: false }));
    host.use(express.json());
    host.use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET } }).router);
    expectTokenResponse(await request(host).post('/oauth2/token').set('Authorization', auth).type('form').send('grant_type=client_credentials'), {
      expires_in: 3600,
      scope: 'read',
    });
    expectTokenResponse(await request(host).post('/oauth2/token').set('Authorization', auth).send({ grant_type: 'client_credentials' }), {
      expires_in: 3600,
      scope: 'read',
    });
    const dup = await request(host).post('/oauth2/token').set('Authorization', auth).type('form').send('grant_type=client_credentials&scope=a&scope=b');
    expectOAuthError(dup, 400, 'invalid_request', "Parameter 'scope' is included more than once");
  });

  it('reports an array in a host-parsed JSON body as a wrong type, not a repeat', async () => {
    const host = express();
    host.use(express.json());
    host.use(createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } }).router);
    const res = await request(host).post('/oauth2/token').set('Authorization', auth).send({ grant_type: 'client_credentials', scope: ['read'] });
    expectOAuthError(res, 400, 'invalid_request', "Parameter 'scope' must be a string");
  });

  it('mounts under a custom basePath and leaves other paths to the host', async () => {
    const host = express();
    host.use(createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, basePath: '/auth' }).router);
    host.get('/oauth2/token', (_req, res) => {
      res.json({ host: true });
    });
    expectTokenResponse(await request(host).post('/auth/token').set('Authorization', auth).type('form').send('grant_type=client_credentials'), {
      expires_in: 3600,
      scope: 'read',
    });
    const other = await request(host).get('/oauth2/token');
    expect({ status: other.status, body: other.body }).toEqual({ status: 200, body: { host: true } });
  });
});

describe('error_description stays within the RFC 6749 §5.2 character set', () => {
  it('cleans a description a store passes through', async () => {
    const seeded = seedStores();
    const clients = { findById: () => Promise.reject(new InvalidRequestError('Tenant "zürich" \\ closed')) };
    const host = express().use(createOAuthServer({ issuer: ISSUER, stores: { ...seeded, clients }, signing: { secret: JWT_SECRET } }).router);
    const res = await request(host).post('/oauth2/token').set('Authorization', auth).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 400, 'invalid_request', "Tenant 'z?rich' / closed");
  });
});

describe('a stalled store answers 503 within storeTimeoutMs, never hangs', () => {
  it('times out a store call that never settles', async () => {
    const seeded = seedStores();
    const logger: Logger = { warn: jest.fn(), error: jest.fn() };
    const clients = { findById: () => new Promise<never>(() => undefined) };
    const host = express().use(createOAuthServer({ issuer: ISSUER, stores: { ...seeded, clients }, signing: { secret: JWT_SECRET }, logger, storeTimeoutMs: 50 }).router);
    const started = Date.now();
    const res = await request(host).post('/oauth2/token').set('Authorization', auth).type('form').send({ grant_type: 'client_credentials' });
    expect(Date.now() - started).toBeLessThan(1000);
    expectOAuthError(res, 503, 'temporarily_unavailable', 'The server is temporarily unable to handle the request');
    expect(res.headers['retry-after']).toBe('5');
    expect(logger.error).toHaveBeenCalledTimes(1);
  });
});

describe('store failures become a generic server_error', () => {
  function failingApp(fail: 'clients' | 'tokens') {
    const seeded = seedStores();
    const boom = () => Promise.reject(new Error('connection refused to db.internal:5432 password=hunter2'));
    const stores =
      fail === 'clients'
        ? { ...seeded, clients: { findById: boom } }
        : { ...seeded, tokens: Object.assign(Object.create(seeded.tokens), { saveAccessToken: boom }) };
    const logged: unknown[][] = [];
    const logger: Logger = { warn: (...a) => logged.push(['warn', ...a]), error: (...a) => logged.push(['error', ...a]) };
    const host = express().use(createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, logger }).router);
    return { host, logged };
  }

  it.each(['clients', 'tokens'] as const)('answers 500 server_error without internal text when the %s store fails', async (which) => {
    const { host, logged } = failingApp(which);
    const res = await request(host).post('/oauth2/token').set('Authorization', auth).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 500, 'server_error', 'The server encountered an unexpected condition');
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    // The cause is logged for the operator, once, at error level.
    expect(logged).toEqual([['error', { err: expect.any(Error), method: 'POST', path: '/oauth2/token' }, 'POST /oauth2/token failed with server_error']]);
    const [, fields] = logged[0] as [string, { err: Error }];
    expect(fields.err.message).toContain('connection refused');
  });
});
