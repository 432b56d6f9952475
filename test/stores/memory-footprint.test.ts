/**
 * The memory store keeps every access token until it expires (docs/adr/0005), and consumed
 * refresh tokens and codes for reuse detection (docs/adr/0004), so what one record costs
 * decides the server's memory under token load (issue 7's peak-memory target). Records live
 * in fixed-size slots outside the JavaScript heap (lib/stores/member-table.ts,
 * docs/adr/0019-memory-store-off-heap.md). As objects in Maps they cost, with their id strings
 * and index entries, about 1,150 bytes of heap per redeemed code (three records); on the heap,
 * V8 lets its old generation grow to several times that.
 *
 * Counted here: all the heap and ArrayBuffer memory a record adds, its strings included (the
 * caller's copies are dropped before measuring). Measured in a child process: a jest worker's
 * heap also holds (and frees) what earlier test files left, which once made this read a
 * negative size.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const MEASURE = `
const { randomBytes } = require('node:crypto');
const { MemoryTokenStore } = require('./lib/stores/memory.ts');
const kind = process.argv[1];
(async () => {
  const store = new MemoryTokenStore(3600000);
  const n = 50000;
  const now = Date.now();
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < n; i++) {
    // The strings a real record brings (id or hash, family id, PKCE challenge), fresh for each.
    const id = randomBytes(32).toString('base64url');
    const familyId = randomBytes(16).toString('base64url');
    const challenge = randomBytes(32).toString('base64url');
    const member = { familyId, clientId: 'app', userId: 'user-1', scope: ['read'], createdAt: new Date(now), expiresAt: new Date(now + 3600000) };
    if (kind === 'access') await store.saveAccessToken({ id, ...member });
    if (kind === 'access-own-family') await store.saveAccessToken({ id, ...member, familyId: id });
    if (kind === 'refresh') {
      await store.saveRefreshToken({ hash: id, ...member });
      await store.consumeRefreshToken(id, new Date(now));
    }
    if (kind === 'code') {
      await store.saveAuthorizationCode({ hash: id, ...member, redirectUri: 'https://app.example/cb', codeChallenge: challenge, codeChallengeMethod: 'S256' });
      await store.consumeAuthorizationCode(id, new Date(now));
    }
  }
  gc();
  const after = process.memoryUsage();
  const heap = (after.heapUsed - before.heapUsed) / n;
  const offHeap = (after.arrayBuffers - before.arrayBuffers) / n;
  process.stdout.write(JSON.stringify({ heap, offHeap }));
  store.close();
})();
`;

function bytesPerRecord(kind: string): { heap: number; offHeap: number } {
  const out = execFileSync(process.execPath, ['--expose-gc', '-r', './scripts/register-ts.js', '-e', MEASURE, kind], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out);
}

// Measured here (Node 20), heap / off-heap bytes: 3.7 / 203 for an access token, 4.8 / 183 for
// one named after its family, 4.6 / 183 for a consumed refresh token, 4.4 / 228 for a consumed
// code (slots of 152 bytes, 196 for a code; the rest is index entries and the chunk being
// filled). The same measurement of the Map-of-objects store before it: 295, 214, 316 and 405
// bytes, all of heap.
it.each([
  { name: 'an access token', kind: 'access' },
  { name: 'an access token whose family is named after it', kind: 'access-own-family' },
  { name: 'a consumed refresh token', kind: 'refresh' },
  { name: 'a consumed authorization code', kind: 'code' },
])('keeps $name outside the heap: under 16 bytes of heap and 280 of ArrayBuffer, its strings included', ({ kind }) => {
  const { heap, offHeap } = bytesPerRecord(kind);
  expect(heap).toBeLessThan(16);
  expect(offHeap).toBeLessThan(280); // ArrayBuffer counts move by about 20 bytes per record between runs
  expect(offHeap).toBeGreaterThan(150); // the measurement itself works: the records are really held
});
