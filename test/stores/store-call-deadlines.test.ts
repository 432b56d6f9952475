/**
 * Store-call time limits (lib/stores/time-limit.ts over lib/internal/deadlines.ts): a call not
 * settled after `ms` is rejected with TemporarilyUnavailableError (503), never earlier; a call
 * that settles in time keeps its value or error; one shared timer serves every pending call.
 */
import { TemporarilyUnavailableError } from '../../lib/errors';
import { addDeadline } from '../../lib/internal/deadlines';
import { withTimeout } from '../../lib/stores/time-limit';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('passes through the value of a call that settles in time', async () => {
    await expect(withTimeout(Promise.resolve(42), 50, 'findById')).resolves.toBe(42);
  });

  it('passes through the error of a call that fails in time, unchanged', async () => {
    const boom = new Error('boom');
    await expect(withTimeout(Promise.reject(boom), 50, 'findById')).rejects.toBe(boom);
  });

  it('rejects a call still pending after ms with TemporarilyUnavailableError, not before', async () => {
    const started = performance.now();
    const outcome = await withTimeout(never(), 40, 'findById').catch((err: unknown) => err);
    const waited = performance.now() - started;
    expect(outcome).toBeInstanceOf(TemporarilyUnavailableError);
    expect((outcome as TemporarilyUnavailableError).status).toBe(503);
    expect(waited).toBeGreaterThanOrEqual(39);
    expect(waited).toBeLessThan(1000);
  });

  it('times out each of several calls started at different times at its own deadline', async () => {
    const started = performance.now();
    const times: number[] = [];
    const watch = (p: Promise<unknown>) => p.catch(() => times.push(performance.now() - started));
    const first = watch(withTimeout(never(), 60, 'a'));
    await sleep(30);
    const second = watch(withTimeout(never(), 60, 'b'));
    // Settles in time although the others, started earlier and later, time out.
    await expect(withTimeout(sleep(10).then(() => 'ok'), 60, 'c')).resolves.toBe('ok');
    await Promise.all([first, second]);
    expect(times).toHaveLength(2);
    expect(times[0]).toBeGreaterThanOrEqual(59);
    expect(times[1]).toBeGreaterThanOrEqual(89);
    expect(times[1] as number).toBeLessThan(1000);
  });

  it('ignores a call that settles after it timed out', async () => {
    let settle: (v: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => {
      settle = resolve;
    });
    const outcome = withTimeout(late, 20, 'save').catch((err: unknown) => err);
    await sleep(40);
    settle('too late');
    expect(await outcome).toBeInstanceOf(TemporarilyUnavailableError);
  });
});

describe('addDeadline', () => {
  it('does not expire an entry cancelled in time', async () => {
    const expired = jest.fn();
    const cancel = addDeadline(20, expired);
    cancel();
    await sleep(50);
    expect(expired).not.toHaveBeenCalled();
  });

  it('expires entries of different durations independently', async () => {
    const order: string[] = [];
    addDeadline(60, () => order.push('60'));
    addDeadline(20, () => order.push('20'));
    await sleep(100);
    expect(order).toEqual(['20', '60']);
  });

  it('arms one timer for many pending entries of one duration', async () => {
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      const cancels = Array.from({ length: 100 }, () => addDeadline(5000, () => undefined));
      const armed = spy.mock.calls.filter(([, ms]) => ms === 5000).length;
      expect(armed).toBeLessThanOrEqual(1);
      for (const cancel of cancels) cancel();
    } finally {
      spy.mockRestore();
    }
  });
});
