/**
 * Our client_secret_basic passport Strategy (lib/client-auth/client-secret-basic.ts) replaced
 * passport-http's BasicStrategy. Its gate must refuse exactly the headers BasicStrategy
 * refused (those fail with the plain "Client authentication failed"), so this compares the two
 * on every edge; then the RFC 6749 §2.3.1 parser decides, as before.
 */
import { BasicStrategy } from 'passport-http';
import express from 'express';
import request from 'supertest';
import { basicGate } from '../../lib/client-auth/client-secret-basic';
import { expectOAuthError } from '../helpers/assertions';
import { CONFIDENTIAL, basic, makeApp } from '../helpers/fixtures';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Whether passport-http 0.3's BasicStrategy called its verify callback for this header. */
function passportHttpLetsThrough(header: string | undefined): boolean {
  let verified = false;
  const strategy = new BasicStrategy((_id, _secret, done) => {
    verified = true;
    done(null, false);
  });
  Object.assign(strategy, { fail: () => undefined, error: () => undefined, success: () => undefined });
  strategy.authenticate({ headers: { authorization: header } } as never);
  return verified;
}

const HEADERS: [string, string | undefined][] = [
  ['absent', undefined],
  ['empty', ''],
  ['scheme only', 'Basic'],
  ['scheme and a space', 'Basic '],
  ['a normal pair', `Basic ${b64('id:secret')}`],
  ['lower-case scheme', `basic ${b64('id:secret')}`],
  ['no colon', `Basic ${b64('just-an-id')}`],
  ['empty id', `Basic ${b64(':secret')}`],
  ['empty secret', `Basic ${b64('id:')}`],
  ['secret starting with a colon', `Basic ${b64('id::secret')}`],
  ['several colons', `Basic ${b64('id:se:cret')}`],
  ['two spaces after the scheme', `Basic  ${b64('id:secret')}`],
  ['a trailing part', `Basic ${b64('id:secret')} extra`],
  ['a tab instead of a space', `Basic\t${b64('id:secret')}`],
  ['not base64', 'Basic !!!!'],
  ['base64url alphabet', `Basic ${Buffer.from('id>?:secret?>').toString('base64url')}`],
  ['no padding', `Basic ${b64('id:secre').replace(/=+$/, '')}`],
  ['invalid UTF-8', `Basic ${Buffer.from([0x69, 0x64, 0x3a, 0xff, 0xfe]).toString('base64')}`],
  ['another scheme', `Bearer ${b64('id:secret')}`],
  ['a scheme containing "basic"', `XBasicX ${b64('id:secret')}`],
];

describe('basicGate', () => {
  it.each(HEADERS)('agrees with passport-http BasicStrategy on %s', (_name, header) => {
    expect(basicGate(header)).toBe(passportHttpLetsThrough(header));
  });

  it('lets a well-formed pair through and refuses an empty secret (a sanity check of the comparison)', () => {
    expect(basicGate(`Basic ${b64('id:secret')}`)).toBe(true);
    expect(basicGate(`Basic ${b64('id:')}`)).toBe(false);
  });
});

describe('RFC 6749 §2.3.1 client_secret_basic: error descriptions on the gate edges', () => {
  const { app } = makeApp();
  const send = (header: string) =>
    request(app).post('/oauth2/token').set('Authorization', header).type('form').send({ grant_type: 'client_credentials' });

  it('answers a header with two spaces after the scheme with the plain invalid_client', async () => {
    expectOAuthError(await send(`Basic  ${b64(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`)}`), 401, 'invalid_client', 'Client authentication failed');
  });

  it('answers a secret that starts with an unencoded ":" with the plain invalid_client', async () => {
    expectOAuthError(await send(`Basic ${b64(`${CONFIDENTIAL.id}::x`)}`), 401, 'invalid_client', 'Client authentication failed');
  });

  it('answers an empty secret with the plain invalid_client', async () => {
    expectOAuthError(await send(`Basic ${b64(`${CONFIDENTIAL.id}:`)}`), 401, 'invalid_client', 'Client authentication failed');
  });

  it('answers a header that passes the gate but is not strict base64 with "Malformed HTTP Basic credentials"', async () => {
    const header = `Basic ${b64(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`)} trailing`;
    expectOAuthError(await send(header), 401, 'invalid_client', 'Malformed HTTP Basic credentials');
  });

  it('still authenticates a form-encoded pair with no escapes to decode', async () => {
    const res = await send(basic(CONFIDENTIAL.id, CONFIDENTIAL.secret));
    expect(res.status).toBe(200);
  });
});

describe("client authentication leaves the host's request alone", () => {
  it("adds none of passport's or oauth2orize's properties (login, _sessionManager, authInfo, ...) to the request", async () => {
    const { app: inner } = makeApp();
    let seen: Record<string, unknown> | undefined;
    const host = express();
    host.use((req, _res, next) => {
      seen = req as unknown as Record<string, unknown>;
      next();
    });
    host.use(inner);
    const res = await request(host)
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    // Nor the client and authInfo oauth2orize reads: its exchange gets a stand-in too. Only the
    // parsed body is left on the request (the metrics observer and host loggers read it).
    expect(seen?.body).toEqual({ grant_type: 'client_credentials' });
    const added = ['login', 'logIn', 'logout', 'logOut', 'isAuthenticated', 'isUnauthenticated', '_sessionManager', 'oauth2ProviderClient', 'authInfo'].filter((k) =>
      Object.hasOwn(seen as object, k),
    );
    expect(added).toEqual([]);
  });
});
