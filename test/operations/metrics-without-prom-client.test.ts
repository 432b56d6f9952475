/**
 * prom-client is an optional peer dependency: the library must load and work without it,
 * and only asking for metrics may need it. The module registry is isolated and prom-client
 * made unresolvable the way Node reports it (MODULE_NOT_FOUND), counting every attempt.
 */
import express from 'express';
import request from 'supertest';
import type * as Lib from '../../lib';
import { expectTokenResponse } from '../helpers/assertions';
import { CONFIDENTIAL, ISSUER, JWT_SECRET, basic, seedStores } from '../helpers/fixtures';

/** Loads the library in a fresh module registry where require('prom-client') fails. */
function loadWithoutPromClient(): { lib: typeof Lib; attempts: () => number } {
  let attempts = 0;
  let lib: typeof Lib | undefined;
  jest.isolateModules(() => {
    jest.doMock('prom-client', () => {
      attempts++;
      throw Object.assign(new Error("Cannot find module 'prom-client'\nRequire stack:\n- lib/metrics/load-prom-client.ts"), { code: 'MODULE_NOT_FOUND' });
    });
    lib = require('../../lib') as typeof Lib;
  });
  return { lib: lib as typeof Lib, attempts: () => attempts };
}

describe('without prom-client installed', () => {
  afterEach(() => jest.dontMock('prom-client'));

  it('the library loads and issues tokens; nothing asks for prom-client', async () => {
    const { lib, attempts } = loadWithoutPromClient();
    const oauth = lib.createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET } });
    const app = express().use(oauth.router);
    const res = await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials' });
    expectTokenResponse(res, { expires_in: 3600, scope: 'read' });
    expect(attempts()).toBe(0);
  });

  it('metrics: true is a ConfigurationError at construction that says what to install', () => {
    const { lib, attempts } = loadWithoutPromClient();
    let thrown: unknown;
    try {
      lib.createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, metrics: true });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(lib.ConfigurationError);
    expect({ path: (thrown as Lib.ConfigurationError).path, message: (thrown as Error).message }).toEqual({
      path: 'metrics',
      message: 'metrics: needs prom-client, an optional peer dependency: npm install prom-client@^15',
    });
    expect(attempts()).toBe(1);
  });

  it('a failure inside prom-client itself is not mistaken for a missing prom-client', () => {
    let lib: typeof Lib | undefined;
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw Object.assign(new Error("Cannot find module 'tdigest'"), { code: 'MODULE_NOT_FOUND' });
      });
      lib = require('../../lib') as typeof Lib;
    });
    expect(() => (lib as typeof Lib).createOAuthServer({ issuer: ISSUER, stores: seedStores(), signing: { secret: JWT_SECRET }, metrics: true })).toThrow(
      "Cannot find module 'tdigest'",
    );
  });
});
