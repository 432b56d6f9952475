import bcrypt from 'bcryptjs';
import express from 'express';
import { createMemoryStores, createOAuthServer, type MemoryStores, type OAuthServerOptions } from '../../lib';

export const ISSUER = 'https://auth.example.test';
export const JWT_SECRET = 'test-signing-secret-that-is-at-least-32-bytes-long';

/** Cost 4 keeps fixtures fast; the cost is part of the hash, so verification is real. */
const hash = (password: string) => bcrypt.hashSync(password, 4);

export const CONFIDENTIAL = { id: 'confidential-app', secret: 'confidential-secret-0123456789abcdef' };
export const POST_CLIENT = { id: 'post-app', secret: 'post-secret-0123456789abcdef' };
export const PUBLIC_CLIENT = { id: 'public-app' };
export const NO_REFRESH = { id: 'no-refresh-app', secret: 'no-refresh-secret-0123456789' };
export const CC_ONLY = { id: 'cc-only-app', secret: 'cc-only-secret-0123456789' };
export const DISABLED_CLIENT = { id: 'disabled-app', secret: 'disabled-secret-0123456789' };
export const SHORT_LIVED = { id: 'short-lived-app', secret: 'short-lived-secret-0123456789' };
/** RFC 6749 §2.3.1: ids and secrets may hold any character; Basic form-encodes them. */
export const SPECIAL = { id: 'wé:rd id%2B+&=', secret: 'sè:cr%et+ with:colons/and=signs' };

export const ALICE = { id: 'user-alice', username: 'alice', password: 'alice-password' };
export const BOB_DISABLED = { id: 'user-bob', username: 'bob', password: 'bob-password' };
export const CAROL_PARTNER = { id: 'user-carol', username: 'carol', password: 'carol-password', realm: 'partners' };

export function seedStores(): MemoryStores {
  return createMemoryStores({
    clients: [
      {
        ...CONFIDENTIAL,
        name: 'Confidential App',
        grants: ['client_credentials', 'password', 'refresh_token'],
        scopes: ['read', 'write', 'admin'],
        defaultScopes: ['read'],
      },
      {
        ...POST_CLIENT,
        tokenEndpointAuthMethod: 'client_secret_post',
        grants: ['client_credentials', 'password', 'refresh_token'],
        scopes: ['read', 'write'],
      },
      { ...PUBLIC_CLIENT, grants: ['password', 'refresh_token'], scopes: ['read', 'write'], defaultScopes: ['read'] },
      { ...NO_REFRESH, grants: ['password'], scopes: ['read'] },
      { ...CC_ONLY, grants: ['client_credentials'], scopes: ['read'] },
      { ...DISABLED_CLIENT, grants: ['client_credentials'], scopes: ['read'], disabled: true },
      {
        ...SHORT_LIVED,
        grants: ['client_credentials', 'password', 'refresh_token'],
        scopes: ['read'],
        accessTokenLifetime: 60,
        refreshTokenLifetime: 120,
      },
      { ...SPECIAL, grants: ['client_credentials'], scopes: ['read'] },
    ],
    users: [
      { id: ALICE.id, username: ALICE.username, passwordHash: hash(ALICE.password) },
      { id: BOB_DISABLED.id, username: BOB_DISABLED.username, passwordHash: hash(BOB_DISABLED.password), disabled: true },
      { id: CAROL_PARTNER.id, username: CAROL_PARTNER.username, passwordHash: hash(CAROL_PARTNER.password), realm: 'partners' },
    ],
  });
}

export function makeApp(overrides: Partial<OAuthServerOptions> = {}) {
  const stores = seedStores();
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, ...overrides });
  const app = express();
  app.use(oauth.router);
  return { app, stores, oauth };
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** An `Authorization: Basic` header built the RFC 6749 §2.3.1 way. */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'utf8').toString('base64')}`;
}

/** Decodes a JWT's header and payload without verifying (tests verify separately). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h as string, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p as string, 'base64url').toString('utf8')),
  };
}
