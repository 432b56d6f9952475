'use strict';
// One load phase: autocannon in this process against a server child, with every response
// checked. A phase is valid only if each response passed its check and autocannon saw no
// connection error, timeout or non-2xx status.
const autocannon = require('autocannon');

/**
 * Runs `request` (an autocannon request: method, path, headers, body, optional
 * setupRequest(req) and `state`, see scenarios.js) for `duration` seconds over `connections`
 * connections, or, when `amount` is given, for exactly `amount` requests however long they
 * take (the rate is then answers over the time they took). `check(status, body, state)`
 * returns undefined for a good response or a short description of what is wrong; it may also
 * chain state for the connection's next request.
 * A `warmup` phase need not get any answer, but every answer it gets must be good.
 */
function runLoad({ port, connections, duration, amount, request, check, warmup = false }) {
  const tally = { ok: 0, bad: 0, problems: {} };
  // autocannon notices the end of an `amount` run only at its next one-second tick, and
  // reports that as the duration: the time to the last answer is ours to measure.
  let lastAnswer = 0;
  const spec = {
    ...request,
    // Called with `this` = the connection's own copy of the request (autocannon deep-clones
    // the options per connection), so `this.state` is per-connection state.
    onResponse(status, body) {
      lastAnswer = performance.now();
      const problem = check(status, body, this.state);
      if (problem === undefined) {
        tally.ok++;
      } else {
        tally.bad++;
        // Only the status and our description: a 200 body would hold a live token.
        const key = `${status}: ${problem}`;
        tally.problems[key] = (tally.problems[key] ?? 0) + 1;
      }
    },
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections, ...(amount ? { amount } : { duration }), pipelining: 1, timeout: 10, requests: [spec] },
      (err, result) => {
        if (err) return reject(err);
        const seconds = amount && lastAnswer > started ? (lastAnswer - started) / 1000 : result.duration;
        resolve(summarise(result, tally, warmup, seconds));
      },
    );
  });
}

function summarise(result, tally, warmup, seconds) {
  const problems = Object.entries(tally.problems).map(([k, n]) => `${n} x ${k}`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  if (result.non2xx > 0 && tally.bad === 0) problems.push(`${result.non2xx} non-2xx responses`);
  // A short warm-up may see no answer to slow requests (password grants on a busy machine).
  if (tally.ok === 0 && !warmup) problems.push('no successful response');
  return {
    valid: problems.length === 0,
    problems,
    ok: tally.ok,
    bad: tally.bad,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    seconds,
    rps: tally.ok / seconds,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  };
}

module.exports = { runLoad };
