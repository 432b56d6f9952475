import workerThreads from 'node:worker_threads';

/** A bcrypt task as the library posts it to a password worker thread. */
export type BcryptTask = { op: 'compare'; password: string; hash: string } | { op: 'hash'; password: string; cost: number };

/**
 * Records the bcrypt work the library hands to its worker threads (bcrypt never runs on the
 * main thread, so a spy on bcryptjs there would see nothing). Call `restore()` when done.
 */
export function watchBcryptTasks(): { tasks: () => BcryptTask[]; restore: () => void } {
  const spy = jest.spyOn(workerThreads.Worker.prototype, 'postMessage');
  return {
    tasks: () => spy.mock.calls.map(([message]) => message as BcryptTask).filter((m) => m.op === 'compare' || m.op === 'hash'),
    restore: () => spy.mockRestore(),
  };
}

/** How many bcrypt comparisons were handed to the worker threads since `watchBcryptTasks()`. */
export function bcryptCompares(watch: { tasks: () => BcryptTask[] }): number {
  return watch.tasks().filter((t) => t.op === 'compare').length;
}

/** Records every worker thread started (they are real threads). Call `restore()` when done. */
export function recordThreads(): { started: workerThreads.Worker[]; restore: () => void } {
  const RealWorker = workerThreads.Worker;
  const started: workerThreads.Worker[] = [];
  const spy = jest.spyOn(workerThreads, 'Worker').mockImplementation((...args: ConstructorParameters<typeof RealWorker>) => {
    const worker = new RealWorker(...args);
    started.push(worker);
    return worker;
  });
  return { started, restore: () => spy.mockRestore() };
}
