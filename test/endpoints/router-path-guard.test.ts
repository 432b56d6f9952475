/**
 * The router's path guard (lib/router/path-guard.ts): requests outside the paths we serve leave
 * our router at once and reach the host's routes; our routes still match as Express matches
 * them (case-insensitively, with or without a trailing slash), whatever the basePath.
 */
import type { Request, Response } from 'express';
import express from 'express';
import request from 'supertest';
import { createOAuthServer } from '../../lib';
import { leaveForeignPaths } from '../../lib/router/path-guard';
import { expectTokenResponse } from '../helpers/assertions';
import { CC_ONLY, ISSUER, JWT_SECRET, basic, makeApp, seedStores } from '../helpers/fixtures';

function decide(guard: NonNullable<ReturnType<typeof leaveForeignPaths>>, path: string): unknown {
  let verdict: unknown = 'not called';
  guard({ path } as Request, {} as Response, (arg?: unknown) => {
    verdict = arg;
  });
  return verdict;
}

describe('leaveForeignPaths', () => {
  const guard = leaveForeignPaths(['/oauth2/', '/.well-known/']) as NonNullable<ReturnType<typeof leaveForeignPaths>>;

  it('sends paths outside every prefix out of the router with next("router")', () => {
    expect(decide(guard, '/api/resource')).toBe('router');
    expect(decide(guard, '/oauth2')).toBe('router');
    expect(decide(guard, '/oauth2x/token')).toBe('router');
    expect(decide(guard, '/well-known/x')).toBe('router');
    expect(decide(guard, '/%6Fauth2/token')).toBe('router');
  });

  it('lets our prefixes through in any case, as Express route matching does', () => {
    expect(decide(guard, '/oauth2/token')).toBeUndefined();
    expect(decide(guard, '/OAuth2/TOKEN/')).toBeUndefined();
    expect(decide(guard, '/.well-known/oauth-authorization-server')).toBeUndefined();
  });

  it('is no guard at all when a prefix is empty (basePath "")', () => {
    expect(leaveForeignPaths(['/', '/.well-known/'])).toBeUndefined();
    expect(leaveForeignPaths(['', '/.well-known/'])).toBeUndefined();
  });

  it('escapes regex characters in prefixes', () => {
    const dotted = leaveForeignPaths(['/a.b/']) as NonNullable<ReturnType<typeof leaveForeignPaths>>;
    expect(decide(dotted, '/a.b/token')).toBeUndefined();
    expect(decide(dotted, '/axb/token')).toBe('router');
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
