import crypto from 'node:crypto';

// SHA-256 in one call. Node 20.12 added `crypto.hash()`, which keeps the fetched digest
// implementation between calls; `createHash()` fetches it again, builds a Hash object and a
// context each time, and under a token endpoint's load that setup cost more than the hash
// itself (docs/adr/0021-one-shot-digests.md). On older Node 20 releases this falls back to
// `createHash()`, with the same output.

/**
 * Whether this Node has `crypto.hash()` (20.12 and later). The function itself is looked up on
 * the module at each call, not kept: a test can then count calls with `jest.spyOn(crypto, 'hash')`.
 */
export const hasOneShotSha256 = typeof (crypto as { hash?: unknown }).hash === 'function';

/** SHA-256 of `data` (a string is hashed as UTF-8), base64url. */
export function sha256Base64url(data: string | Buffer): string {
  return hasOneShotSha256 ? crypto.hash('sha256', data, 'base64url') : crypto.createHash('sha256').update(data).digest('base64url');
}

/** SHA-256 of `data` (a string is hashed as UTF-8), as bytes. */
export function sha256Bytes(data: string | Buffer): Buffer {
  return hasOneShotSha256 ? crypto.hash('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest();
}
