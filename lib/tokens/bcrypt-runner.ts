import { availableParallelism } from 'node:os';
import bcrypt from 'bcryptjs';
import { TemporarilyUnavailableError } from '../errors';
import { PoolBusyError, WorkerPool } from '../internal/worker-pool';

/** Where bcrypt runs: `compare` and `hash` with bcryptjs, the same hashes wherever it runs. */
export interface BcryptRunner {
  compare(password: string, hash: string): Promise<boolean>;
  hash(password: string, cost: number): Promise<string>;
}

/**
 * The worker's code, run with `eval`. It loads bcryptjs from the path the library itself
 * resolves, so it finds the same copy from the built package, from a consumer's
 * node_modules and from the TypeScript sources under jest, with no separate worker file to
 * ship or locate. One task at a time per thread, so the synchronous calls are the fastest.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
// Under CPU contention, requests come first: this thread lowers its own priority (nice 10).
// On Linux a thread has its own nice value and /proc/thread-self names its id; elsewhere this
// does nothing and the thread keeps the process's priority.
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) require('node:os').setPriority(tid, workerData.nice);
} catch {}
parentPort.on('message', (task) => {
  let reply;
  try {
    const value = task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
    reply = { ok: true, value };
  } catch {
    reply = { ok: false };
  }
  parentPort.postMessage(reply);
});
`;

/**
 * Threads for password checks by default: one core is left to the event loop, which is the
 * point (bcryptjs takes about 80 ms per check at cost 10, all of it CPU).
 */
export function defaultPasswordWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

/** The nice value of password threads (Linux): above the event loop's, so requests win the CPU. */
export const PASSWORD_THREAD_NICE = 10;

/** Checks that may wait for a thread, per thread, by default. */
export const QUEUE_PER_WORKER = 32;

/**
 * bcrypt in a pool of `workers` threads, at most `queueLimit` waiting; a full queue is
 * `TemporarilyUnavailableError` (503 with `Retry-After`). `workers: 0` runs bcryptjs on the
 * main thread (its async API, which still blocks the event loop for up to 100 ms at a time).
 */
export function createBcryptRunner(options: { workers: number; queueLimit: number }): BcryptRunner {
  if (options.workers === 0) {
    return { compare: (password, hash) => bcrypt.compare(password, hash), hash: (password, cost) => bcrypt.hash(password, cost) };
  }
  const pool = new WorkerPool({
    source: WORKER_SOURCE,
    workerData: { bcryptjs: require.resolve('bcryptjs'), nice: PASSWORD_THREAD_NICE },
    size: options.workers,
    queueLimit: options.queueLimit,
  });
  const run = async (task: object) => {
    try {
      return await pool.run(task);
    } catch (err) {
      throw err instanceof PoolBusyError ? new TemporarilyUnavailableError(err) : err;
    }
  };
  return {
    compare: async (password, hash) => (await run({ op: 'compare', password, hash })) === true,
    hash: async (password, cost) => String(await run({ op: 'hash', password, cost })),
  };
}
