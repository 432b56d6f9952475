import { createHmac, type KeyObject } from 'node:crypto';
import { hasOneShotSha256, sha256Base64url, sha256Bytes } from '../internal/sha256';

/** SHA-256's block size in bytes (RFC 2104's B). */
const BLOCK = 64;
/** SHA-256's output size in bytes (RFC 2104's L). */
const DIGEST = 32;

/**
 * HMAC-SHA-256 (RFC 2104) with one fixed key, base64url: what signs and checks every HS256
 * access token.
 *
 * `createHmac()` sets up a new OpenSSL MAC context for every token, and that setup (fetching
 * the digest, keying the context) cost more than hashing the token itself
 * (docs/adr/0021-one-shot-digests.md). RFC 2104 defines HMAC as two plain hashes,
 * H((K ^ opad) || H((K ^ ipad) || text)), so with Node's one-shot `crypto.hash()` it is two
 * calls over buffers whose first block, the padded key, is written once here.
 *
 * The two buffers are this signer's own (never from Buffer's shared pool, whose memory other
 * code is handed uninitialised), so the padded key never leaves them. Reusing them is safe
 * because `crypto.hash()` is synchronous. The text is hashed as UTF-8, as `createHmac().update()`
 * hashes a string, so both give the same MAC for every input
 * (test/token/one-shot-digests.test.ts compares them).
 */
export function createHmacSha256(key: KeyObject): (text: string) => string {
  if (!hasOneShotSha256) return (text) => createHmac('sha256', key).update(text).digest('base64url');
  let secret: Buffer = key.export();
  // RFC 2104 §2: a key longer than the block is hashed first; a shorter one is zero-padded.
  if (secret.length > BLOCK) secret = sha256Bytes(secret);
  let inner = Buffer.alloc(BLOCK + 512);
  const outer = Buffer.alloc(BLOCK + DIGEST);
  for (let i = 0; i < BLOCK; i++) {
    const byte = i < secret.length ? (secret[i] as number) : 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  // A fresh copy (export() and the hash both allocate): only the pads need to keep the key.
  secret.fill(0);
  return (text) => {
    const length = Buffer.byteLength(text, 'utf8');
    if (BLOCK + length > inner.length) {
      const grown = Buffer.alloc(BLOCK + length);
      inner.copy(grown, 0, 0, BLOCK);
      inner.fill(0);
      inner = grown;
    }
    inner.write(text, BLOCK, 'utf8');
    sha256Bytes(inner.subarray(0, BLOCK + length)).copy(outer, BLOCK);
    return sha256Base64url(outer);
  };
}
