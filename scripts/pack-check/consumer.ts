// TypeScript consumer: compiled with `tsc --noEmit` (strict, skipLibCheck off) against the
// installed tarball's .d.ts, under both nodenext and commonjs+bundler resolution.
import express from 'express';
import {
  type ClientRecord,
  type ClientStore,
  ConfigurationError,
  createMemoryStores,
  createOAuthServer,
  InvalidClientError,
  InvalidGrantError,
  InvalidRequestError,
  OAuthError,
  type OAuthErrorCode,
  type OAuthServer,
  type Stores,
} from 'express-oauth2-provider';

/** A host's own client store, over its own "database". */
class MapClientStore implements ClientStore {
  constructor(private readonly rows: Map<string, ClientRecord>) {}
  async findById(clientId: string): Promise<ClientRecord | undefined> {
    return this.rows.get(clientId);
  }
}

const memory = createMemoryStores({
  clients: [{ id: 'svc', secret: 'a-long-random-secret-0123456789', grants: ['client_credentials'], scopes: ['read'] }],
  users: [{ id: 'u1', username: 'alice', password: 'wonderland' }],
});
const stores: Stores = {
  ...memory,
  clients: new MapClientStore(new Map([['svc', { id: 'svc', grants: ['client_credentials'], scopes: ['read'] }]])),
};

const oauth: OAuthServer = createOAuthServer({
  issuer: 'https://auth.example.com',
  stores,
  signing: { secret: 'a-signing-secret-of-at-least-32-bytes!!' },
});
const app = express();
app.use(oauth.router);

const errors: OAuthError[] = [
  new InvalidRequestError('missing grant_type'),
  new InvalidClientError(),
  new InvalidGrantError('expired'),
];
const codes: OAuthErrorCode[] = errors.map((e) => e.code);
const statuses: number[] = errors.map((e) => e.status);
const flags: boolean[] = errors.map((e) => e.expose && e.redirectable);

function describe(err: unknown): string {
  if (err instanceof ConfigurationError) return `bad option ${err.path}: ${err.message}`;
  if (err instanceof OAuthError) return `${err.code} (${err.status})`;
  return 'unexpected';
}

try {
  // @ts-expect-error: issuer is required
  createOAuthServer({ stores, signing: { secret: 'x'.repeat(32) } });
} catch (err) {
  const message: string = describe(err);
  console.log(message, codes, statuses, flags);
}
