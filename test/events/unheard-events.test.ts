/**
 * Events nobody listens to cost nothing: no payload is built, and the caller's address
 * (`req.ip`, which runs proxy-addr over the forwarding headers) is not even read. A listener
 * added after the server was created still gets every event, with the address.
 */
import express from 'express';
import request from 'supertest';
import { expectTokenResponse } from '../helpers/assertions';
import { CONFIDENTIAL, basic, makeApp } from '../helpers/fixtures';

const ccRequest = (app: express.Express) =>
  request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });

describe('events with no listener', () => {
  it('issues a token without reading req.ip when nobody listens to token.issued', async () => {
    const { app } = makeApp({ rateLimits: false });
    const ip = jest.spyOn(express.request, 'ip', 'get');
    try {
      expectTokenResponse(await ccRequest(app), { expires_in: 3600, scope: 'read' });
      expect(ip).not.toHaveBeenCalled();
    } finally {
      ip.mockRestore();
    }
  });

  it('reads the address for a listener added after the server was created', async () => {
    const { app, oauth } = makeApp({ rateLimits: false });
    const seen: unknown[] = [];
    oauth.events.on('token.issued', (e) => seen.push(e));
    expectTokenResponse(await ccRequest(app), { expires_in: 3600, scope: 'read' });
    expect(seen).toEqual([
      {
        at: expect.any(Date),
        ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/), // supertest's loopback address
        clientId: CONFIDENTIAL.id,
        userId: undefined,
        grantType: 'client_credentials',
        scope: ['read'],
        familyId: expect.any(String),
        refreshToken: false,
      },
    ]);
  });
});
