import request from 'supertest';
import { parseBasicCredentials } from '../../lib/client-auth/client-secret-basic';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import {
  ALICE,
  CONFIDENTIAL,
  DISABLED_CLIENT,
  POST_CLIENT,
  PUBLIC_CLIENT,
  SPECIAL,
  basic,
  decodeJwt,
  makeApp,
} from '../helpers/fixtures';
import { watchBcryptTasks } from '../helpers/worker-threads';

const { app } = makeApp();
const token = () => request(app).post('/oauth2/token');

describe('RFC 6749 §2.3.1 client_secret_basic', () => {
  it('authenticates a client with HTTP Basic', async () => {
    const res = await token().set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
  });

  it('form-decodes the id and secret, so ":", "%", "+", space and non-ASCII work', async () => {
    const res = await token().set('Authorization', basic(SPECIAL.id, SPECIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    const body = expectTokenResponse(res, { expires_in: 3600 });
    expect(decodeJwt(body.access_token).payload.client_id).toBe(SPECIAL.id);
  });

  it('accepts the scheme name in any case (RFC 7235 §2.1)', async () => {
    const header = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret).replace('Basic', 'bAsIc');
    const res = await token().set('Authorization', header).type('form').send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
  });

  it('rejects a wrong secret with 401 invalid_client and a Basic challenge', async () => {
    const res = await token().set('Authorization', basic(CONFIDENTIAL.id, 'wrong')).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
  });

  it('answers an unknown client exactly like a wrong secret', async () => {
    const res = await token().set('Authorization', basic('nobody', 'whatever')).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
  });

  it('rejects the special client when its secret is sent without form-encoding', async () => {
    const raw = `Basic ${Buffer.from(`${encodeURIComponent(SPECIAL.id)}:${SPECIAL.secret}`).toString('base64')}`;
    const res = await token().set('Authorization', raw).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'Malformed HTTP Basic credentials');
  });

  it.each([
    ['not base64', 'Basic !!!!'],
    ['no colon', `Basic ${Buffer.from('just-an-id').toString('base64')}`],
    ['empty id', `Basic ${Buffer.from(':secret').toString('base64')}`],
    ['no credentials', 'Basic'],
  ])('rejects a malformed Basic header (%s) with 401 invalid_client', async (_name, header) => {
    const res = await token().set('Authorization', header).type('form').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(res.headers['www-authenticate']).toBe('Basic realm="https://auth.example.test"');
  });

  it('allows a body client_id equal to the Basic one (RFC 6749 §4.1.3)', async () => {
    const res = await token()
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: CONFIDENTIAL.id });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
  });

  it('rejects a body client_id that differs from the Basic one', async () => {
    const res = await token()
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id });
    expectOAuthError(res, 400, 'invalid_request', 'client_id does not match the authenticated client');
  });

  it('does not spend a bcrypt comparison on client authentication', async () => {
    const bcryptTasks = watchBcryptTasks();
    try {
      const res = await token().set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
      expect(res.status).toBe(200);
      expect(bcryptTasks.tasks()).toEqual([]);
      // Positive control: the spy does see the password grant's bcrypt check.
      await token()
        .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
        .type('form')
        .send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
      expect(bcryptTasks.tasks()).toEqual([{ op: 'compare', password: ALICE.password, hash: expect.stringMatching(/^\$2b\$04\$/) }]);
    } finally {
      bcryptTasks.restore();
    }
  });
});

describe('RFC 6749 §2.3.1 client_secret_post', () => {
  it('authenticates with client_id and client_secret in a form body', async () => {
    const res = await token().type('form').send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: POST_CLIENT.secret });
    expectTokenResponse(res, { expires_in: 3600 });
  });

  it('authenticates with client_id and client_secret in a JSON body', async () => {
    const res = await token().send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: POST_CLIENT.secret });
    expectTokenResponse(res, { expires_in: 3600 });
  });

  it('rejects a wrong secret with 401 invalid_client', async () => {
    const res = await token().type('form').send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: 'nope' });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication failed');
  });
});

describe('RFC 6749 §2.3 one method per client, one method per request', () => {
  it('rejects two methods in one request with invalid_request', async () => {
    const res = await token()
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret });
    expectOAuthError(res, 400, 'invalid_request', 'Use one client authentication method, not several (RFC 6749 section 2.3)');
  });

  it('rejects a client_secret_post client that uses Basic', async () => {
    const res = await token().set('Authorization', basic(POST_CLIENT.id, POST_CLIENT.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'The client is registered for client_secret_post authentication, not client_secret_basic');
  });

  it('rejects a client_secret_basic client that posts its secret', async () => {
    const res = await token().type('form').send({ grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret });
    expectOAuthError(res, 401, 'invalid_client', 'The client is registered for client_secret_basic authentication, not client_secret_post');
  });

  it('rejects a confidential client that sends only its client_id', async () => {
    const res = await token().type('form').send({ grant_type: 'password', client_id: CONFIDENTIAL.id, username: ALICE.username, password: ALICE.password });
    expectOAuthError(res, 401, 'invalid_client', 'The client is registered for client_secret_basic authentication, not none');
  });

  it('rejects a request with no client authentication at all', async () => {
    const res = await token().type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'Client authentication is required');
  });

  it('ignores a non-Basic Authorization header when choosing the method', async () => {
    const res = await token()
      .set('Authorization', 'Bearer something')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: POST_CLIENT.id, client_secret: POST_CLIENT.secret });
    expectTokenResponse(res, { expires_in: 3600 });
  });

  it('refuses a disabled client even with the right secret', async () => {
    const res = await token().set('Authorization', basic(DISABLED_CLIENT.id, DISABLED_CLIENT.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client', 'The client is disabled');
  });
});

describe('RFC 6749 §2.1 public clients (none)', () => {
  it('identifies a public client by client_id alone', async () => {
    const res = await token().type('form').send({ grant_type: 'password', client_id: PUBLIC_CLIENT.id, username: ALICE.username, password: ALICE.password });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read', refresh_token: true });
  });

  it('rejects a public client that sends a secret', async () => {
    const res = await token().type('form').send({ grant_type: 'password', client_id: PUBLIC_CLIENT.id, client_secret: 'x', username: ALICE.username, password: ALICE.password });
    expectOAuthError(res, 401, 'invalid_client', 'The client is registered for none authentication, not client_secret_post');
  });
});

describe('parseBasicCredentials', () => {
  const encode = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;
  it.each([
    ['a:b', { id: 'a', secret: 'b' }],
    ['a:b:c', { id: 'a', secret: 'b:c' }],
    ['a%3Ab:c%25d', { id: 'a:b', secret: 'c%d' }],
    ['a+b:c+d', { id: 'a b', secret: 'c d' }],
    ['%C3%A9:%E2%9C%93', { id: 'é', secret: '✓' }],
    ['a:', { id: 'a', secret: '' }],
  ])('parses %j', (raw, expected) => {
    expect(parseBasicCredentials(encode(raw))).toEqual(expected);
  });

  it.each([undefined, 'Bearer abc', 'Basic', 'Basic %%%', encode('no-colon'), encode(':x'), encode('a%ZZ:b'), encode('a:%')])(
    'rejects %j',
    (header) => {
      expect(parseBasicCredentials(header)).toBeUndefined();
    },
  );

  it('rejects credentials that are not UTF-8', () => {
    expect(parseBasicCredentials(`Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString('base64')}`)).toBeUndefined();
  });
});
