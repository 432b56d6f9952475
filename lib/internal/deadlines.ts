/**
 * Deadlines for many short operations with one timer per duration, instead of a setTimeout and
 * a clearTimeout per operation (what every store call paid: ~1% of a token request's CPU, and
 * four promises).
 *
 * Every operation of one duration gets its deadline in start order, so a Set (which iterates
 * in insertion order) is a queue sorted by deadline: the timer only ever needs the first live
 * entry. A settled operation leaves the set; when the timer fires it rejects the expired
 * entries at the front and re-arms for the next one. Under load that is about one timer per
 * duration, whatever the request rate.
 *
 * The timer is unref'd: it never keeps a process alive on its own (the operation's own I/O
 * does, and so does the HTTP server). `performance.now()` is monotonic and left alone by
 * tests that fake `Date`.
 */
interface Entry {
  deadline: number;
  expire: () => void;
}

interface Queue {
  entries: Set<Entry>;
  timer: NodeJS.Timeout | undefined;
}

const queues = new Map<number, Queue>();

/**
 * Calls `expire` once `ms` milliseconds have passed, unless the returned `cancel` ran first.
 * @internal
 */
export function addDeadline(ms: number, expire: () => void): () => void {
  let queue = queues.get(ms);
  if (!queue) {
    queue = { entries: new Set(), timer: undefined };
    queues.set(ms, queue);
  }
  const entry: Entry = { deadline: performance.now() + ms, expire };
  queue.entries.add(entry);
  if (queue.timer === undefined) arm(queue, ms);
  const entries = queue.entries;
  return () => {
    entries.delete(entry);
  };
}

function arm(queue: Queue, ms: number): void {
  queue.timer = setTimeout(() => sweep(queue), ms);
  queue.timer.unref();
}

function sweep(queue: Queue): void {
  queue.timer = undefined;
  const now = performance.now();
  for (const entry of queue.entries) {
    if (entry.deadline > now) {
      arm(queue, Math.max(1, Math.ceil(entry.deadline - now)));
      return;
    }
    queue.entries.delete(entry);
    entry.expire();
  }
}
