import type { Request } from 'express';
import { AccessDeniedError } from '../errors';
import type { Principal } from '../grants/browser-request';
import type { ClientRecord, Stores } from '../stores/types';

/** What a host's `authenticateUser` hook returns for a signed-in user. */
export interface AuthenticatedUser {
  /** The user's id in your UserStore (it becomes the tokens' `sub`). */
  id: string;
  /** The user's realm, if your UserStore has several. */
  realm?: string;
}

/** The host hook: who is signed in on this request, according to the host's own session. */
export type AuthenticateUser = (req: Request) => AuthenticatedUser | undefined | Promise<AuthenticatedUser | undefined>;

/**
 * Turns a user id into the principal of the browser flow, checking the user store: a user
 * who is unknown there or disabled may not authorize anything (fail closed where we delegate
 * to host code).
 */
export async function loadPrincipal(stores: Stores, user: AuthenticatedUser): Promise<Principal> {
  const record = await stores.users.findById(user.id, { realm: user.realm });
  if (!record || record.disabled) throw new AccessDeniedError('The user may not sign in to this application');
  const principal: Principal = { id: record.id, name: record.username };
  if (user.realm !== undefined) principal.realm = user.realm;
  return principal;
}

/** Asks the host hook, if there is one; validates what it returns. */
export async function hostPrincipal(req: Request, stores: Stores, hook: AuthenticateUser | undefined): Promise<Principal | undefined> {
  if (!hook) return undefined;
  const user = await hook(req);
  if (user === undefined || user === null) return undefined;
  if (typeof user !== 'object' || typeof user.id !== 'string' || user.id === '') {
    throw new TypeError('authenticateUser must return { id: string, realm?: string } or undefined');
  }
  return loadPrincipal(stores, user);
}

/**
 * Whether the user need not be asked: first-party clients never ask (DESIGN.md §5), and a
 * remembered consent covering every requested scope is not asked again.
 */
export async function isPreapproved(stores: Stores, client: ClientRecord, principal: Principal, scope: string[]): Promise<boolean> {
  if (client.firstParty) return true;
  const consent = await stores.tokens.findConsent(principal.id, client.id);
  if (!consent) return false;
  const granted = new Set(consent.scope);
  return scope.every((s) => granted.has(s));
}

/** Remembers that the user allowed these scopes (added to what was allowed before). */
export async function rememberConsent(stores: Stores, client: ClientRecord, principal: Principal, scope: string[]): Promise<void> {
  const previous = await stores.tokens.findConsent(principal.id, client.id);
  const all = [...new Set([...(previous?.scope ?? []), ...scope])];
  await stores.tokens.saveConsent({ userId: principal.id, clientId: client.id, scope: all, updatedAt: new Date() });
}
