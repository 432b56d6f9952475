'use strict';
// The scenarios: what each sends, how its fixtures are made (never timed), and how each
// response is checked. Every run is warm-up, then the measured phase(s) with the server
// process sampled (CPU, RSS).
const f = require('./fixtures');
const { accessTokenProblem, resourceResponse, tokenResponse } = require('./checks');
const { runLoad } = require('./load');
const { sampleProcess } = require('./proc-stats');

const BASIC = `Basic ${Buffer.from(`${f.CLIENT_ID}:${f.CLIENT_SECRET}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const CC_BODY = `grant_type=client_credentials&scope=${f.SCOPE}`;
/**
 * Codes minted per fixture request. Small, because a batch's codes are live in the server
 * until its answer is sent: with 2,000 a mark-compact that ran mid-batch saw them, set the
 * old generation's next limit from that, and about one code cell in six then peaked 10-20 MB
 * higher at the first collection of the measured phase (docs/adr/0015-benchmark-method.md).
 */
const CODE_BATCH = 200;
/** Codes the measured phase of the code scenario redeems, per second of `--duration`. */
const CODES_PER_SECOND = 2000;
const PASSWORD_BODY = `grant_type=password&username=${f.USERNAME}&password=${f.PASSWORD}&scope=${f.SCOPE}`;

function tokenRequest(ctx, body) {
  return { method: 'POST', path: ctx.info.tokenPath, headers: { authorization: BASIC, 'content-type': FORM }, body };
}

/** A fixture request to the server (untimed); its JSON answer, or an error saying what failed. */
async function fixture(ctx, method, path, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${ctx.port}${path}`, { method, headers, signal: AbortSignal.timeout(180_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`fixture ${method} ${path} answered ${res.status}`);
  return JSON.parse(text);
}

/** Checks, before any load, that the server refuses what it must (so the 200s mean something). */
async function expectRefused(ctx, what, method, path, headers, body) {
  const res = await fetch(`http://127.0.0.1:${ctx.port}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  if (res.status < 400 || res.status >= 500) throw new Error(`preflight: ${what} answered ${res.status}, expected 4xx`);
}

/** Warm-up, then the measured phase with the server process sampled. */
async function measured(ctx, phase) {
  const warmup = await runLoad({ port: ctx.port, duration: ctx.settings.warmup, warmup: true, ...(await phase('warmup')) });
  const next = await phase('measure', warmup); // fixtures are made before sampling starts
  const sampler = sampleProcess(ctx.pid);
  const main = await runLoad({ port: ctx.port, duration: ctx.settings.duration, ...next });
  return { warmup, main, proc: sampler.stop() };
}

const staticPhase = (ctx, request, check, connections = ctx.settings.connections) => () => ({ request, check, connections });

/** A stack of one-use fixtures handed out per request; running dry is reported, never hidden. */
function pool(items) {
  return {
    items,
    exhausted: 0,
    take() {
      const item = this.items.pop();
      if (item === undefined) this.exhausted++;
      return item;
    },
  };
}

function withPoolCheck(check, p) {
  return (status, body, state) => check(status, body, state) ?? (p.exhausted > 0 ? 'fixture pool exhausted' : undefined);
}

async function accessToken(ctx) {
  const json = await fixture(ctx, 'GET', '/__bench/access-token');
  const problem = accessTokenProblem(json.access_token, ctx.variant);
  if (problem) throw new Error(`fixture /__bench/access-token: ${problem}`);
  return json.access_token;
}

function bearerRequest(ctx, token) {
  return { method: 'GET', path: ctx.info.protectedPath, headers: { authorization: `Bearer ${token}` } };
}

async function bearerPreflight(ctx, token) {
  await expectRefused(ctx, 'a request without a token', 'GET', ctx.info.protectedPath, {});
  const forged = token.length > 8 ? `${token.slice(0, -6)}AAAAAA` : 'forged-token-value';
  await expectRefused(ctx, 'a tampered token', 'GET', ctx.info.protectedPath, { authorization: `Bearer ${forged}` });
}

