import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';

// The bench harness is plain CommonJS in bench/ (its own package); these are its pure parts:
// what counts as a valid response, how rounds are combined, how targets are judged.
type Check = (status: number, body: string, state?: { presented?: string }) => string | undefined;
const checks: { tokenResponse(variant: string, options?: { refresh?: boolean }): Check; resourceResponse: Check } = require('../../bench/lib/checks');
const { aggregate }: { aggregate(run: unknown): Record<string, Row[]> } = require('../../bench/lib/aggregate');
const { evaluateTargets }: { evaluateTargets(rows: Record<string, Row[]>): Target[] } = require('../../bench/lib/targets');
const { parseArgs }: { parseArgs(argv: string[]): Record<string, unknown> } = require('../../bench/lib/cli');
const { buildReport }: { buildReport(run: unknown): { markdown: string; svg: string } } = require('../../bench/lib/report');

interface Row {
  server: string;
  status: string;
  reason?: string;
  rps: number;
  spread: number;
  ceilingRatio?: number;
  peerRatio?: number;
  bestPeer?: string;
  rssRatio?: number;
  library?: string;
}
interface Target {
  label: string;
  status: string;
  figure?: string;
}

const hs256 = jwt.sign({ sub: 'c' }, '0123456789abcdef0123456789abcdef', { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt' } });
const es256 = jwt.sign({ sub: 'c' }, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { algorithm: 'ES256' });
const opaque = 'q3Vd2sT0Qm1fX8kLr7Yp4Nw9Zb6Hc5Ja0Ge2Uo1Ii3';
const tokenBody = (fields: Record<string, unknown>) => JSON.stringify({ token_type: 'Bearer', expires_in: 3600, ...fields });

describe('bench response checks (a cell is valid only if every response passes)', () => {
  it('accepts a 200 token response whose access token has the variant form', () => {
    expect(checks.tokenResponse('hs256')(200, tokenBody({ access_token: hs256 }))).toBeUndefined();
    expect(checks.tokenResponse('es256')(200, tokenBody({ access_token: es256 }))).toBeUndefined();
    expect(checks.tokenResponse('opaque')(200, tokenBody({ access_token: opaque }))).toBeUndefined();
  });

  it('rejects an error status, naming the OAuth error code only', () => {
    expect(checks.tokenResponse('hs256')(400, '{"error":"invalid_grant","error_description":"x"}')).toBe('invalid_grant');
    expect(checks.tokenResponse('hs256')(500, '<html>oops</html>')).toBe('error');
  });

  it('rejects a 200 that is not a JSON token response', () => {
    expect(checks.tokenResponse('hs256')(200, 'ok')).toBe('body is not JSON');
    expect(checks.tokenResponse('hs256')(200, '{"ok":true}')).toBe('no access_token');
    expect(checks.tokenResponse('hs256')(200, JSON.stringify({ access_token: hs256, token_type: 'mac' }))).toBe('token_type is not Bearer');
  });

  it('rejects a token of another kind than the variant asks for', () => {
    expect(checks.tokenResponse('es256')(200, tokenBody({ access_token: hs256 }))).toBe('access_token is not an ES256 JWT');
    expect(checks.tokenResponse('hs256')(200, tokenBody({ access_token: opaque }))).toBe('access_token is not an HS256 JWT');
    expect(checks.tokenResponse('opaque')(200, tokenBody({ access_token: hs256 }))).toBe('access_token is a JWT, expected opaque');
  });

  it('requires a new refresh token on rotation (RFC 9700 section 4.14)', () => {
    const check = checks.tokenResponse('hs256', { refresh: true });
    const presented = 'r'.repeat(43);
    expect(check(200, tokenBody({ access_token: hs256 }), { presented })).toBe('no refresh_token');
    expect(check(200, tokenBody({ access_token: hs256, refresh_token: presented }), { presented })).toBe('refresh_token was not rotated');
    expect(check(200, tokenBody({ access_token: hs256, refresh_token: 'n'.repeat(43) }), { presented })).toBeUndefined();
  });

  it('accepts a protected resource only as 200 JSON', () => {
    expect(checks.resourceResponse(200, '{"ok":true}')).toBeUndefined();
    expect(checks.resourceResponse(401, '{"error":"invalid_token"}')).toBe('invalid_token');
    expect(checks.resourceResponse(401, '')).toBe('error');
    expect(checks.resourceResponse(200, '"ok"')).toBe('body is not a JSON object');
  });
});

const cell = (scenario: string, server: string, round: number, rps: number, extra: Record<string, unknown> = {}) => ({
  scenario,
  server,
  round,
  variant: 'hs256',
  library: `${server}@1.0.0`,
  status: 'ok',
  rps,
  p50: 2,
  p99: 10,
  cpuPercent: 90,
  cpuUsPerRequest: 100,
  peakRssMB: 100,
  ...extra,
});

function run(cells: unknown[]) {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    minutes: 1,
    machine: { cpu: 'cpu', cores: 2, memoryGB: 4, os: 'linux', node: 'v20', loadAverage: [0, 0, 0], loadAverageAtEnd: [0, 0, 0] },
    versions: { ours: 'ours@0', autocannon: '9', express: '5', pg: '8' },
    settings: { duration: 8, warmup: 2, rounds: 2, connections: 10, passwordConnections: 4, pipelining: 1 },
    servers: ['bare-express', 'ours', 'peer-a', 'peer-b'],
    scenarios: [
      { id: 'bare-form', title: 'Ceiling: form', kind: 'bare-form', ceilingOnly: true },
      { id: 'cc-hs256', title: 'cc HS256', kind: 'cc', ceiling: 'bare-form', ceilingOnly: false },
    ],
    cells,
  };
}

describe('bench aggregation across rounds', () => {
  const base = [
    cell('bare-form', 'bare-express', 1, 1000),
    cell('bare-form', 'bare-express', 2, 1200),
    cell('cc-hs256', 'ours', 1, 900),
    cell('cc-hs256', 'ours', 2, 1000, { peakRssMB: 140 }),
    cell('cc-hs256', 'peer-a', 1, 500),
    cell('cc-hs256', 'peer-a', 2, 600),
    cell('cc-hs256', 'peer-b', 1, 300),
    cell('cc-hs256', 'peer-b', 2, 300),
  ];

  it('takes medians across rounds, the spread of req/s, and ratios to the ceiling and to the best peer', () => {
    const rows = aggregate(run(base));
    const ours = rows['cc-hs256']?.find((r) => r.server === 'ours');
    expect(ours).toMatchObject({ status: 'ok', rps: 950, bestPeer: 'peer-a' });
    expect(ours?.spread).toBeCloseTo(100 / 950);
    expect(ours?.ceilingRatio).toBeCloseTo(950 / 1100);
    expect(ours?.peerRatio).toBeCloseTo(950 / 550);
    expect(ours?.rssRatio).toBeCloseTo(120 / 100);
  });

  it('marks a server invalid when any round was invalid, and never averages that round in', () => {
    const cells = [...base.filter((c) => !(c.server === 'peer-a' && c.round === 2)), { ...cell('cc-hs256', 'peer-a', 2, 0), status: 'invalid', reason: '3 x 400: invalid_grant' }];
    const rows = aggregate(run(cells));
    expect(rows['cc-hs256']?.find((r) => r.server === 'peer-a')).toMatchObject({ status: 'invalid', reason: 'round 2: 3 x 400: invalid_grant' });
    // The best peer is then the best *valid* one.
    expect(rows['cc-hs256']?.find((r) => r.server === 'ours')).toMatchObject({ bestPeer: 'peer-b' });
    expect(buildReport(run(cells)).markdown).toContain('| peer-a | peer-a@1.0.0 | **INVALID**: round 2: 3 x 400: invalid_grant |');
  });

  it('judges the targets from the figures: met, missed, or not measured', () => {
    const targets = evaluateTargets(aggregate(run(base)));
    expect(targets.find((t) => t.label.startsWith('client_credentials HS256 >= 0.85x'))).toMatchObject({ status: 'met' });
    expect(targets.find((t) => t.label === 'client_credentials HS256 ahead of every peer')).toMatchObject({ status: 'met', figure: '1.73x the best peer (peer-a)' });
    expect(targets.find((t) => t.label.startsWith('client_credentials ES256'))).toEqual({ label: 'client_credentials ES256 >= 0.6x bare form POST', status: 'not measured' });
    // Both bearer formats are judged: the opaque lookup is a target of its own, not measured here.
    expect(targets.filter((t) => t.label.startsWith('Bearer GET (opaque)'))).toEqual([
      { label: 'Bearer GET (opaque) >= 0.85x bare GET', status: 'not measured' },
      { label: 'Bearer GET (opaque) ahead of every peer', status: 'not measured' },
    ]);
    expect(targets.find((t) => t.label.startsWith('Peak memory'))).toMatchObject({ status: 'met', figure: '1.20x (120 MB, ours cc-hs256)' });
    const slow = evaluateTargets(aggregate(run([...base.filter((c) => c.server !== 'ours'), cell('cc-hs256', 'ours', 1, 500), cell('cc-hs256', 'ours', 2, 500)])));
    expect(slow.find((t) => t.label.startsWith('client_credentials HS256 >= 0.85x'))).toMatchObject({ status: 'missed' });
  });

  it("states the code cells' fixed amount of work when the run recorded it, and nothing for older runs", () => {
    const withCodes = { ...run(base), settings: { ...run(base).settings, codesPerSecond: 2000 } };
    expect(buildReport(withCodes).markdown).toContain(
      '- The `code` cells measure a fixed amount of work instead: 16,000 redemptions (2,000 per measured second), however long they take, so that every server ends holding the same state.\n',
    );
    expect(buildReport(run(base)).markdown).not.toContain('- The `code` cells measure a fixed amount of work instead');
    const fixedWarmup = { ...withCodes, settings: { ...withCodes.settings, codeWarmupFixed: true } };
    expect(buildReport(fixedWarmup).markdown).toContain(
      '- The `code` cells measure a fixed amount of work instead: 16,000 redemptions (2,000 per measured second) after a warm-up of 4,000, however long they take, so that every server ends holding the same state.\n',
    );
  });
});

describe('bench command line', () => {
  it('has full-run and smoke defaults', () => {
    expect(parseArgs([])).toEqual({ connections: 10, passwordConnections: 4, duration: 8, warmup: 2, rounds: 2 });
    expect(parseArgs(['--smoke'])).toEqual({ connections: 10, passwordConnections: 4, duration: 3, warmup: 1, rounds: 1, smoke: true });
    expect(parseArgs(['--only', 'ours,bare-express', '--scenarios=cc-hs256', '--duration', '5'])).toMatchObject({ only: ['ours', 'bare-express'], scenarios: ['cc-hs256'], duration: 5 });
  });

  it('refuses unknown options and bad numbers with a readable message', () => {
    expect(() => parseArgs(['--fast'])).toThrow('unknown option --fast (see --help)');
    expect(() => parseArgs(['--rounds', '0'])).toThrow('--rounds must be a whole number >= 1 (got "0")');
    expect(() => parseArgs(['--duration'])).toThrow('--duration needs a value');
    expect(() => parseArgs(['--write-docs', '--no-docs'])).toThrow('--write-docs and --no-docs contradict each other');
  });
});
