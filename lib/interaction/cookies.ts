import type { Request, Response } from 'express';

/** Reads one cookie from the request header (no cookie-parser needed on the host). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Appends a Set-Cookie: HttpOnly (no script reads it), SameSite=Lax (sent on the top-level
 * navigation from the client back to us, never on cross-site POSTs), Secure on https.
 */
export function setCookie(res: Response, name: string, value: string, options: { path: string; maxAge: number; secure: boolean }): void {
  const cookie = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
  const existing = res.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}
