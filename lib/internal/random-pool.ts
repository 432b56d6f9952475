import { randomFillSync } from 'node:crypto';

/** Bytes fetched from the CSPRNG at once: 256 access-token ids, or 128 refresh tokens. */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `bytes` fresh random bytes from node:crypto's CSPRNG, base64url-encoded: the same value
 * `randomBytes(bytes).toString('base64url')` gives, but the generator is called once per 4 KiB
 * instead of once per id (each call costs a native transition and a new Buffer; two per issued
 * token before). Every byte is handed out once and never reused, so each value keeps its full
 * entropy (docs/adr/0016-hot-path-costs.md). The technique of the uuid package and of Node's
 * own randomUUID cache.
 */
export function randomBase64url(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} bytes at once`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const value = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return value;
}
