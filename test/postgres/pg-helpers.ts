import { Pool, type PoolConfig } from 'pg';
import type { Logger } from '../../lib';
import { DATABASE_URL } from '../helpers/database';

declare const EXPECTED_EXPRESS_MAJOR: number;

/**
 * A schema name for one test file in one jest project: express5 and express4 run the same
 * file, possibly at the same time, so the file's own name is not unique enough.
 */
export function schemaName(base: string): string {
  return `${base}_express${EXPECTED_EXPRESS_MAJOR}`;
}

/** Another pool on a schema `schemaPool()` already created (it would drop it again). */
export function poolOn(schema: string, config: PoolConfig = {}): Pool {
  return new Pool({ connectionString: DATABASE_URL, max: 10, options: `-c search_path=${schema}`, ...config });
}

export interface LogEntry {
  level: 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A logger that keeps what it is given, for assertions. */
export function recordingLogger(): Logger & { entries: LogEntry[]; text(): string } {
  const entries: LogEntry[] = [];
  return {
    entries,
    warn: (obj, msg) => entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    /** Everything logged, errors expanded (message, stack, cause and every own field). */
    text: () =>
      JSON.stringify(entries, (_key, value: unknown) => (value instanceof Error ? expandError(value) : value)),
  };
}

function expandError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  for (const key of Object.getOwnPropertyNames(err)) out[key] = (err as unknown as Record<string, unknown>)[key];
  if (err.cause !== undefined) out.cause = err.cause;
  return out;
}

/** Polls `check` every 10 ms until it holds, for at most `ms`. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects if `work` has not settled after `ms`: no test step may hang. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
