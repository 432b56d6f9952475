/**
 * Store-call time limits (lib/stores/time-limit.ts over lib/internal/deadlines.ts): a call not
 * settled after `ms` is rejected with TemporarilyUnavailableError (503), never earlier; a call
 * that settles in time keeps its value or error; one shared timer serves every pending call.
 * The memory stores' own methods, which settle before any timer could fire, get no deadline.
 */
import { TemporarilyUnavailableError } from '../../lib/errors';
import { addDeadline } from '../../lib/internal/deadlines';
import { createMemoryStores } from '../../lib/stores/memory';
import { limitStoreCalls, withTimeout } from '../../lib/stores/time-limit';

// Counted, not replaced: every deadline still works (the module's exports cannot be spied on).
jest.mock('../../lib/internal/deadlines', () => {
  const actual = jest.requireActual<typeof import('../../lib/internal/deadlines')>('../../lib/internal/deadlines');
  return { ...actual, addDeadline: jest.fn(actual.addDeadline) };
});
const armed = addDeadline as jest.MockedFunction<typeof addDeadline>;

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

describe('limitStoreCalls and the memory stores', () => {
  beforeEach(() => armed.mockClear());

  const seeded = () =>
    createMemoryStores({ clients: [{ id: 'app', secret: 'app-secret-0123456789', grants: ['client_credentials'] }] });

  it("sets no deadline on the memory stores' own methods, and passes their results through", async () => {
    const stores = limitStoreCalls(seeded(), 50);
    const client = await stores.clients.findById('app');
    expect(client?.id).toBe('app');
    await expect(stores.users.findByUsername('nobody', {})).resolves.toBeUndefined();
    await expect(stores.tokens.findAccessToken('missing')).resolves.toBeUndefined();
    expect(armed).not.toHaveBeenCalled();
  });

  it('still bounds a memory store method replaced on the instance (a spy, a stalled stand-in)', async () => {
    const raw = seeded();
    raw.clients.findById = () => never();
    const stores = limitStoreCalls(raw, 30);
    await expect(stores.clients.findById('app')).rejects.toBeInstanceOf(TemporarilyUnavailableError);
  });

  it('still bounds an override in a subclass of a memory store', async () => {
    const raw = seeded();
    // What `class Stalling extends MemoryTokenStore { findAccessToken() {...} }` builds: an override above the memory store's prototype.
    const overriding = Object.assign(Object.create(Object.getPrototypeOf(raw.tokens) as object), { findAccessToken: () => never() });
    const subclassed = Object.create(overriding) as typeof raw.tokens;
    const stores = limitStoreCalls({ ...raw, tokens: subclassed }, 30);
    await expect(stores.tokens.findAccessToken('x')).rejects.toBeInstanceOf(TemporarilyUnavailableError);
  });

  it('sets a deadline on every call of any other store', async () => {
    const raw = seeded();
    const clients = { findById: async (id: string) => raw.clients.findById(id) };
    const stores = limitStoreCalls({ ...raw, clients }, 50);
    expect((await stores.clients.findById('app'))?.id).toBe('app');
    expect(armed).toHaveBeenCalledTimes(1);
  });
});
