import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import express from 'express';
import { createMemoryStores, createOAuthServer, hashPassword, type OAuthServerOptions } from '../../lib';
import { codeRequest, WEB, WEB_CB } from '../helpers/authorize-fixtures';
import { Browser, formFields } from '../helpers/browser-flow';
import { ISSUER, JWT_SECRET } from '../helpers/fixtures';
import { recordThreads, watchBcryptTasks } from '../helpers/worker-threads';

// Password checks (bcryptjs, ~80 ms of CPU at cost 10) run in worker threads, so the event
// loop keeps serving other requests meanwhile (docs/password-hashing.md, docs/adr/0014).

const CLIENT = { id: 'app', secret: 'app-secret-0123456789abcdef' };
const ALICE = { username: 'alice', password: 'alice-password' };
/** Hashed at cost 12 (4x the default): her check keeps a worker busy long enough to test a full queue. */
const SLOW = { username: 'slow', password: 'slow-password' };
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
let aliceHash: string; // cost 10, the hashPassword default: a realistic check
let slowHash: string;

beforeAll(async () => {
  [aliceHash, slowHash] = await Promise.all([hashPassword(ALICE.password), hashPassword(SLOW.password, 12)]);
}, 30_000);

/** A server on a real port (so the client shares nothing with it but the event loop). */
function seed() {
  return createMemoryStores({
    clients: [
      { ...CLIENT, grants: ['password', 'client_credentials'], scopes: ['read'], defaultScopes: ['read'] },
      { ...WEB, grants: ['authorization_code'], redirectUris: [WEB_CB], scopes: ['read'], defaultScopes: ['read'] },
    ],
    users: [
      { id: 'user-alice', username: ALICE.username, passwordHash: aliceHash },
      { id: 'user-slow', username: SLOW.username, passwordHash: slowHash },
    ],
  });
}

async function serve(options: Partial<OAuthServerOptions> = {}) {
  const stores = seed();
  const logged: unknown[] = [];
  const logger = { warn: (obj: object) => logged.push(obj), error: (obj: object) => logged.push(obj) };
  const oauth = createOAuthServer({ issuer: ISSUER, stores, signing: { secret: JWT_SECRET }, logger, ...options });
  const app = express().use(oauth.router);
  app.get('/api', oauth.requireToken(), (_req, res) => res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (body: Record<string, string>) =>
    fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
  const passwordGrant = (password = ALICE.password, username = ALICE.username) => post({ grant_type: 'password', username, password });
  const close = () => new Promise((resolve) => server.close(resolve));
  return { app, url, post, passwordGrant, close, logged, stores };
}

type Served = Awaited<ReturnType<typeof serve>>;

async function answer(res: Response) {
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after'), cacheControl: res.headers.get('cache-control') };
}

/**
 * Runs 8 password grants at once and, until they are all answered, one bearer-protected GET
 * after another. Returns the GETs' count and latencies (ms) and the event loop's delay meanwhile.
 */
async function duringEightPasswordGrants(served: Served) {
  const token = ((await (await served.post({ grant_type: 'client_credentials' })).json()) as { access_token: string }).access_token;
  expect((await served.passwordGrant()).status).toBe(200); // warm: the worker is started, bcryptjs loaded
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let done = false;
  const grants = Promise.all(Array.from({ length: 8 }, () => served.passwordGrant().then((res) => res.status))).finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  while (!done) {
    const start = performance.now();
    const res = await fetch(`${served.url}/api`, { headers: { authorization: `Bearer ${token}` } });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { ok: true } });
    latencies.push(performance.now() - start);
  }
  delay.disable();
  expect(await grants).toEqual(Array(8).fill(200));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return { count: latencies.length, p50: at(0.5), p90: at(0.9), delayP90Ms: delay.percentile(90) / 1e6 };
}

