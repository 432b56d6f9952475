import net from 'node:net';

/**
 * - `pass`: bytes flow both ways, as if the proxy were not there.
 * - `down`: every open connection is destroyed and new ones are destroyed as they arrive
 *   (the database crashed or the network dropped).
 * - `stall`: connections are accepted but nothing is forwarded either way (a partition, or a
 *   database that stopped answering). Like TCP, nothing is lost: what was held is delivered
 *   when the proxy goes back to `pass`.
 */
export type ProxyMode = 'pass' | 'down' | 'stall';

/** Which way a byte pattern travels: queries go to the server, results to the client. */
export type Direction = 'toServer' | 'toClient';

export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  setMode(mode: ProxyMode): void;
  /**
   * Goes `down` the moment a chunk travelling `direction` contains `pattern` (that chunk is
   * not forwarded). One shot; resolves when it fires. Lets a test cut the connection at an
   * exact statement: before the database sees a query, or after it ran but before its result
   * reaches the application.
   */
  downWhen(direction: Direction, pattern: string): Promise<void>;
  /** The same, but goes `stall` (the matching chunk is held, and delivered on `pass`). */
  stallWhen(direction: Direction, pattern: string): Promise<void>;
  /** Forgets triggers that have not fired. */
  clearTriggers(): void;
  /** Connections currently open through the proxy (held ones included). */
  readonly openConnections: number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
  held: { toServer: Buffer[]; toClient: Buffer[] };
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<Pair>();
  const triggers: { direction: Direction; pattern: Buffer; mode: 'down' | 'stall'; fire: () => void }[] = [];
  const tails: WeakMap<Pair, Record<Direction, Buffer>> = new WeakMap();

  const destroy = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    upstream.on('data', (chunk: Buffer) => relay(pair, 'toClient', chunk));
  };

  /** Forwards a chunk, holds it while stalled, or cuts everything if a trigger matches. */
  const relay = (pair: Pair, direction: Direction, chunk: Buffer) => {
    if (mode === 'down') return destroy(pair);
    // A pattern may straddle two chunks: look at the end of the previous one too.
    const tail = tails.get(pair) ?? { toServer: Buffer.alloc(0), toClient: Buffer.alloc(0) };
    const seen = Buffer.concat([tail[direction], chunk]);
    tail[direction] = seen.subarray(Math.max(0, seen.length - 256));
    tails.set(pair, tail);
    const hit = triggers.findIndex((t) => t.direction === direction && seen.includes(t.pattern));
    if (hit >= 0) {
      const [trigger] = triggers.splice(hit, 1);
      if (!trigger) return;
      setMode(trigger.mode);
      trigger.fire();
      if (trigger.mode === 'down') return;
    }
    if (mode === 'stall') {
      pair.held[direction].push(chunk);
      return;
    }
    const to = direction === 'toServer' ? pair.upstream : pair.client;
    to?.write(chunk);
  };

  const setMode = (next: ProxyMode) => {
    mode = next;
    if (next === 'down') {
      for (const pair of [...pairs]) destroy(pair);
    } else if (next === 'pass') {
      for (const pair of [...pairs]) {
        // Accepted while stalled: connect now; the client is still waiting for the server.
        if (!pair.upstream) connectUpstream(pair);
        const { toServer, toClient } = pair.held;
        pair.held = { toServer: [], toClient: [] };
        for (const chunk of toServer) pair.upstream?.write(chunk);
        for (const chunk of toClient) pair.client.write(chunk);
      }
    }
  };

  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, held: { toServer: [], toClient: [] } };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    client.on('data', (chunk: Buffer) => relay(pair, 'toServer', chunk));
    if (mode === 'pass') connectUpstream(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get mode() {
      return mode;
    },
    setMode,
    downWhen(direction, pattern) {
      return new Promise<void>((fire) => {
        triggers.push({ direction, pattern: Buffer.from(pattern, 'utf8'), mode: 'down', fire });
      });
    },
    stallWhen(direction, pattern) {
      return new Promise<void>((fire) => {
        triggers.push({ direction, pattern: Buffer.from(pattern, 'utf8'), mode: 'stall', fire });
      });
    },
    clearTriggers() {
      triggers.length = 0;
    },
    get openConnections() {
      return pairs.size;
    },
    close() {
      triggers.length = 0;
      for (const pair of [...pairs]) destroy(pair);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
