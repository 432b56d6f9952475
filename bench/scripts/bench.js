#!/usr/bin/env node
'use strict';
// `npm run bench` / `npm run bench:smoke` at the repo root: installs bench/'s own dependencies
// when any is missing, builds the library (the bench measures dist/, what users get), then
// runs bench/run.js with the given arguments. Exits with run.js's code.
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const BENCH = path.join(__dirname, '..');
const ROOT = path.join(BENCH, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function missingDependencies() {
  const { dependencies = {} } = JSON.parse(readFileSync(path.join(BENCH, 'package.json'), 'utf8'));
  return Object.keys(dependencies).filter((name) => !existsSync(path.join(BENCH, 'node_modules', name, 'package.json')));
}

const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
const runArgs = args.filter((a) => a !== '--no-build');

const missing = missingDependencies();
if (missing.length > 0) {
  console.log(`bench: installing bench/ dependencies (missing: ${missing.join(', ')})`);
  const code = run(npm, ['install', '--no-audit', '--no-fund'], BENCH);
  if (code !== 0) process.exit(code);
}
if (!skipBuild) {
  console.log('bench: building the library (npm run build)');
  const code = run(npm, ['run', '-s', 'build'], ROOT);
  if (code !== 0) process.exit(code);
}
process.exit(run(process.execPath, [path.join(BENCH, 'run.js'), ...runArgs], ROOT));
