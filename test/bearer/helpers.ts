import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { createOAuthServer, type OAuthServerOptions } from '../../lib';
import { CONFIDENTIAL, ISSUER, basic, seedStores } from '../helpers/fixtures';

export const EC_KEY = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'ec-1' } as JsonWebKey & { kid: string };
export const RSA_PAIR = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const RSA_KEY = { ...RSA_PAIR.privateKey.export({ format: 'jwk' }), kid: 'rsa-1' } as JsonWebKey & { kid: string };

/** An authorization server with protected routes for each requireToken variant. */
export function protectedApp(overrides: Partial<OAuthServerOptions> = {}) {
  const stores = seedStores();
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { keys: [EC_KEY, RSA_KEY] }, ...overrides });
  const app = express();
  app.use(oauth.router);
  const echo: express.RequestHandler = (req, res) => {
    res.json({ oauth: req.oauth, sawPassport: 'login' in req || 'logIn' in req, user: (req as { user?: unknown }).user ?? null });
  };
  app.get('/api', oauth.requireToken(), echo);
  app.get('/api/read-write', oauth.requireToken({ scope: ['read', 'write'] }), echo);
  app.get('/api/audience', oauth.requireToken({ audience: 'https://api.example.test' }), echo);
  app.get('/api/query', oauth.requireToken({ allowQueryToken: true }), echo);
  app.post('/api/body', express.urlencoded({ extended: false }), oauth.requireToken({ allowBodyToken: true }), echo);
  app.post('/api/no-body', express.urlencoded({ extended: false }), oauth.requireToken(), echo);
  app.get('/api/cookie', oauth.requireToken({ cookie: 'Authorization' }), echo);
  app.get('/api/revocable', oauth.requireToken({ checkRevocation: true }), echo);
  app.get('/api/realm', oauth.requireToken({ realm: 'orders "api"' }), echo);
  return { app, oauth, stores };
}

export async function clientToken(app: express.Express, scope = 'read'): Promise<string> {
  const res = await request(app).post('/oauth2/token').set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret)).type('form').send({ grant_type: 'client_credentials', scope });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

/** Builds a JWT by hand, so tests can make every kind of bad one. */
export function handmade(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

export const CHALLENGE = `Bearer realm="${ISSUER}"`;
export const invalidToken = (description: string) => `${CHALLENGE}, error="invalid_token", error_description="${description}"`;

/** Seconds since the epoch, as JWT times are written. */
export const now = () => Math.floor(Date.now() / 1000);

/** RFC 9068 claims of a valid access token of this issuer; `extra` overrides or adds. */
export const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'user-1',
  aud: ISSUER,
  client_id: 'confidential-app',
  iat: now(),
  exp: now() + 600,
  jti: 'jti-1',
  scope: 'read',
  ...extra,
});
