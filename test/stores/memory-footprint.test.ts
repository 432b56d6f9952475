/**
 * The memory store keeps every access token until it expires (docs/adr/0005), so what one
 * costs decides the server's memory under token load (issue 7's peak-memory target).
 * StoredAccessToken keeps one fixed-shape object per token, times as numbers and one shared
 * scope array: about 185 bytes, against 459 for the cloned record it replaced.
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
(async () => {
  const store = new MemoryTokenStore(3600000);
  const n = 50000;
  const ids = Array.from({ length: n }, () => [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')]);
  const now = Date.now();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (const [id, familyId] of ids) {
    await store.saveAccessToken({ id, familyId, clientId: 'app', scope: ['read'], createdAt: new Date(now), expiresAt: new Date(now + 3600000) });
  }
  gc();
  process.stdout.write(String((process.memoryUsage().heapUsed - before) / n));
  store.close();
})();
`;

it('keeps a stored access token in under 250 bytes of heap, beyond its two id strings', () => {
  const perToken = Number(
    execFileSync(process.execPath, ['--expose-gc', '-r', './scripts/register-ts.js', '-e', MEASURE], { cwd: ROOT, encoding: 'utf8' }),
  );
  expect(perToken).toBeLessThan(250);
  expect(perToken).toBeGreaterThan(50); // the measurement itself works: the records are really held
});
