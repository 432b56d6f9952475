/**
 * The memory store keeps every access token until it expires (docs/adr/0005), and consumed
 * refresh tokens and codes for reuse detection (docs/adr/0004), so what one record costs
 * decides the server's memory under token load (issue 7's peak-memory target). Each is kept
 * as one fixed-shape object, times as numbers and one shared scope array
 * (lib/stores/stored-records.ts). Before that, each was a cloned record: 459 bytes for an
 * access token, 564 for a consumed refresh token, 590 for a consumed code.
 *
 * Measured in a child process: a jest worker's heap also holds (and frees) what earlier test
 * files left, which once made this read a negative size.
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
  // Every string a real record brings (ids, hashes, the PKCE challenge) is made before measuring.
  const ids = Array.from({ length: n }, () => [randomBytes(32).toString('base64url'), randomBytes(16).toString('base64url'), randomBytes(32).toString('base64url')]);
  const now = Date.now();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (const [id, familyId, challenge] of ids) {
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
  process.stdout.write(String((process.memoryUsage().heapUsed - before) / n));
  store.close();
})();
`;

function bytesPerRecord(kind: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '-r', './scripts/register-ts.js', '-e', MEASURE, kind], { cwd: ROOT, encoding: 'utf8' });
  return Number(out);
}

// Measured here (Node 20): 189, 152, 212 and 238 bytes; the bounds leave room for V8's drift.
it.each([
  { name: 'an access token', kind: 'access', bound: 250 },
  // A client_credentials token: its family is named after it, so the store indexes nothing for it.
  { name: 'an access token whose family is named after it', kind: 'access-own-family', bound: 175 },
  { name: 'a consumed refresh token', kind: 'refresh', bound: 275 },
  { name: 'a consumed authorization code', kind: 'code', bound: 300 },
])('keeps $name in under $bound bytes of heap, beyond its id strings', ({ kind, bound }) => {
  const perRecord = bytesPerRecord(kind);
  expect(perRecord).toBeLessThan(bound);
  expect(perRecord).toBeGreaterThan(50); // the measurement itself works: the records are really held
});
