import { Worker } from 'node:worker_threads';

/** The queue of a pool is full: the caller should answer "try again later". */
export class PoolBusyError extends Error {
  constructor() {
    super('every worker is busy and the queue is full');
    this.name = 'PoolBusyError';
  }
}

/** The worker running a task died (crashed, or was terminated) before answering. */
export class WorkerDiedError extends Error {
  constructor(cause: unknown) {
    super('the worker thread died before answering', { cause });
    this.name = 'WorkerDiedError';
  }
}

export interface WorkerPoolOptions {
  /**
   * The worker's code: a CommonJS script run with `eval: true`. It answers each message with
   * exactly one `{ ok: true, value }` or `{ ok: false }`. Inline source works the same from the
   * built package and from TypeScript under a test runner, where a worker file would not exist.
   */
  source: string;
  /** Handed to every worker as `workerData`. */
  workerData?: unknown;
  /** The most threads running at once. */
  size: number;
  /** The most tasks waiting for a thread; one more is refused with `PoolBusyError`. */
  queueLimit: number;
  /** A thread idle this long is ended (it is started again when needed). @defaultValue 30000 */
  idleMs?: number;
}

interface Task {
  message: unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
  idleTimer?: NodeJS.Timeout;
  /** Why it died, if it did (the 'error' event comes before 'exit'). */
  error?: unknown;
}

/**
 * A small pool of worker threads for CPU-bound work that must not run on the event loop.
 *
 * - Threads start on demand, never at construction: a server that never needs one pays nothing.
 * - An idle thread is `unref()`ed, so it never keeps the host process alive; a busy one is
 *   `ref()`ed, so a script awaiting a result is not cut short.
 * - The queue is bounded: past `queueLimit` waiting tasks, `run()` rejects with
 *   `PoolBusyError` at once instead of letting waits (and memory) grow without limit.
 * - A thread that dies fails its task with `WorkerDiedError` (nothing hangs), is forgotten,
 *   and a new one starts for the tasks still queued.
 */
export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Task[] = [];
  private readonly idleMs: number;

  constructor(private readonly options: WorkerPoolOptions) {
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Runs one task on a thread; resolves with the worker's `value`. */
  run(message: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const task: Task = { message, resolve, reject };
      const idle = this.idleSlot();
      if (idle) return this.dispatch(idle, task);
      if (this.slots.size < this.options.size) return this.dispatch(this.start(), task);
      if (this.queue.length >= this.options.queueLimit) return reject(new PoolBusyError());
      this.queue.push(task);
    });
  }

  /** Tasks waiting for a thread (not counting those running). */
  get queued(): number {
    return this.queue.length;
  }

  /** Ends every thread; running and queued tasks fail with `WorkerDiedError`. */
  async close(): Promise<void> {
    const queued = this.queue.splice(0);
    for (const task of queued) task.reject(new WorkerDiedError(new Error('the pool was closed')));
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (!slot.task) return slot;
    return undefined;
  }

  private start(): Slot {
    const worker = new Worker(this.options.source, { eval: true, workerData: this.options.workerData });
    const slot: Slot = { worker };
    this.slots.add(slot);
    worker.on('message', (reply: { ok: boolean; value?: unknown }) => this.answer(slot, reply));
    // Without an 'error' listener a worker's uncaught exception would be rethrown here, on the
    // main thread, and bring the host process down.
    worker.on('error', (err) => {
      slot.error = err;
    });
    worker.on('exit', (code) => this.died(slot, code));
    return slot;
  }

  private dispatch(slot: Slot, task: Task): void {
    clearTimeout(slot.idleTimer);
    slot.task = task;
    slot.worker.ref();
    slot.worker.postMessage(task.message);
  }

  private answer(slot: Slot, reply: { ok: boolean; value?: unknown }): void {
    const task = slot.task;
    slot.task = undefined;
    const next = this.queue.shift();
    if (next) this.dispatch(slot, next);
    else this.rest(slot);
    if (!task) return;
    if (reply.ok) task.resolve(reply.value);
    else task.reject(new Error('the worker could not complete the task'));
  }

  private rest(slot: Slot): void {
    slot.worker.unref();
    slot.idleTimer = setTimeout(() => {
      this.slots.delete(slot);
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idleTimer.unref();
  }

  private died(slot: Slot, code: number): void {
    clearTimeout(slot.idleTimer);
    if (!this.slots.delete(slot)) return; // ended on purpose (idle)
    slot.task?.reject(new WorkerDiedError(slot.error ?? new Error(`the worker exited with code ${code}`)));
    slot.task = undefined;
    const next = this.queue.shift();
    if (next) this.dispatch(this.start(), next);
  }
}
