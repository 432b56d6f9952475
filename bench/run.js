#!/usr/bin/env node
'use strict';
// The benchmark harness (bench/README.md). Starts each server in bench/servers as its own
// process on 127.0.0.1, drives it with autocannon from this process, checks every response,
// samples the server's CPU and memory, and alternates the servers within each round.
// Writes bench/results/latest.json (smoke: smoke.json) and, for a full run,
// docs/performance.md and docs/performance.svg.
const { mkdirSync, readdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { HELP, parseArgs } = require('./lib/cli');
const { machineInfo, toolVersions } = require('./lib/machine');
const { buildReport } = require('./lib/report');
const { CODES_PER_SECOND, SCENARIOS, runners, scenarioSeconds } = require('./lib/scenarios');
const { killAll, startServer } = require('./lib/server-process');

const BENCH = __dirname;
const ROOT = path.join(BENCH, '..');
const RESULTS = path.join(BENCH, 'results');
const CEILING = 'bare-express';
const SMOKE_SERVERS = ['bare-express', 'ours', 'ours-postgres'];
/** Servers that run only some scenarios (issue 7: ours on PostgreSQL, issuance and code redemption). */
const SERVER_SCENARIOS = { 'ours-postgres': ['cc-hs256', 'code'] };
/** Start-up, fixtures and shutdown per cell, for the time estimate. */
const OVERHEAD_SECONDS = 2.5;

function listServers() {
  const names = readdirSync(path.join(BENCH, 'servers'))
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3));
  const rank = (n) => (n === CEILING ? 0 : n === 'ours' ? 1 : n === 'ours-postgres' ? 2 : 3);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function selectServers(options) {
  const all = listServers();
  const wanted = options.only ?? (options.smoke ? SMOKE_SERVERS : all);
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`unknown server(s): ${unknown.join(', ')} (have: ${all.join(', ')})`);
  return all.filter((n) => wanted.includes(n));
}

