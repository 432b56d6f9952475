import { PoolBusyError, WorkerDiedError, WorkerPool } from '../../lib/internal/worker-pool';
import { recordThreads } from '../helpers/worker-threads';

// The pool behind the password checks (lib/internal/worker-pool.ts), with small scripts of
// our own: one that echoes after a delay, and one that dies on request.
const SCRIPT = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (task) => {
  if (task === 'throw') throw new Error('uncaught in the worker');
  if (task === 'exit') process.exit(3);
  if (task === 'fail') return parentPort.postMessage({ ok: false });
  setTimeout(() => parentPort.postMessage({ ok: true, value: 'echo ' + task }), 20);
});
`;

describe('WorkerPool', () => {
  const pools: WorkerPool[] = [];
  const pool = (options: { size: number; queueLimit: number; idleMs?: number }) => {
    const p = new WorkerPool({ source: SCRIPT, ...options });
    pools.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it('starts no thread until the first task, and no more than its size', async () => {
    const threads = recordThreads();
    try {
      const p = pool({ size: 2, queueLimit: 10 });
      expect(threads.started).toHaveLength(0);
      expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((t) => p.run(t)))).toEqual(['echo a', 'echo b', 'echo c', 'echo d', 'echo e']);
      expect(threads.started).toHaveLength(2);
    } finally {
      threads.restore();
    }
  });

  it('refuses a task at once with PoolBusyError when the queue is full', async () => {
    const p = pool({ size: 1, queueLimit: 1 });
    const running = p.run('a');
    const queued = p.run('b');
    await expect(p.run('c')).rejects.toBeInstanceOf(PoolBusyError);
    expect(p.queued).toBe(1);
    expect(await Promise.all([running, queued])).toEqual(['echo a', 'echo b']);
  });

  it('fails the task of a worker that throws with WorkerDiedError (the cause kept), and the main thread lives on', async () => {
    const p = pool({ size: 1, queueLimit: 5 });
    const failure = await p.run('throw').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkerDiedError);
    expect(((failure as Error).cause as Error).message).toBe('uncaught in the worker');
    expect(await p.run('after')).toBe('echo after');
  });

  it('runs the tasks queued behind a worker that exits on a new worker', async () => {
    const threads = recordThreads();
    try {
      const p = pool({ size: 1, queueLimit: 5 });
      const results = await Promise.allSettled([p.run('exit'), p.run('x'), p.run('y')]);
      expect(results[0]).toEqual({ status: 'rejected', reason: expect.any(WorkerDiedError) });
      expect(((results[0] as PromiseRejectedResult).reason as Error).cause).toEqual(new Error('the worker exited with code 3'));
      expect(results.slice(1)).toEqual([
        { status: 'fulfilled', value: 'echo x' },
        { status: 'fulfilled', value: 'echo y' },
      ]);
      expect(threads.started).toHaveLength(2);
    } finally {
      threads.restore();
    }
  });

  it('rejects a task the worker reports as failed, without losing the worker', async () => {
    const p = pool({ size: 1, queueLimit: 5 });
    await expect(p.run('fail')).rejects.toThrow('the worker could not complete the task');
    expect(await p.run('next')).toBe('echo next');
  });

  it('ends a thread idle for idleMs, and starts a new one when needed', async () => {
    const threads = recordThreads();
    try {
      const p = pool({ size: 1, queueLimit: 5, idleMs: 50 });
      expect(await p.run('a')).toBe('echo a');
      const first = threads.started[0];
      const exited = new Promise((resolve) => first?.once('exit', resolve));
      expect(await exited).toBe(1); // terminate() ends it with exit code 1
      expect(await p.run('b')).toBe('echo b');
      expect(threads.started).toHaveLength(2);
    } finally {
      threads.restore();
    }
  });

  it('close() fails running and queued tasks instead of leaving them pending', async () => {
    const p = new WorkerPool({ source: SCRIPT, size: 1, queueLimit: 5 });
    const running = p.run('a').catch((err: unknown) => err);
    const queued = p.run('b').catch((err: unknown) => err);
    await p.close();
    expect(await running).toBeInstanceOf(WorkerDiedError);
    expect(await queued).toBeInstanceOf(WorkerDiedError);
  });
});
