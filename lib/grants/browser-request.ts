import type { InteractionRecord } from '../stores/types';
import type { AuthorizeRequest } from '../router/authorize-request';

/** Who is authorizing: the signed-in user, as the browser flow knows them. */
export interface Principal {
  id: string;
  realm?: string;
  /** What the consent page shows: the username, or the id for host-authenticated users. */
  name: string;
}

/**
 * oauth2orize's parsed request (`areq`), with our validated request under `eop` (added by a
 * request parser registered for every response type) and, for requests that were stored, the
 * interaction record they came from.
 */
export interface BrowserRequest {
  type: string;
  clientID: string;
  redirectURI: string;
  scope?: string[];
  state?: string;
  /** The address of the browser that made the decision (for events). */
  ip?: string;
  eop: AuthorizeRequest & { interaction?: InteractionRecord };
}
