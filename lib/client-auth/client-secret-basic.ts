import { BasicStrategy } from 'passport-http';
import { InvalidClientError } from '../errors';
import type { VerifyClient } from './verify-client';

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic, where the id and the secret are each
 * form-urlencoded before being joined with ":" and base64-encoded.
 *
 * passport-http's BasicStrategy decides whether the request uses Basic at all and builds the
 * challenge, but it splits on every ":" and does not form-decode, so the verify callback reads
 * the header again with `parseBasicCredentials` (docs/adr/0002-client-authentication.md).
 */
export function createClientSecretBasicStrategy(verify: VerifyClient, realm: string): BasicStrategy {
  return new BasicStrategy({ realm, passReqToCallback: true }, (req, _id, _secret, done) => {
    const credentials = parseBasicCredentials(req.headers.authorization);
    if (!credentials) return done(new InvalidClientError('Malformed HTTP Basic credentials'));
    verify('client_secret_basic', credentials.id, credentials.secret).then((client) => done(null, client), done);
  });
}

/**
 * Parses `Authorization: Basic ...` per RFC 6749 §2.3.1 / RFC 7617: strict base64, UTF-8,
 * split at the first ":", each half form-decoded ("+" is a space, %XX escapes).
 * `undefined` when anything is malformed.
 */
export function parseBasicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(match[1], 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!id || secret === undefined) return undefined;
  return { id, secret };
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
