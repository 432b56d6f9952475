import request from 'supertest';
import { ConfigurationError } from '../../lib';
import { expectOAuthError, expectTokenResponse } from '../helpers/assertions';
import { ALICE, CAROL_PARTNER, CONFIDENTIAL, basic, decodeJwt, makeApp } from '../helpers/fixtures';
import { bcryptCompares, watchBcryptTasks } from '../helpers/worker-threads';

const REALMS = [
  { id: 'partners', label: 'Partner accounts' },
  { id: 'staff', label: 'Staff directory' },
];

describe('realms (identity providers): the published list and the password grant', () => {
  describe('GET /oauth2/realms with publishRealms', () => {
    const { app } = makeApp({ realms: REALMS, publishRealms: true });

    it('publishes every configured realm, id and label only, cacheable by anyone', async () => {
      const res = await request(app).get('/oauth2/realms');
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { realms: REALMS } });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.headers['access-control-allow-origin']).toBe('*');
    });
  });

  it('serves no realm list unless publishRealms is on (realm ids can name internal registries)', async () => {
    const { app } = makeApp({ realms: REALMS });
    expect((await request(app).get('/oauth2/realms')).status).toBe(404);
  });

  describe('password grant with realms configured', () => {
    const { app, stores } = makeApp({ realms: REALMS });
    const password = (fields: Record<string, string>) =>
      request(app)
        .post('/oauth2/token')
        .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
        .type('form')
        .send({ grant_type: 'password', ...fields });

    afterEach(() => jest.restoreAllMocks());

    it('signs in a user of a listed realm and records the realm on the grant', async () => {
      const body = expectTokenResponse(await password({ username: CAROL_PARTNER.username, password: CAROL_PARTNER.password, realm: 'partners' }), {
        expires_in: 3600,
        scope: 'read',
        refresh_token: true,
      });
      expect(decodeJwt(body.access_token).payload.sub).toBe(CAROL_PARTNER.id);
    });

    it('still accepts a request without realm (the store default realm)', async () => {
      expectTokenResponse(await password({ username: ALICE.username, password: ALICE.password }), {
        expires_in: 3600,
        scope: 'read',
        refresh_token: true,
      });
    });

    it('refuses a realm outside the list with invalid_request, before the user store or bcrypt runs (RFC 6749 §5.2)', async () => {
      const lookup = jest.spyOn(stores.users, 'findByUsername');
      const bcryptTasks = watchBcryptTasks();
      const res = await password({ username: CAROL_PARTNER.username, password: CAROL_PARTNER.password, realm: 'elsewhere' });
      expectOAuthError(res, 400, 'invalid_request', 'Unknown realm');
      expect(lookup).not.toHaveBeenCalled();
      expect(bcryptCompares(bcryptTasks)).toBe(0);
    });
  });

  it('passes any realm to the user store when no realms are configured (the store decides)', async () => {
    const { app, stores } = makeApp();
    const lookup = jest.spyOn(stores.users, 'findByUsername');
    const res = await request(app)
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'password', username: CAROL_PARTNER.username, password: CAROL_PARTNER.password, realm: 'elsewhere' });
    expectOAuthError(res, 400, 'invalid_grant', 'Invalid resource owner credentials');
    expect(lookup).toHaveBeenCalledWith(CAROL_PARTNER.username, { realm: 'elsewhere' });
  });

  describe('configuration', () => {
    const invalid = (overrides: Record<string, unknown>, path: string, message: string) => {
      expect(() => makeApp(overrides)).toThrow(new ConfigurationError(path, message));
    };

    it('rejects publishRealms that is not a boolean', () => {
      invalid({ realms: REALMS, publishRealms: 'yes' }, 'publishRealms', 'must be a boolean');
    });

    it('rejects publishRealms without realms', () => {
      invalid({ publishRealms: true }, 'publishRealms', 'needs realms: there is nothing to publish');
    });

    it('rejects a realm id listed twice', () => {
      invalid({ realms: [...REALMS, { id: 'staff', label: 'Again' }] }, 'realms[2].id', '"staff" is listed twice');
    });
  });
});
