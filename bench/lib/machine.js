'use strict';
// The machine and software a run happened on, for the report.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function osName() {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function gitCommit(root) {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${hash} (lib/ modified)` : hash;
  } catch {
    return 'unknown';
  }
}

function packageVersion(name, from) {
  try {
    return require(require.resolve(`${name}/package.json`, { paths: [from] })).version;
  } catch {
    return 'not installed';
  }
}

/** CPU, cores, memory, OS, Node; load average now (another busy process skews everything). */
function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${osName()} (Linux ${os.release()})`,
    node: process.version,
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/** Versions of the harness's own tools and of our library (with its commit). */
function toolVersions() {
  const bench = path.join(__dirname, '..');
  const root = path.join(bench, '..');
  const ours = require(path.join(root, 'package.json'));
  return {
    ours: `${ours.name}@${ours.version} (commit ${gitCommit(root)})`,
    autocannon: packageVersion('autocannon', bench),
    express: packageVersion('express', bench),
    pg: packageVersion('pg', bench),
  };
}

module.exports = { machineInfo, toolVersions };
