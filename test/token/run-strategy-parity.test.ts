/**
 * Client authentication runs our passport Strategies with runStrategy instead of
 * passport.authenticate (docs/adr/0017-passport-off-the-hot-paths.md). This runs each strategy
 * both ways on the same requests and requires the same outcome: the client, a plain failure,
 * or the same error.
 */
import { Passport } from 'passport';
import type { Strategy } from 'passport-strategy';
import { ClientSecretBasicStrategy } from '../../lib/client-auth/client-secret-basic';
import { ClientSecretPostStrategy } from '../../lib/client-auth/client-secret-post';
import { PublicClientStrategy } from '../../lib/client-auth/none';
import { runStrategy } from '../../lib/client-auth/run-strategy';
import type { VerifyClient } from '../../lib/client-auth/verify-client';
import { InvalidClientError } from '../../lib/errors';
import type { ClientRecord } from '../../lib/stores/types';

const CLIENT = { id: 'app', grants: ['client_credentials'] } as unknown as ClientRecord;
/** Accepts app/s3cret (or the public client `app`); anything else is invalid_client. */
const verify: VerifyClient = async (method, id, secret) => {
  if (id === 'app' && (method === 'none' || secret === 's3cret')) return CLIENT;
  throw new InvalidClientError();
};
const basicHeader = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

type Outcome = { client: string } | { failed: true } | { error: string };

function viaPassport(strategy: Strategy & { name: string }, req: unknown): Promise<Outcome> {
  const passport = new Passport();
  passport.use(strategy.name, strategy);
  return new Promise((resolve) => {
    passport.authenticate(strategy.name, { session: false }, (err: Error | null, found: ClientRecord | false) => {
      if (err) resolve({ error: `${err.name}: ${err.message}` });
      else if (!found) resolve({ failed: true });
      else resolve({ client: found.id });
    })(req as never, {} as never, (err: Error) => resolve({ error: `next: ${err.message}` }));
  });
}

async function viaRunStrategy(strategy: Strategy, req: unknown): Promise<Outcome> {
  try {
    const found = await runStrategy<ClientRecord>(strategy, req);
    return found ? { client: found.id } : { failed: true };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const basic = new ClientSecretBasicStrategy(verify, 'issuer');
const post = new ClientSecretPostStrategy(verify);
const none = new PublicClientStrategy(verify);
const CASES: [string, Strategy & { name: string }, unknown, Outcome][] = [
  ['Basic, right secret', basic, { headers: { authorization: basicHeader('app:s3cret') }, body: {} }, { client: 'app' }],
  ['Basic, wrong secret', basic, { headers: { authorization: basicHeader('app:nope') }, body: {} }, { error: 'InvalidClientError: Client authentication failed' }],
  ['Basic, no header', basic, { headers: {}, body: {} }, { failed: true }],
  ['Basic, empty secret', basic, { headers: { authorization: basicHeader('app:') }, body: {} }, { failed: true }],
  ['Basic, malformed form-encoding', basic, { headers: { authorization: basicHeader('app%zz:s3cret') }, body: {} }, { error: 'InvalidClientError: Malformed HTTP Basic credentials' }],
  ['post, right secret', post, { headers: {}, body: { client_id: 'app', client_secret: 's3cret' } }, { client: 'app' }],
  ['post, wrong secret', post, { headers: {}, body: { client_id: 'app', client_secret: 'x' } }, { error: 'InvalidClientError: Client authentication failed' }],
  ['post, no client_id', post, { headers: {}, body: { client_secret: 's3cret' } }, { failed: true }],
  ['none, known client', none, { headers: {}, body: { client_id: 'app' } }, { client: 'app' }],
  ['none, unknown client', none, { headers: {}, body: { client_id: 'other' } }, { error: 'InvalidClientError: Client authentication failed' }],
  ['none, no client_id', none, { headers: {}, body: {} }, { failed: true }],
];

describe('runStrategy runs our client-auth strategies as passport.authenticate did', () => {
  it.each(CASES)('%s', async (_name, strategy, req, expected) => {
    const [ours, passports] = await Promise.all([viaRunStrategy(strategy, req), viaPassport(strategy, req)]);
    expect(ours).toEqual(expected);
    expect(passports).toEqual(expected);
  });

  it('rejects instead of hanging when a strategy redirects or passes (ours never do)', async () => {
    const odd = { authenticate(this: { redirect(url: string): void }) { this.redirect('/elsewhere'); } } as unknown as Strategy;
    await expect(runStrategy(odd, {})).rejects.toThrow('the strategy redirected, which client authentication never does');
    const passing = { authenticate(this: { pass(): void }) { this.pass(); } } as unknown as Strategy;
    await expect(runStrategy(passing, {})).rejects.toThrow('the strategy passed, which client authentication never does');
  });

  it('rejects when a strategy throws', async () => {
    const throwing = { authenticate() { throw new Error('boom'); } } as unknown as Strategy;
    await expect(runStrategy(throwing, {})).rejects.toThrow('boom');
  });
});
