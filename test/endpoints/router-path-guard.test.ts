/**
 * The router's path guard (lib/router/path-guard.ts): requests outside the paths we serve leave
 * our router at once and reach the host's routes; our routes still match as Express matches
 * them (case-insensitively, with or without a trailing slash), whatever the basePath.
 */
import express from 'express';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { guardRouter, ownsPath } from '../../lib/router/path-guard';
import { expectTokenResponse } from '../helpers/assertions';
import { CC_ONLY, ISSUER, JWT_SECRET, basic, makeApp, seedStores } from '../helpers/fixtures';

describe('ownsPath', () => {
  const owns = ownsPath(['/oauth2/', '/.well-known/']) as (path: string) => boolean;

  it('refuses paths outside every prefix', () => {
    expect(owns('/api/resource')).toBe(false);
    expect(owns('/oauth2')).toBe(false);
    expect(owns('/oauth2x/token')).toBe(false);
    expect(owns('/well-known/x')).toBe(false);
    expect(owns('/%6Fauth2/token')).toBe(false);
    expect(owns('/api?next=/oauth2/token')).toBe(false);
  });

  it('accepts our prefixes in any case, as Express route matching does', () => {
    expect(owns('/oauth2/token')).toBe(true);
    expect(owns('/OAuth2/TOKEN/')).toBe(true);
    expect(owns('/oauth2/token?x=1')).toBe(true);
    expect(owns('/.well-known/oauth-authorization-server')).toBe(true);
  });

  it('is no guard at all when a prefix is empty (basePath "")', () => {
    expect(ownsPath(['/', '/.well-known/'])).toBeUndefined();
    expect(ownsPath(['', '/.well-known/'])).toBeUndefined();
  });

  it('escapes regex characters in prefixes', () => {
    const dotted = ownsPath(['/a.b/']) as (path: string) => boolean;
    expect(dotted('/a.b/token')).toBe(true);
    expect(dotted('/axb/token')).toBe(false);
  });
});

describe('guardRouter', () => {
  /** A router whose only middleware counts the requests that entered it. */
  function counted() {
    const router = express.Router();
    let entered = 0;
    router.use((_req, _res, next) => {
      entered++;
      next();
    });
    router.get('/oauth2/ping', (_req, res) => {
      res.json({ pong: true });
    });
    guardRouter(router, ['/oauth2/', '/.well-known/']);
    const app = express();
    app.use(router);
    app.get('/api/hello', (_req, res) => {
      res.json({ hello: 'world' });
    });
    return { app, entered: () => entered };
  }

  it('sends a foreign path past the router without entering it, to the host route after it', async () => {
    const { app, entered } = counted();
    const res = await request(app).get('/api/hello');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { hello: 'world' } });
    expect(entered()).toBe(0);
  });

  it('enters the router for its own paths', async () => {
    const { app, entered } = counted();
    const res = await request(app).get('/OAUTH2/ping');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { pong: true } });
    expect(entered()).toBe(1);
  });

  it('matches relative to where the router is mounted', async () => {
    const router = express.Router();
    router.get('/oauth2/ping', (_req, res) => {
      res.json({ pong: true });
    });
    guardRouter(router, ['/oauth2/']);
    const app = express();
    app.use('/auth', router);
    const res = await request(app).get('/auth/oauth2/ping');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { pong: true } });
  });
});

describe('the router with its path guard', () => {
  it('passes requests for other paths on to the host routes mounted after it', async () => {
    const { app } = makeApp();
    app.get('/api/hello', (_req, res) => {
      res.json({ hello: 'world' });
    });
    const res = await request(app).get('/api/hello');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { hello: 'world' } });
  });

  it('still serves the token endpoint under a differently cased path with a trailing slash', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/OAuth2/Token/')
      .set('Authorization', basic(CC_ONLY.id, CC_ONLY.secret))
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 3600 });
  });

  it('serves every route with basePath "" (no guard)', async () => {
    const oauth = createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, basePath: '', rateLimits: false });
    const app = express();
    app.use(oauth.router);
    const res = await request(app)
      .post('/token')
      .set('Authorization', basic(CC_ONLY.id, CC_ONLY.secret))
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 3600 });
  });
});
