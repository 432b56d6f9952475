'use strict';
// Turns the cells of all rounds into one row per (scenario, server): medians across rounds,
// the spread of req/s, and the ratios to the ceiling and to the best peer.

const CEILING = 'bare-express';

function serverKind(name) {
  if (name === CEILING) return 'ceiling';
  return name === 'ours' || name.startsWith('ours-') ? 'ours' : 'peer';
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** (max - min) / median, as a fraction: how far the rounds disagree. */
function spread(values) {
  const v = values.filter(Number.isFinite);
  if (v.length < 2) return Number.NaN;
  return (Math.max(...v) - Math.min(...v)) / median(v);
}

const pick = (cells, get) => median(cells.map(get));

function aggregateGroup(cells) {
  const first = cells[0];
  const row = { scenario: first.scenario, server: first.server, kind: serverKind(first.server), rounds: cells.length };
  row.library = cells.find((c) => c.library)?.library;
  row.variant = cells.find((c) => c.variant)?.variant;
  const failed = cells.filter((c) => c.status === 'invalid' || c.status === 'error');
  if (failed.length > 0) {
    row.status = 'invalid';
    row.reason = [...new Set(failed.map((c) => `round ${c.round}: ${c.reason}`))].join('; ');
    return row;
  }
  const ok = cells.filter((c) => c.status === 'ok');
  if (ok.length === 0) {
    row.status = 'unsupported';
    row.reason = first.reason;
    return row;
  }
  row.status = 'ok';
  row.rps = pick(ok, (c) => c.rps);
  row.rpsByRound = ok.map((c) => c.rps);
  row.spread = spread(row.rpsByRound);
  row.p50 = pick(ok, (c) => c.p50);
  row.p99 = pick(ok, (c) => c.p99);
  row.cpuPercent = pick(ok, (c) => c.cpuPercent);
  row.cpuUsPerRequest = pick(ok, (c) => c.cpuUsPerRequest);
  row.peakRssMB = pick(ok, (c) => c.peakRssMB);
  if (ok[0].alone) {
    row.alone = { rps: pick(ok, (c) => c.alone.rps), p50: pick(ok, (c) => c.alone.p50), p99: pick(ok, (c) => c.alone.p99) };
    row.password = { rps: pick(ok, (c) => c.password.rps), p99: pick(ok, (c) => c.password.p99) };
    row.p99Ratio = row.p99 / row.alone.p99;
  }
  return row;
}

/** `{ scenarioId: rows[] }` with ratios filled in, servers in the run's order. */
function aggregate(run) {
  const groups = new Map();
  for (const cell of run.cells) {
    const key = `${cell.scenario}\u0000${cell.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cell);
  }
  // A server that refused a variant (exit 3) never said its version: take it from another cell.
  const libraries = new Map(run.cells.filter((c) => c.library).map((c) => [c.server, c.library]));
  const byScenario = {};
  for (const scenario of run.scenarios) {
    byScenario[scenario.id] = run.servers
      .map((server) => groups.get(`${scenario.id}\u0000${server}`))
      .filter(Boolean)
      .map(aggregateGroup)
      .map((row) => ({ ...row, library: row.library ?? libraries.get(row.server) }));
  }
  for (const scenario of run.scenarios) {
    const rows = byScenario[scenario.id];
    const ceiling = scenario.ceiling && byScenario[scenario.ceiling]?.find((r) => r.status === 'ok');
    const peers = rows.filter((r) => r.kind === 'peer' && r.status === 'ok');
    const bestPeer = peers.reduce((best, r) => (best && best.rps >= r.rps ? best : r), undefined);
    for (const row of rows) {
      if (row.status !== 'ok') continue;
      if (ceiling) {
        row.ceilingRatio = row.rps / ceiling.rps;
        row.rssRatio = row.peakRssMB / ceiling.peakRssMB;
        row.p99CeilingRatio = row.p99 / ceiling.p99;
        row.cpuCeilingRatio = row.cpuUsPerRequest / ceiling.cpuUsPerRequest;
      }
      if (bestPeer && row.kind !== 'ceiling') {
        row.bestPeer = bestPeer.server;
        row.peerRatio = row.rps / bestPeer.rps;
      }
    }
  }
  return byScenario;
}

module.exports = { aggregate, median, serverKind, spread };
