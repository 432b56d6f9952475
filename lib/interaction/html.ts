import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template whose interpolations are escaped, unless they are `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const part = Array.isArray(value) ? value.map(render).join('') : render(value);
    out += part + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * The headers every page carries: no caching (the pages hold one-time tokens), no framing
 * (clickjacking on an Allow button is the classic consent attack), no referrer (the URL holds
 * the transaction id), and a CSP that allows only our own nonce'd styles and forms posting to
 * us or redirecting to the client's registered origin.
 */
export function setPageHeaders(res: Response, nonce: string, formTargets: readonly string[]): void {
  const formAction = ["'self'", ...new Set(formTargets)].join(' ');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Sends a complete page with its headers. */
export function sendPage(
  res: Response,
  status: number,
  page: { title: string; body: SafeHtml; css?: string; formTargets?: readonly string[] },
): void {
  const nonce = newNonce();
  setPageHeaders(res, nonce, page.formTargets ?? []);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(layout(page.title, page.body, nonce, page.css).value);
}

const BASE_CSS = `
:root { --eop-bg: #f5f5f7; --eop-card: #fff; --eop-text: #1d1d1f; --eop-muted: #5f6368; --eop-accent: #0b57d0;
  --eop-accent-text: #fff; --eop-error: #b3261e; --eop-radius: 10px; --eop-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--eop-bg); color: var(--eop-text); font: 16px/1.5 var(--eop-font); }
main { width: min(26rem, 100% - 2rem); background: var(--eop-card); border-radius: var(--eop-radius); padding: 2rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
h1 { font-size: 1.375rem; margin: 0 0 0.5rem; }
p { margin: 0 0 1rem; color: var(--eop-muted); }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input, select { width: 100%; padding: 0.625rem; font: inherit; border: 1px solid #9aa0a6; border-radius: 6px; }
button { font: inherit; padding: 0.625rem 1.25rem; border-radius: 6px; border: 1px solid var(--eop-accent); cursor: pointer; }
button.eop-primary { background: var(--eop-accent); color: var(--eop-accent-text); }
button.eop-secondary { background: transparent; color: var(--eop-accent); }
:focus-visible { outline: 3px solid var(--eop-accent); outline-offset: 2px; }
.eop-actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
.eop-error { color: var(--eop-error); font-weight: 600; }
ul { padding-left: 1.25rem; margin: 0 0 1rem; }
`;

function layout(title: string, body: SafeHtml, nonce: string, css = ''): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style nonce="${nonce}">${new SafeHtml(BASE_CSS + sanitizeCss(css))}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The host's CSS goes inside our style element: no "<", so it cannot close the element. */
function sanitizeCss(css: string): string {
  return css.replace(/</g, '\\3C ');
}
