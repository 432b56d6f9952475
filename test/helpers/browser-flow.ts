import { createHash } from 'node:crypto';
import type { Express } from 'express';
import request, { type Response, type Test } from 'supertest';

/**
 * A browser, as far as our endpoints can tell: it keeps cookies (ignoring Secure, as a browser
 * on https would send them), follows nothing by itself, and reads forms from pages.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly app: Express) {}

  get(path: string, query: Record<string, string | undefined> = {}): Promise<Response> {
    const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return this.send(request(this.app).get(path).query(q));
  }

  post(path: string, form: Record<string, string | undefined>): Promise<Response> {
    const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return this.send(request(this.app).post(path).type('form').send(body));
  }

  /** Follows a relative Location (our own continue URL). */
  follow(res: Response): Promise<Response> {
    return this.send(request(this.app).get(res.headers.location as string));
  }

  private async send(test: Test): Promise<Response> {
    if (this.cookies.size > 0) test.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await test;
    const set = res.headers['set-cookie'] as unknown as string[] | undefined;
    for (const cookie of set ?? []) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}

/** The hidden fields of the form on a page. */
export function formFields(html: string): { transaction_id: string; csrf_token: string } {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  return { transaction_id: field('transaction_id'), csrf_token: field('csrf_token') };
}

/** The query (or fragment) parameters of a redirect, as a plain object, and the URL without them. */
export function redirectParams(res: Response, part: 'query' | 'fragment' = 'query'): { base: string; params: Record<string, string> } {
  const url = new URL(res.headers.location as string);
  const params = Object.fromEntries(new URLSearchParams(part === 'query' ? url.search : url.hash.slice(1)));
  url.search = part === 'query' ? '' : url.search;
  url.hash = '';
  return { base: url.href, params };
}

export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
export const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
