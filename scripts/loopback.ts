/**
 * What the measurement scripts share: sequential HTTP calls to a local server over one
 * keep-alive connection (so each figure is per request, not throughput), and medians.
 */
import http from 'node:http';

export type Call = (method: string, path: string, headers: Record<string, string>, body?: string) => Promise<string>;

/** A caller for `127.0.0.1:port`; `close()` drops its connection. */
export function loopbackCaller(port: number): { call: Call; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call: Call = (method, path, headers, body) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

/** The median latency (µs) of `n` sequential runs. */
export async function medianLatency(run: () => Promise<unknown>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return median(times);
}

export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}
