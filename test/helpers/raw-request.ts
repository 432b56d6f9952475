import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/**
 * Sends exactly the given headers and bytes (supertest adds a Content-Type to string bodies
 * and serialises Buffers for form types, which hides what a raw client can send).
 */
export async function rawPost(
  app: Express,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    server.close();
  }
}
