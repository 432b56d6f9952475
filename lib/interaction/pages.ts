import type { Request, Response } from 'express';
import { html, sendPage } from './html';

/** What the login page needs; also what a `renderLoginPage` hook receives. */
export interface LoginPage {
  /** Where the form POSTs (`{basePath}/login`). */
  action: string;
  /** Hidden field `transaction_id`. */
  transactionId: string;
  /** Hidden field `csrf_token`. */
  csrfToken: string;
  /** The client's display name (its `name`, or its id). */
  clientName: string;
  /** Realms to choose from (field `realm`), when the server lists several. */
  realms: { id: string; label: string }[];
  /** The username to prefill after a failed attempt. */
  username?: string;
  /** A message for the user after a failed attempt. */
  error?: string;
  /** Origins the browser may be redirected to after the form is sent (for CSP `form-action`). */
  formTargets: string[];
}

/** What the consent page needs; also what a `renderConsentPage` hook receives. */
export interface ConsentPage {
  /** Where the form POSTs (`{basePath}/authorize/decision`), with `decision=allow` or `decision=deny`. */
  action: string;
  transactionId: string;
  csrfToken: string;
  clientName: string;
  /** The signed-in user's username, from the UserStore. */
  userName: string;
  /** The requested scopes, each with the description configured for it, if any. */
  scopes: { name: string; description?: string }[];
  formTargets: string[];
}

/** Replaces the built-in login page: render and send the response with `res`. */
export type RenderLoginPage = (page: LoginPage, req: Request, res: Response) => void | Promise<void>;
/** Replaces the built-in consent page: render and send the response with `res`. */
export type RenderConsentPage = (page: ConsentPage, req: Request, res: Response) => void | Promise<void>;

function hidden(page: { transactionId: string; csrfToken: string }) {
  return html`<input type="hidden" name="transaction_id" value="${page.transactionId}">
<input type="hidden" name="csrf_token" value="${page.csrfToken}">`;
}

export function renderLogin(res: Response, page: LoginPage, status: number, css?: string): void {
  const realmField =
    page.realms.length > 1
      ? html`<label for="eop-realm">Account type</label>
<select id="eop-realm" name="realm">${page.realms.map((r) => html`<option value="${r.id}">${r.label}</option>`)}</select>`
      : page.realms.length === 1
        ? html`<input type="hidden" name="realm" value="${page.realms[0]?.id}">`
        : '';
  const body = html`<h1>Sign in</h1>
<p>to continue to <strong>${page.clientName}</strong></p>
${page.error ? html`<p class="eop-error" role="alert">${page.error}</p>` : ''}
<form method="post" action="${page.action}">
${hidden(page)}
<label for="eop-username">Username</label>
<input id="eop-username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${page.username ?? ''}">
<label for="eop-password">Password</label>
<input id="eop-password" name="password" type="password" autocomplete="current-password" required>
${realmField}
<div class="eop-actions"><button type="submit" class="eop-primary">Sign in</button></div>
</form>`;
  sendPage(res, status, { title: 'Sign in', body, css, formTargets: page.formTargets });
}

export function renderConsent(res: Response, page: ConsentPage, css?: string): void {
  const body = html`<h1>Allow ${page.clientName} to access your account?</h1>
<p>Signed in as <strong>${page.userName}</strong></p>
${
  page.scopes.length > 0
    ? html`<p>${page.clientName} is asking for:</p>
<ul>${page.scopes.map((s) => html`<li><strong>${s.name}</strong>${s.description ? html`: ${s.description}` : ''}</li>`)}</ul>`
    : html`<p>${page.clientName} is asking to know who you are.</p>`
}
<form method="post" action="${page.action}">
${hidden(page)}
<div class="eop-actions">
<button type="submit" name="decision" value="allow" class="eop-primary">Allow</button>
<button type="submit" name="decision" value="deny" class="eop-secondary">Deny</button>
</div>
</form>`;
  sendPage(res, 200, { title: `Allow ${page.clientName}?`, body, css, formTargets: page.formTargets });
}

/** The page for errors that must not be redirected (unknown client, bad redirect_uri, ...). */
export function renderError(res: Response, status: number, code: string, description: string, css?: string): void {
  const body = html`<h1>This request cannot be completed</h1>
<p class="eop-error" role="alert">${description}</p>
<p>Error code: <code>${code}</code>. Return to the application you came from and try again.</p>`;
  sendPage(res, status, { title: 'Request error', body, css });
}
