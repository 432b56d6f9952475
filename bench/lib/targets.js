'use strict';
// The targets of issue 7, evaluated on the aggregated rows. Each is met, missed, or not
// measured (a cell was invalid, unsupported or not run), always with the figures behind it.

const x = (n) => `${n.toFixed(2)}x`;

function row(rows, scenario, server = 'ours') {
  return rows[scenario]?.find((r) => r.server === server && r.status === 'ok');
}

function ratioTarget(rows, { scenario, min, label }) {
  const r = row(rows, scenario);
  if (!r || r.ceilingRatio === undefined) return { label, status: 'not measured' };
  // CPU per request beside it: the figure least disturbed by other load on the machine.
  const cpu = Number.isFinite(r.cpuCeilingRatio) ? `; CPU per request ${x(r.cpuCeilingRatio)} the ceiling's` : '';
  return { label, status: r.ceilingRatio >= min ? 'met' : 'missed', figure: `${x(r.ceilingRatio)} (${Math.round(r.rps)} req/s; target >= ${min}x${cpu})` };
}

function aheadTarget(rows, { scenario, label }) {
  const r = row(rows, scenario);
  if (!r) return { label, status: 'not measured' };
  if (r.peerRatio === undefined) return { label, status: 'not measured', figure: 'no peer measured' };
  return { label, status: r.peerRatio > 1 ? 'met' : 'missed', figure: `${x(r.peerRatio)} the best peer (${r.bestPeer})` };
}

function evaluateTargets(rows) {
  const targets = [
    ratioTarget(rows, { scenario: 'cc-hs256', min: 0.85, label: 'client_credentials HS256 >= 0.85x bare form POST' }),
    aheadTarget(rows, { scenario: 'cc-hs256', label: 'client_credentials HS256 ahead of every peer' }),
    ratioTarget(rows, { scenario: 'cc-es256', min: 0.6, label: 'client_credentials ES256 >= 0.6x bare form POST' }),
    ratioTarget(rows, { scenario: 'bearer-hs256', min: 0.85, label: 'Bearer GET (JWT) >= 0.85x bare GET' }),
    aheadTarget(rows, { scenario: 'bearer-hs256', label: 'Bearer GET (JWT) ahead of every peer' }),
    // The bearer target names no token format, and its scenario covers both (JWT
    // verification; opaque lookup), so the opaque lookup is held to it as well.
    ratioTarget(rows, { scenario: 'bearer-opaque', min: 0.85, label: 'Bearer GET (opaque) >= 0.85x bare GET' }),
    aheadTarget(rows, { scenario: 'bearer-opaque', label: 'Bearer GET (opaque) ahead of every peer' }),
  ];

  const mixed = row(rows, 'password-mixed');
  const stall = 'Password grants do not stall other requests (bearer p99 under password load <= 2x without)';
  targets.push(
    mixed && mixed.password.rps > 0
      ? {
          label: stall,
          status: mixed.p99Ratio <= 2 ? 'met' : 'missed',
          figure: `${x(mixed.p99Ratio)} (p99 ${mixed.alone.p99.toFixed(1)} ms alone, ${mixed.p99.toFixed(1)} ms with ${mixed.password.rps.toFixed(1)} password grants/s)`,
        }
      : { label: stall, status: 'not measured', figure: mixed ? 'no password grant finished during the measured phase' : undefined },
  );

  const memory = Object.values(rows)
    .flat()
    .filter((r) => r.kind === 'ours' && r.status === 'ok' && r.rssRatio !== undefined);
  const memLabel = 'Peak memory <= 1.3x bare Express (worst of our cells)';
  if (memory.length === 0) targets.push({ label: memLabel, status: 'not measured' });
  else {
    const worst = memory.reduce((a, b) => (b.rssRatio > a.rssRatio ? b : a));
    targets.push({
      label: memLabel,
      status: worst.rssRatio <= 1.3 ? 'met' : 'missed',
      figure: `${x(worst.rssRatio)} (${worst.peakRssMB.toFixed(0)} MB, ${worst.server} ${worst.scenario})`,
    });
  }
  return targets;
}

module.exports = { evaluateTargets };
