/**
 * requireToken no longer runs passport-http-bearer (docs/adr/0017-passport-off-the-hot-paths.md).
 * It used to hand the strategy a stand-in request holding only `Bearer <token>`, with the token
 * our own extractToken had already chosen, so the strategy could only pass that token on or
 * refuse it. This shows it passed on exactly the token, for every shape of header we accept:
 * dropping it changed nothing but the cost.
 */
import type { Request } from 'express';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { extractToken } from '../../lib/bearer/require-token';

/** What passport-http-bearer 1.0 handed its verify callback for the stand-in, or 'refused'. */
function passportHttpBearerToken(token: string): string {
  let seen = 'refused';
  const strategy = new BearerStrategy((received, done) => {
    seen = received;
    done(null, false);
  });
  Object.assign(strategy, { fail: () => undefined, error: () => undefined, success: () => undefined });
  strategy.authenticate({ headers: { authorization: `Bearer ${token}` }, query: {}, body: undefined } as never);
  return seen;
}

const fromHeader = (authorization: string) => extractToken({ headers: { authorization }, method: 'GET' } as Request, {});

const HEADERS: [string, string, string][] = [
  ['a JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'],
  ['an opaque base64url token', 'Bearer Zm9v-YmFy_YmF6', 'Zm9v-YmFy_YmF6'],
  ['every b64token character (RFC 6750 §2.1)', 'Bearer aZ09-._~+/==', 'aZ09-._~+/=='],
  ['a lower-case scheme', 'bearer abc', 'abc'],
  ['an upper-case scheme', 'BEARER abc', 'abc'],
  ['two spaces after the scheme', 'Bearer  abc', 'abc'],
  ['a tab after the scheme', 'Bearer\tabc', 'abc'],
  ['trailing spaces', 'Bearer abc   ', 'abc'],
  ['a 4 KiB token', `Bearer ${'a'.repeat(4096)}`, 'a'.repeat(4096)],
];

describe('requireToken without passport-http-bearer', () => {
  it.each(HEADERS)('extracts the token from %s, and passport-http-bearer passed that same token on', (_name, header, token) => {
    expect(fromHeader(header)).toBe(token);
    expect(passportHttpBearerToken(token)).toBe(token);
  });

  it('refuses the values passport-http-bearer also could not have passed on whole (RFC 6750 §2.1)', () => {
    for (const header of ['Bearer abc def', 'Bearer a,b', 'Bearer =abc']) {
      expect(() => fromHeader(header)).toThrow('The bearer token is malformed (RFC 6750 section 2.1)');
    }
    // The comparison can fail: a token with a space would not reach verify whole.
    expect(passportHttpBearerToken('abc def')).toBe('refused');
  });
});
