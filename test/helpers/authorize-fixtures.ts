import bcrypt from 'bcryptjs';
import express from 'express';
import { createMemoryStores, createOAuthServer, type MemoryStores, type OAuthServerOptions } from '../../lib';
import { CHALLENGE } from './browser-flow';
import { ISSUER, JWT_SECRET } from './fixtures';

export const WEB = { id: 'web-app', secret: 'web-app-secret-0123456789abcdef' };
export const WEB_CB = 'https://client.example/cb';

export function seedBrowserStores(): MemoryStores {
  const hash = (p: string) => bcrypt.hashSync(p, 4);
  return createMemoryStores({
    clients: [
      {
        ...WEB,
        name: 'Web <App> & "Co"',
        grants: ['authorization_code', 'refresh_token'],
        redirectUris: [WEB_CB, 'https://client.example/with-query?x=1', 'http://127.0.0.1:8080/cb'],
        scopes: ['read', 'write'],
        defaultScopes: ['read'],
      },
      { id: 'spa', name: 'SPA', grants: ['authorization_code', 'refresh_token'], redirectUris: ['https://spa.example/cb'], scopes: ['read'], defaultScopes: ['read'] },
      { id: 'legacy-spa', name: 'Legacy SPA', grants: ['implicit'], redirectUris: ['https://legacy.example/cb'], scopes: ['read'], defaultScopes: ['read'] },
      { id: 'first-party', secret: 'first-party-secret-0123456789', firstParty: true, grants: ['authorization_code'], redirectUris: ['https://first.example/cb'], scopes: ['read'] },
      { id: 'strict', secret: 'strict-secret-0123456789abcdef', requirePkce: true, grants: ['authorization_code'], redirectUris: ['https://strict.example/cb'] },
      { id: 'off', secret: 'off-secret-0123456789abcdef', disabled: true, grants: ['authorization_code'], redirectUris: ['https://off.example/cb'] },
    ],
    users: [
      { id: 'user-alice', username: 'alice', passwordHash: hash('alice-password') },
      { id: 'user-dave', username: 'dave', passwordHash: hash('dave-password'), disabled: true },
      { id: 'user-carol', username: 'carol', passwordHash: hash('carol-password'), realm: 'partners' },
    ],
  });
}

export function makeBrowserApp(overrides: Partial<OAuthServerOptions> = {}, stores = seedBrowserStores()) {
  const oauth = createOAuthServer({
    issuer: ISSUER,
    stores,
    signing: { secret: JWT_SECRET },
    scopeDescriptions: { read: 'Read your data', write: 'Change your data' },
    ...overrides,
  });
  const app = express();
  app.use(oauth.router);
  return { app, oauth, stores };
}

/** A valid code request for the web app, with PKCE. */
export function codeRequest(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    response_type: 'code',
    client_id: WEB.id,
    redirect_uri: WEB_CB,
    state: 'state-123',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  };
}
