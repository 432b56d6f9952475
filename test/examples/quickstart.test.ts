/**
 * The quickstart example (examples/quickstart) works as its README says: every grant's happy
 * path with the demo credentials, through the app exactly as `npm start` serves it.
 */
import request from 'supertest';
import { createQuickstartApp } from '../../examples/quickstart/app';
import { decodeJwt } from '../helpers/fixtures';

const ISSUER = 'http://localhost:3000';
const TOKEN_PATH = '/oauth2/token';

const { app, demo, stores } = createQuickstartApp({ issuer: ISSUER });
const service = demo.confidentialClient;
const spa = demo.publicClient;

afterAll(() => stores.tokens.close());

function expectNoStore(res: request.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
}

describe('quickstart example', () => {
  it('GET / describes the endpoints', async () => {
    const res = await request(app).get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'express-oauth2-provider quickstart',
      issuer: ISSUER,
      endpoints: { authorization: `${ISSUER}/oauth2/authorize`, token: `${ISSUER}${TOKEN_PATH}` },
      grants: ['authorization_code', 'client_credentials', 'password', 'refresh_token'],
      clients: [
        { client_id: 'demo-service', token_endpoint_auth_method: 'client_secret_basic' },
        { client_id: 'demo-spa', token_endpoint_auth_method: 'none' },
        { client_id: 'demo-web', token_endpoint_auth_method: 'client_secret_basic' },
      ],
    });
  });

  it('client_credentials: the confidential client gets a token with HTTP Basic', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
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
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({
      iss: ISSUER,
      sub: 'demo-service',
      aud: ISSUER,
      client_id: 'demo-service',
      scope: 'read',
    });
  });

  it('password: the confidential client gets an access and a refresh token for the demo user', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'password', username: 'demo', password: 'demo-password', scope: 'read write' });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read write',
      token_type: 'Bearer',
    });
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({
      sub: demo.user.id,
      client_id: 'demo-service',
      scope: 'read write',
    });
  });

  it('password: the public client sends only its client_id and gets the default scope', async () => {
    const res = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'password', client_id: spa.id, username: 'demo', password: 'demo-password' });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read',
      token_type: 'Bearer',
    });
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({ sub: demo.user.id, client_id: 'demo-spa' });
  });

  it('refresh_token: the confidential client rotates its refresh token', async () => {
    const first = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'password', username: 'demo', password: 'demo-password', scope: 'read write' });
    expect(first.status).toBe(200);

    const res = await request(app)
      .post(TOKEN_PATH)
      .auth(service.id, service.secret)
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read write',
      token_type: 'Bearer',
    });
    expect(res.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(res.body.access_token).not.toBe(first.body.access_token);
  });

  it('refresh_token: the public client refreshes with its client_id', async () => {
    const first = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'password', client_id: spa.id, username: 'demo', password: 'demo-password' });
    expect(first.status).toBe(200);

    const res = await request(app)
      .post(TOKEN_PATH)
      .type('form')
      .send({ grant_type: 'refresh_token', client_id: spa.id, refresh_token: first.body.refresh_token });
    expect(res.status).toBe(200);
    expectNoStore(res);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      scope: 'read',
      token_type: 'Bearer',
    });
    expect(res.body.refresh_token).not.toBe(first.body.refresh_token);
  });
});