const runners = {
  async 'bare-get'(ctx) {
    const check = (status, body) => resourceResponse(status, body) ?? (JSON.parse(body).hello === 'world' ? undefined : 'unexpected body');
    return measured(ctx, staticPhase(ctx, { method: 'GET', path: '/hello' }, check));
  },

  async 'bare-form'(ctx) {
    const check = (status, body) =>
      resourceResponse(status, body) ?? (JSON.parse(body).grant_type === 'client_credentials' ? undefined : 'form not parsed');
    return measured(ctx, staticPhase(ctx, tokenRequest(ctx, CC_BODY), check));
  },

  async cc(ctx) {
    const wrong = `Basic ${Buffer.from(`${f.CLIENT_ID}:wrong-secret`).toString('base64')}`;
    await expectRefused(ctx, 'a wrong client secret', 'POST', ctx.info.tokenPath, { authorization: wrong, 'content-type': FORM }, CC_BODY);
    return measured(ctx, staticPhase(ctx, tokenRequest(ctx, CC_BODY), tokenResponse(ctx.variant)));
  },

  async bearer(ctx) {
    const token = await accessToken(ctx);
    await bearerPreflight(ctx, token);
    return measured(ctx, staticPhase(ctx, bearerRequest(ctx, token), resourceResponse));
  },

  async refresh(ctx) {
    const { connections } = ctx.settings;
    // Each connection chains its own rotation: it presents the refresh token its previous
    // response returned (state is per connection); a fresh set per phase.
    const phase = async () => {
      const minted = await fixture(ctx, 'POST', `/__bench/refresh-tokens?n=${connections + 2}`);
      const p = pool(minted.map((t) => (typeof t === 'string' ? t : t.refresh_token)));
      const request = {
        ...tokenRequest(ctx, ''),
        state: {},
        setupRequest(req) {
          const token = req.state.next ?? p.take() ?? 'exhausted';
          req.state.next = undefined;
          req.state.presented = token;
          req.body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`;
          return req;
        },
      };
      const checkToken = tokenResponse(ctx.variant, { refresh: true });
      const check = (status, body, state) => {
        const problem = checkToken(status, body, state);
        if (problem === undefined) state.next = JSON.parse(body).refresh_token;
        return problem ?? (p.exhausted > 0 ? 'fixture pool exhausted' : undefined);
      };
      return { request, check, connections };
    };
    return measured(ctx, phase);
  },

  async code(ctx) {
    const { connections, duration, warmup } = ctx.settings;
    // The same work for every server: the warm-up redeems CODES_PER_SECOND x `--warmup` codes
    // (4,000 by default) and the measured phase CODES_PER_SECOND x `--duration` (16,000),
    // however long that takes, so every server ends holding the same state, and memory compares
    // like for like (the rate is answers over the time they took). Each phase's pool has one
    // spare per connection, which opens the next phase, so every code minted is redeemed but
    // the last spares. The warm-up used to run `--warmup` seconds on codes minted from a guess
    // above any server's rate (3000/s), which a faster machine outran. A pool running dry makes
    // the cell invalid, never hidden.
    let left = [];
    const phase = async (name) => {
      const amount = ctx.settings.codesPerSecond * (name === 'warmup' ? warmup : duration);
      const n = Math.max(0, amount + connections - left.length);
      const minted = left;
      // In small batches (CODE_BATCH): a large answer would itself grow the server's heap.
      for (let todo = n; todo > 0; todo -= CODE_BATCH) {
        minted.push(...(await fixture(ctx, 'POST', `/__bench/codes?n=${Math.min(CODE_BATCH, todo)}`)));
      }
      const p = pool(minted);
      left = p.items;
      const redirect = `&redirect_uri=${encodeURIComponent(f.REDIRECT_URI)}`;
      const request = {
        ...tokenRequest(ctx, ''),
        setupRequest(req) {
          const item = p.take() ?? { code: 'exhausted' };
          const verifier = item.code_verifier ? `&code_verifier=${encodeURIComponent(item.code_verifier)}` : '';
          req.body = `grant_type=authorization_code&code=${encodeURIComponent(item.code)}${redirect}${verifier}`;
          return req;
        },
      };
      return { request, check: withPoolCheck(tokenResponse(ctx.variant), p), connections, amount };
    };
    return measured(ctx, phase);
  },

  async password(ctx) {
    const wrong = PASSWORD_BODY.replace(`password=${f.PASSWORD}`, 'password=wrong-password');
    await expectRefused(ctx, 'a wrong password', 'POST', ctx.info.tokenPath, { authorization: BASIC, 'content-type': FORM }, wrong);
    return measured(ctx, staticPhase(ctx, tokenRequest(ctx, PASSWORD_BODY), tokenResponse(ctx.variant), ctx.settings.passwordConnections));
  },

  // Bearer requests alone, then the same bearer load while password grants (bcrypt cost 10)
  // run at the same time: do password checks starve the other requests?
  async mixed(ctx) {
    const { connections, passwordConnections, duration, warmup } = ctx.settings;
    const token = await accessToken(ctx);
    await bearerPreflight(ctx, token);
    const bearer = { port: ctx.port, connections, request: bearerRequest(ctx, token), check: resourceResponse };
    const password = {
      port: ctx.port,
      connections: passwordConnections,
      request: tokenRequest(ctx, PASSWORD_BODY),
      check: tokenResponse(ctx.variant),
    };
    const warmups = await Promise.all([runLoad({ ...bearer, duration: warmup, warmup: true }), runLoad({ ...password, duration: warmup, warmup: true })]);
    const sampler = sampleProcess(ctx.pid);
    const alone = await runLoad({ ...bearer, duration });
    // No password grant finishing in time is a result (0/s, reported), not a bad response.
    const [main, passwordLoad] = await Promise.all([runLoad({ ...bearer, duration }), runLoad({ ...password, duration, warmup: true })]);
    return { warmup: merge(warmups), main, alone, password: passwordLoad, proc: sampler.stop() };
  },
};

function merge(phases) {
  return { valid: phases.every((p) => p.valid), problems: phases.flatMap((p) => p.problems) };
}

/**
 * The scenario list, in run order. `kind` picks the runner; `variants` are tried in order
 * (the first one the server supports is used); `ceiling` names the bare-express scenario the
 * results are divided by; `needs` are READY `supports` flags.
 */
const SCENARIOS = [
  { id: 'bare-form', kind: 'bare-form', title: 'Ceiling: bare Express form POST', ceilingOnly: true, variants: ['hs256'] },
  { id: 'cc-hs256', kind: 'cc', title: 'client_credentials, JWT HS256', variants: ['hs256'], ceiling: 'bare-form', needs: ['clientCredentials'] },
  { id: 'cc-es256', kind: 'cc', title: 'client_credentials, JWT ES256', variants: ['es256'], ceiling: 'bare-form', needs: ['clientCredentials'] },
  { id: 'cc-opaque', kind: 'cc', title: 'client_credentials, opaque token', variants: ['opaque'], ceiling: 'bare-form', needs: ['clientCredentials'] },
  { id: 'bare-get', kind: 'bare-get', title: 'Ceiling: bare Express GET', ceilingOnly: true, variants: ['hs256'] },
  { id: 'bearer-hs256', kind: 'bearer', title: 'Bearer-protected GET, JWT HS256', variants: ['hs256'], ceiling: 'bare-get', needs: ['bearer'] },
  { id: 'bearer-opaque', kind: 'bearer', title: 'Bearer-protected GET, opaque token (store lookup)', variants: ['opaque'], ceiling: 'bare-get', needs: ['bearer'] },
  { id: 'refresh', kind: 'refresh', title: 'refresh_token with rotation', variants: ['hs256', 'opaque'], ceiling: 'bare-form', needs: ['refresh'] },
  { id: 'code', kind: 'code', title: 'authorization_code redemption', variants: ['hs256', 'opaque'], ceiling: 'bare-form', needs: ['code'] },
  { id: 'password', kind: 'password', title: 'password grant (bcrypt cost 10)', variants: ['hs256', 'opaque'], ceiling: 'bare-form', needs: ['password'] },
  {
    id: 'password-mixed',
    kind: 'mixed',
    title: 'Bearer GET while password grants run',
    variants: ['hs256', 'opaque'],
    ceiling: 'bare-get',
    needs: ['bearer', 'password'],
  },
];

/** Seconds a cell may take at most (the up-front estimate): the code scenario's fixed redemptions, down to 500/s. */
function scenarioSeconds(scenario, settings) {
  if (scenario.kind === 'code') return (settings.warmup + settings.duration) * (settings.codesPerSecond / 500);
  return settings.warmup + settings.duration * (scenario.kind === 'mixed' ? 2 : 1);
}

module.exports = { CODES_PER_SECOND, SCENARIOS, runners, scenarioSeconds };