describe('password checks run in worker threads, off the event loop', () => {
  it('answers bearer requests promptly while 8 password grants run (control: bcrypt on the main thread stalls them)', async () => {
    const pooled = await serve({ passwordWorkers: 1 });
    const inline = await serve({ passwordWorkers: 0 });
    try {
      const withWorkers = await duringEightPasswordGrants(pooled);
      const onMainThread = await duringEightPasswordGrants(inline);
      // The control proves the measurement can fail: bcryptjs on the main thread blocks the loop
      // up to 100 ms per slice, and a request waits for the slices of every pending check.
      expect(onMainThread.delayP90Ms).toBeGreaterThan(50);
      // With the workers the loop stays free: many more requests served, each much faster.
      // (Ratios, not absolute times: the machine running the tests may be loaded.)
      expect(withWorkers.count).toBeGreaterThan(onMainThread.count * 5);
      expect(withWorkers.p90).toBeLessThan(onMainThread.p50 / 3);
      expect(withWorkers.delayP90Ms).toBeLessThan(onMainThread.delayP90Ms / 3);
    } finally {
      await pooled.close();
      await inline.close();
    }
  }, 60_000);

  it('refuses a check past the queue limit with 503 temporarily_unavailable and Retry-After, and logs no password', async () => {
    const served = await serve({ passwordWorkers: 1, passwordQueueLimit: 1 });
    const bcryptTasks = watchBcryptTasks();
    try {
      // The slow check occupies the one worker; of the next two, one waits and one is refused.
      const slow = served.passwordGrant(SLOW.password, SLOW.username);
      while (bcryptTasks.tasks().length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      const answers = await Promise.all([served.passwordGrant(), served.passwordGrant()].map((p) => p.then(answer)));
      expect((await slow).status).toBe(200);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 503]);
      expect(answers.find((a) => a.status === 503)).toEqual({
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: 'The server is temporarily unable to handle the request' },
        retryAfter: '5',
        cacheControl: 'no-store',
      });
      expect(JSON.stringify(served.logged, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v))).toContain(
        'PoolBusyError: every worker is busy and the queue is full',
      );
      expect(JSON.stringify(served.logged)).not.toContain(ALICE.password);
      // Once the burst is over, checks are accepted again.
      expect((await served.passwordGrant()).status).toBe(200);
    } finally {
      bcryptTasks.restore();
      await served.close();
    }
  });

  it('sends the login page\'s user back to the client with temporarily_unavailable when the queue is full (RFC 6749 §4.1.2.1)', async () => {
    const served = await serve({ passwordWorkers: 1, passwordQueueLimit: 0 });
    const bcryptTasks = watchBcryptTasks();
    try {
      const browser = new Browser(served.app);
      const page = await browser.get('/oauth2/authorize', codeRequest());
      const slow = served.passwordGrant(SLOW.password, SLOW.username);
      while (bcryptTasks.tasks().length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      const refused = await browser.post('/oauth2/login', { ...formFields(page.text), ...ALICE });
      expect({ status: refused.status, location: refused.headers.location }).toEqual({
        status: 303,
        location: `${WEB_CB}?${new URLSearchParams({
          error: 'temporarily_unavailable',
          state: 'state-123',
          error_description: 'The server is temporarily unable to handle the request',
          iss: ISSUER,
        })}`,
      });
      expect(bcryptTasks.tasks()).toHaveLength(1); // the refused check never reached a worker
      expect((await slow).status).toBe(200);
    } finally {
      bcryptTasks.restore();
      await served.close();
    }
  });

  it('fails the check of a worker that dies with a generic 500 server_error, and replaces the worker', async () => {
    const { started, restore } = recordThreads();
    const served = await serve({ passwordWorkers: 1 });
    try {
      const pending = served.passwordGrant();
      while (started.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await started[0]?.terminate(); // the thread dies in the middle of the check
      expect(await answer(await pending)).toEqual({
        status: 500,
        body: { error: 'server_error', error_description: 'The server encountered an unexpected condition' },
        retryAfter: null,
        cacheControl: 'no-store',
      });
      expect(JSON.stringify(served.logged, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v))).toContain(
        'WorkerDiedError: the worker thread died before answering',
      );
      // The next check gets a new thread.
      expect((await served.passwordGrant()).status).toBe(200);
      expect(started).toHaveLength(2);
    } finally {
      restore();
      await served.close();
    }
  });

  it('gives the same answers with passwordWorkers: 0 (bcrypt on the main thread)', async () => {
    const served = await serve({ passwordWorkers: 0 });
    try {
      expect((await answer(await served.passwordGrant('wrong'))).body).toEqual({ error: 'invalid_grant', error_description: 'Invalid resource owner credentials' });
      expect((await served.passwordGrant()).status).toBe(200);
    } finally {
      await served.close();
    }
  });

  it('lets a process exit on its own once idle, and keeps it alive while a hash is pending', async () => {
    const root = path.resolve(__dirname, '../..');
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['-r', './scripts/register-ts.js', 'test/operations/fixtures/exits-on-its-own.ts'], { cwd: root, timeout: 30_000 }, (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
      );
      child.stdin?.end();
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // The hashes printed: a busy worker held the process until it answered...
    expect(stdout).toMatch(/^hash \$2b\$04\$[./A-Za-z0-9]{53}\nhash again \$2b\$04\$\npassword grant 200\n$/);
    // ... and idle workers (and the memory store's timer) did not hold it afterwards.
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 40_000);
});
