/**
 * A browser reduced to what the login and consent flow needs, for HTTP-level tests: `fetch`
 * with a cookie jar and redirects left to the test (each hop is asserted).
 *
 * The jar keys cookies by name only. That is what a browser does here: every server of these
 * tests listens on 127.0.0.1, and cookies do not depend on the port (RFC 6265 §8.5).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hop {
  status: number;
  /** The `Location` header, as sent (may be relative). */
  location: string | undefined;
  headers: Headers;
  /** The raw Set-Cookie headers of this response. */
  setCookies: string[];
  body: string;
}

export class HttpBrowser {
  private readonly jar = new Map<string, string>();

  /** GET `url`, or POST `form` to it as application/x-www-form-urlencoded. */
  async go(url: string, form?: Record<string, string>): Promise<Hop> {
    const headers: Record<string, string> = {};
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.cookie = cookie;
    const init: RequestInit = { method: form ? 'POST' : 'GET', headers, redirect: 'manual' };
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, init);
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // Express's clearCookie sends an empty value that expired in 1970.
      if (value === '' || /;\s*max-age=0\b/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return {
      status: res.status,
      location: res.headers.get('location') ?? undefined,
      headers: res.headers,
      setCookies,
      body: await res.text(),
    };
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }
}

/** The value of the hidden (or any) form field `name` in a page. */
export function formField(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match) throw new Error(`no field ${name} in:\n${page}`);
  return match[1] as string;
}

/**
 * Listens on an ephemeral 127.0.0.1 port first and builds the app once the URL is known (so that
 * an issuer or redirect URI can name the real port).
 */
export async function listen(
  build: (origin: string) => RequestListener,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', build(origin));
  return {
    origin,
    close: async () => {
      server.closeAllConnections(); // fetch and browsers keep connections alive
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
