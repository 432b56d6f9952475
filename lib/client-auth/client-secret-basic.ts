import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { InvalidClientError } from '../errors';
import type { ClientRecord } from '../stores/types';
import type { VerifyClient } from './verify-client';

/** Reused: `decode()` without `stream` starts afresh on every call. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic, where the id and the secret are each
 * form-urlencoded before being joined with ":" and base64-encoded.
 *
 * A passport Strategy of our own rather than passport-http's BasicStrategy: that one decodes
 * with the deprecated `new Buffer()`, whose deprecation check walks the stack on every token
 * request (~3% of a client_credentials request's CPU), and it splits on every ":" without
 * form-decoding, so the header had to be parsed twice anyway. `basicGate` keeps its exact
 * verdicts (which requests fail without a description), then `parseBasicCredentials` parses
 * the RFC 6749 way (docs/adr/0002-client-authentication.md, docs/adr/0016-hot-path-costs.md).
 */
export class ClientSecretBasicStrategy extends Strategy {
  name = 'client_secret_basic';

  constructor(
    private readonly verify: VerifyClient,
    private readonly realm: string,
  ) {
    super();
  }

  override authenticate(req: Request): void {
    const header = req.headers.authorization;
    if (!basicGate(header)) {
      this.fail(`Basic realm="${this.realm}"`, 401);
      return;
    }
    const credentials = parseBasicCredentials(header);
    if (!credentials) {
      this.error(new InvalidClientError('Malformed HTTP Basic credentials'));
      return;
    }
    this.verify('client_secret_basic', credentials.id, credentials.secret).then(
      (client: ClientRecord) => this.success(client),
      (err: unknown) => this.error(err as Error),
    );
  }
}

/**
 * What passport-http 0.3's BasicStrategy let through to its verify callback (a request it
 * refused failed with the plain "Client authentication failed"): a header of at least two
 * space-separated parts whose second part, decoded leniently, has a non-empty text before
 * the first ":" and between it and the next one (or the end).
 */
export function basicGate(header: string | undefined): header is string {
  if (!header) return false;
  const first = header.indexOf(' ');
  if (first < 0 || !/Basic/i.test(header.slice(0, first))) return false;
  const second = header.indexOf(' ', first + 1);
  const decoded = Buffer.from(header.slice(first + 1, second < 0 ? undefined : second), 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon <= 0) return false;
  const next = decoded.indexOf(':', colon + 1);
  return (next < 0 ? decoded.length : next) > colon + 1;
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
    decoded = strictUtf8.decode(Buffer.from(match[1], 'base64'));
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
    // Most ids and secrets have nothing to decode: skip the replace and the decoder then.
    if (!value.includes('%') && !value.includes('+')) return value;
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