function selectScenarios(options, servers) {
  const ids = SCENARIOS.map((s) => s.id);
  if (!options.scenarios) return SCENARIOS;
  const unknown = options.scenarios.filter((id) => !ids.includes(id));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (have: ${ids.join(', ')})`);
  const wanted = new Set(options.scenarios);
  // A scenario's ceiling is measured with it, so every ratio has its denominator.
  if (servers.includes(CEILING)) for (const s of SCENARIOS) if (wanted.has(s.id) && s.ceiling) wanted.add(s.ceiling);
  return SCENARIOS.filter((s) => wanted.has(s.id));
}

function runsOn(scenario, server) {
  if (scenario.ceilingOnly) return server === CEILING;
  if (server === CEILING) return false;
  return !SERVER_SCENARIOS[server] || SERVER_SCENARIOS[server].includes(scenario.id);
}

/** Every (round, scenario, server) in run order; odd rounds visit the servers in reverse, so drift evens out. */
function plan(scenarios, servers, rounds) {
  const cells = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const scenario of scenarios) for (const server of order) if (runsOn(scenario, server)) cells.push({ round, scenario, server });
  }
  return cells;
}

const known = new Map(); // `${server}:${variant}` -> { unsupported?: reason, info?: READY json }

function missingSupport(scenario, info) {
  const missing = (scenario.needs ?? []).filter((flag) => info.supports?.[flag] !== true);
  if (missing.length === 0) return undefined;
  const notes = info.notes ?? {};
  return notes[scenario.id] ?? notes[scenario.kind] ?? `${info.name} does not support ${missing.join(' + ')}`;
}

/** Runs one cell: start the server (first supported variant), fixtures, warm-up, measure, stop. */
async function runCell({ round, scenario, server }, settings) {
  const base = { round, scenario: scenario.id, server };
  let reason = 'unsupported';
  for (const variant of scenario.variants) {
    const key = `${server}:${variant}`;
    const seen = known.get(key);
    if (seen?.unsupported) {
      reason = seen.unsupported;
      continue;
    }
    if (seen?.info && missingSupport(scenario, seen.info)) return { ...base, variant, status: 'unsupported', reason: missingSupport(scenario, seen.info) };
    const started = await startServer(server, variant, { logDir: path.join(RESULTS, 'logs') });
    if (started.status === 'unsupported') {
      known.set(key, { unsupported: started.reason });
      reason = started.reason;
      continue;
    }
    known.set(key, { info: started.info });
    try {
      const missing = missingSupport(scenario, started.info);
      if (missing) return { ...base, variant, library: started.info.library, status: 'unsupported', reason: missing };
      const ctx = { port: started.port, pid: started.pid, info: started.info, variant, settings };
      const outcome = await Promise.race([
        runners[scenario.kind](ctx),
        started.exited.then((e) => {
          throw new Error(`server exited (${e.code ?? e.signal}) during the run; see ${path.relative(ROOT, started.logFile)}`);
        }),
      ]);
      return { ...base, variant, library: started.info.library, ...cellFigures(outcome) };
    } catch (err) {
      return { ...base, variant, library: started.info.library, status: 'error', reason: err.message };
    } finally {
      await started.stop();
    }
  }
  return { ...base, status: 'unsupported', reason };
}

function cellFigures(outcome) {
  const { warmup, main, proc } = outcome;
  const problems = [...warmup.problems.map((p) => `warm-up: ${p}`), ...main.problems];
  for (const extra of ['alone', 'password']) if (outcome[extra]) problems.push(...outcome[extra].problems.map((p) => `${extra}: ${p}`));
  const cell = {
    status: problems.length === 0 ? 'ok' : 'invalid',
    reason: problems.length ? problems.join('; ') : undefined,
    rps: main.rps,
    p50: main.latency.p50,
    p99: main.latency.p99,
    cpuPercent: proc.cpuPercent,
    // Server CPU time per answered request: far less sensitive than req/s to other processes
    // competing for the cores (the mixed scenario serves two loads at once, so it has none).
    cpuUsPerRequest: outcome.alone ? undefined : (proc.cpuSeconds * 1e6) / main.ok,
    peakRssMB: proc.peakRss / 2 ** 20,
    hwmMB: proc.hwm / 2 ** 20,
    requests: main.ok,
    seconds: main.seconds,
  };
  if (outcome.alone) {
    cell.alone = { rps: outcome.alone.rps, p50: outcome.alone.latency.p50, p99: outcome.alone.latency.p99 };
    cell.password = { rps: outcome.password.rps, p50: outcome.password.latency.p50, p99: outcome.password.latency.p99 };
  }
  return cell;
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function describe(cell) {
  const variant = cell.variant && !cell.scenario.startsWith('bare') && !cell.scenario.endsWith(cell.variant) ? ` (${cell.variant})` : '';
  const head = `${cell.scenario} ${cell.server}${variant}`;
  if (cell.status === 'unsupported') return `${head}: n/a (${cell.reason})`;
  if (cell.status !== 'ok') return `${head}: ${cell.status.toUpperCase()}: ${cell.reason}`;
  let line = `${head}: ${fmt(cell.rps)} req/s, p50 ${fmt(cell.p50, 1)} ms, p99 ${fmt(cell.p99, 1)} ms, CPU ${fmt(cell.cpuPercent)}%${cell.cpuUsPerRequest ? ` (${fmt(cell.cpuUsPerRequest)} µs/req)` : ''}, RSS ${fmt(cell.peakRssMB)} MB`;
  if (cell.alone) line += ` | alone p99 ${fmt(cell.alone.p99, 1)} ms, password ${fmt(cell.password.rps, 1)}/s`;
  return line;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (options.help) return console.log(HELP);
  const servers = selectServers(options);
  const scenarios = selectScenarios(options, servers);
  if (options.list) {
    console.log(`servers: ${listServers().join(', ')}`);
    for (const s of SCENARIOS) console.log(`scenario ${s.id.padEnd(15)} ${s.title}`);
    return;
  }
  const settings = {
    duration: options.duration,
    warmup: options.warmup,
    rounds: options.rounds,
    connections: options.connections,
    passwordConnections: options.passwordConnections,
    pipelining: 1,
    codesPerSecond: CODES_PER_SECOND,
    // The code cells' warm-up is fixed work too (older results: a timed warm-up).
    codeWarmupFixed: true,
  };
  const cells = plan(scenarios, servers, settings.rounds);
  const estimate = cells.reduce((t, c) => t + scenarioSeconds(c.scenario, settings) + OVERHEAD_SECONDS, 0);
  console.log(
    `bench: ${cells.length} cells (${servers.length} servers x ${scenarios.length} scenarios x ${settings.rounds} rounds); ` +
      `at most ~${Math.ceil(estimate / 60)} min (unsupported cells are skipped quickly)`,
  );
  console.log(
    `settings: ${settings.duration} s measured after ${settings.warmup} s warm-up, ${settings.connections} connections ` +
      `(password ${settings.passwordConnections}), pipelining 1`,
  );
  const startedAt = new Date();
  const machine = machineInfo();
  // Read now, with the commit the servers' dist/ was built from: lib/ edited during a run
  // must not be reported as what ran.
  const versions = toolVersions();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`);

  const results = [];
  for (const [i, cell] of cells.entries()) {
    const result = await runCell(cell, settings);
    results.push(result);
    console.log(`[${i + 1}/${cells.length}] r${cell.round} ${describe(result)}`);
  }

  const run = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    minutes: Math.round(((Date.now() - startedAt.getTime()) / 60_000) * 10) / 10,
    smoke: options.smoke === true,
    machine: { ...machine, loadAverageAtEnd: machineInfo().loadAverage },
    versions,
    settings,
    servers,
    scenarios: scenarios.map(({ id, title, kind, ceiling, ceilingOnly }) => ({ id, title, kind, ceiling, ceilingOnly: ceilingOnly === true })),
    cells: results,
  };
  mkdirSync(RESULTS, { recursive: true });
  const jsonFile = path.join(RESULTS, options.smoke ? 'smoke.json' : 'latest.json');
  writeFileSync(jsonFile, `${JSON.stringify(run, null, 2)}\n`);
  const report = buildReport(run);
  console.log(`\n${report.summary}`);
  console.log(`results: ${path.relative(process.cwd(), jsonFile)}`);
  const partial = options.only !== undefined || options.scenarios !== undefined;
  if (!options.smoke && !options.noDocs && (!partial || options.writeDocs)) {
    writeFileSync(path.join(ROOT, 'docs', 'performance.md'), report.markdown);
    writeFileSync(path.join(ROOT, 'docs', 'performance.svg'), report.svg);
    console.log('wrote docs/performance.md and docs/performance.svg');
  }
  const failed = results.filter((c) => c.status === 'invalid' || c.status === 'error');
  if (failed.length > 0) {
    console.log(`${failed.length} invalid cell(s): ${failed.map((c) => `${c.scenario}/${c.server} (round ${c.round})`).join(', ')}`);
    process.exitCode = 1;
  }
  console.log(`bench finished in ${run.minutes} min`);
}

// Stop every server this run started, whatever ends it.
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}
main().catch((err) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
