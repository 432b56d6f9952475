// ESM consumer of the subpath exports: named imports of `express-oauth2-provider/postgres`
// and `express-oauth2-provider/testing` from the CommonJS build, and the shipped migration
// found at run time next to the installed module. Run by scripts/pack-check.sh.
import assert from 'node:assert/strict';
import { createPostgresRateLimitStore, createPostgresStores, listMigrations, migrate } from 'express-oauth2-provider/postgres';
import { runStoreConformance } from 'express-oauth2-provider/testing';

assert.equal(typeof createPostgresStores, 'function', 'createPostgresStores');
assert.equal(typeof migrate, 'function', 'migrate');
assert.equal(typeof createPostgresRateLimitStore, 'function', 'createPostgresRateLimitStore');
assert.equal(typeof runStoreConformance, 'function', 'runStoreConformance');
const migrations = listMigrations();
assert.deepEqual(
  migrations.map((m) => [m.version, m.name]),
  [
    [1, '001_initial.sql'],
    [2, '002_client_groups.sql'],
    [3, '003_rate_limits.sql'],
  ],
);
assert.match(migrations[0].sql, /CREATE TABLE \{\{prefix\}\}refresh_tokens/);
console.log(
  `esm: /postgres and /testing named imports ok; migrations shipped: ${migrations.map((m) => m.name).join(', ')}`,
);
