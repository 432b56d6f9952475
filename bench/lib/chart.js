'use strict';
// docs/performance.svg: a horizontal bar chart of req/s as a ratio to bare Express, one group
// per scenario, one bar per server. Hand-rolled SVG: no dependency, diffs stay readable.

const TARGETS = { 'cc-hs256': 0.85, 'cc-es256': 0.6, 'bearer-hs256': 0.85 };
const COLORS = ['#1f5fa8', '#6fa8dc', '#e07b39', '#4f9d69', '#9b6bb3', '#b5533c', '#888888'];

/** Two decimals, or two significant digits for the tiny ratios of bcrypt-bound scenarios. */
const label = (v) => (v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));
const esc = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function renderChart(run, rows) {
  const servers = run.servers.filter((s) => s !== 'bare-express');
  const color = Object.fromEntries(servers.map((s, i) => [s, COLORS[i % COLORS.length]]));
  const groups = run.scenarios
    .filter((s) => !s.ceilingOnly && s.ceiling)
    .map((s) => ({ scenario: s, bars: (rows[s.id] ?? []).filter((r) => r.status === 'ok' && r.ceilingRatio !== undefined) }))
    .filter((g) => g.bars.length > 0);

  const width = 900;
  const left = 230;
  const right = 70;
  const barH = 14;
  const gap = 3;
  const top = 70;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.ceilingRatio))) * 1.05;
  const plotW = width - left - right;
  const sx = (v) => left + (v / max) * plotW;
  const out = [];
  let y = top;
  for (const g of groups) {
    out.push(`<text x="8" y="${y + 11}" class="group">${esc(g.scenario.title)}</text>`);
    y += 16;
    const groupTop = y;
    for (const b of g.bars) {
      const w = Math.max(1, sx(b.ceilingRatio) - left);
      out.push(`<text x="${left - 6}" y="${y + 11}" class="label" text-anchor="end">${esc(b.server)}</text>`);
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color[b.server]}"/>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + 11}" class="value">${label(b.ceilingRatio)}</text>`);
      y += barH + gap;
    }
    const target = TARGETS[g.scenario.id];
    if (target !== undefined) {
      const tx = sx(target).toFixed(1);
      out.push(`<line x1="${tx}" y1="${groupTop - 2}" x2="${tx}" y2="${y}" class="target"/>`);
    }
    y += 12;
  }
  const height = y + 44;
  const grid = [];
  for (let v = 0; v <= max + 1e-9; v += 0.25) {
    const gx = sx(v).toFixed(1);
    grid.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${y}" class="${v === 1 ? 'one' : 'grid'}"/>`);
    grid.push(`<text x="${gx}" y="${y + 14}" class="axis" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  const legend = servers.map((s, i) => {
    const lx = left + i * 130;
    return `<rect x="${lx}" y="34" width="12" height="12" fill="${color[s]}"/><text x="${lx + 16}" y="44" class="label">${esc(s)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<style>
  .title { font-size: 15px; font-weight: bold; }
  .group { font-size: 12px; font-weight: bold; fill: #222; }
  .label, .value, .axis { font-size: 11px; fill: #333; }
  .grid { stroke: #ddd; stroke-width: 1; }
  .one { stroke: #444; stroke-width: 1.5; }
  .target { stroke: #c00; stroke-width: 2; stroke-dasharray: 4 3; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="20" class="title">Requests per second as a ratio to bare Express (1.00 = the ceiling; red dashes = target)</text>
${legend.join('\n')}
${grid.join('\n')}
${out.join('\n')}
<text x="${left}" y="${height - 6}" class="axis">x bare Express (form POST for token requests, GET for bearer requests); ${esc(run.startedAt.slice(0, 10))}, ${run.settings.rounds} round(s), medians</text>
</svg>
`;
}

module.exports = { renderChart };
