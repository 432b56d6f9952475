import type { ClientRecord } from '../stores/types';

/**
 * Whether `uri` is one of the client's registered redirect URIs: an exact string match
 * (RFC 9700 §4.1.3), except that for an http loopback URI the port may differ, because native
 * apps listen on whatever port is free (RFC 8252 §7.3). Nothing else is normalised: no case
 * folding, no trailing-slash or default-port equivalence, no prefix or wildcard matching.
 */
export function isRegisteredRedirectUri(client: ClientRecord, uri: string): boolean {
  const registered = client.redirectUris ?? [];
  if (registered.includes(uri)) return true;
  const candidate = withoutLoopbackPort(uri);
  return candidate !== undefined && registered.some((r) => withoutLoopbackPort(r) === candidate);
}

/** The URI with its port removed if it is an http loopback URI; otherwise `undefined`. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = /^http:\/\/(127(?:\.\d{1,3}){3}|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/.exec(uri);
  if (!match) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}

/** RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component." */
export function hasFragment(uri: string): boolean {
  return uri.includes('#');
}
