'use strict';
// Starts one bench server as its own process, waits for its READY line, and stops it.
// Every child is tracked so that the harness can stop all of them on any exit.
const { spawn } = require('node:child_process');
const { createWriteStream, mkdirSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');

const SERVERS_DIR = path.join(__dirname, '..', 'servers');
const live = new Set();

/** A free TCP port on 127.0.0.1 (the kernel picks it; the server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `bench/servers/<name>.js` with PORT and BENCH_VARIANT. Resolves to
 * `{ status: 'ready', info, port, pid, stop }`, `{ status: 'unsupported', reason }` (exit 3),
 * or rejects when the server fails to start (its stderr goes to `logFile`).
 */
async function startServer(name, variant, { logDir, timeoutMs = 60_000, env = {} }) {
  const port = await freePort();
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}-${variant}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  log.on('error', () => {}); // a log that cannot be written must not end the run
  const note = (text) => {
    if (!log.writableEnded) log.write(text);
  };
  log.write(`--- ${new Date().toISOString()} start ${name} ${variant} port ${port}\n`);
  const child = spawn(process.execPath, [path.join(SERVERS_DIR, `${name}.js`)], {
    env: { ...process.env, ...env, PORT: String(port), BENCH_VARIANT: variant, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => {
    live.delete(child);
    log.end();
  });

  const first = new Promise((resolve) => {
    const lines = readline.createInterface({ input: child.stdout });
    let answered = false;
    lines.on('line', (line) => {
      if (answered) return note(`[stdout] ${line}\n`);
      if (line.startsWith('READY ') || line.startsWith('UNSUPPORTED')) {
        answered = true;
        resolve(line);
      } else {
        note(`[stdout] ${line}\n`);
      }
    });
  });
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('TIMEOUT'), timeoutMs);
  });
  const outcome = await Promise.race([first, exited.then((e) => ({ exit: e })), timeout]);
  clearTimeout(timer);

  const stop = () => stopChild(child, exited);
  if (typeof outcome === 'string' && outcome.startsWith('UNSUPPORTED')) {
    await exited;
    return { status: 'unsupported', reason: outcome.slice('UNSUPPORTED'.length).trim() || 'unsupported' };
  }
  if (typeof outcome === 'string' && outcome.startsWith('READY ')) {
    let info;
    try {
      info = JSON.parse(outcome.slice('READY '.length));
    } catch {
      await stop();
      throw new Error(`${name}: READY line is not JSON (see ${logFile})`);
    }
    return { status: 'ready', info, port, pid: child.pid, stop, exited, logFile };
  }
  await stop();
  const why = outcome === 'TIMEOUT' ? `no READY line within ${timeoutMs / 1000} s` : `exited (${outcome.exit.code ?? outcome.exit.signal}) before READY`;
  throw new Error(`${name} (${variant}): ${why}; see ${path.relative(process.cwd(), logFile)}`);
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
async function stopChild(child, exited, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer;
  const forced = new Promise((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, forced.then(() => exited)]);
  clearTimeout(timer);
}

/** Kills every server still running (synchronous: usable from an 'exit' handler). */
function killAll() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

module.exports = { startServer, killAll };
