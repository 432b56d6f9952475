#!/usr/bin/env node
// Runs jest, keeps its exit code, and ends with the one line CI reads:
// "N passed, N failed, N skipped".
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const out = path.join(os.tmpdir(), `jest-results-${process.pid}.json`);
const jestBin = require.resolve('jest/bin/jest');
const run = spawnSync(process.execPath, [jestBin, '--json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
let code = run.status ?? 1;
try {
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const skipped = r.numPendingTests + r.numTodoTests;
  // A suite that fails to load has no failed tests but must still count as a failure.
  const failed = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
  console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  if (failed > 0 && code === 0) code = 1;
} catch (err) {
  console.log(`0 passed, 1 failed (no jest results: ${err.message})`);
  code = code || 1;
}
process.exit(code);
