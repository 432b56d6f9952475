import type { ErrorRequestHandler, Request, RequestHandler, Response, Router } from 'express';
import type { OAuth2Server } from 'oauth2orize';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError, type OAuthError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../errors';
import type { ClientRecord, GrantType } from '../stores/types';
import type { RateLimits } from '../rate-limit/rate-limits';
import { type DirectRoute, runSteps } from './direct-route';
import { methodNotAllowed } from './method-not-allowed';
import { type Params, readParams } from './read-params';
import type { AuthInfo } from '../grants/grant-context';

/** The grant types the token endpoint knows (the others are not exchanged there). */
const TOKEN_GRANTS: ReadonlySet<string> = new Set<GrantType>(['authorization_code', 'client_credentials', 'password', 'refresh_token']);

export interface TokenEndpointDeps {
  path: string;
  oauth2: OAuth2Server;
  authenticateClient: ClientAuthenticator;
  clientProperty: string;
  errorHandler: ErrorRequestHandler;
  limits: RateLimits;
}

/**
 * `POST {basePath}/token` (RFC 6749 §3.2): the IP rate limit, then one step made of small named
 * parts (read the request: body, client authentication, the client's rate limit; check the
 * grant type against the client; oauth2orize's exchange), then our error handler. Any other
 * method is 405 with `Allow: POST`. Returns the same steps as a direct route, for requests to
 * exactly this path (lib/router/direct-route.ts).
 *
 * Why one step and a stand-in request (docs/adr/0016-hot-path-costs.md): every route step costs
 * a dispatch and a promise, and every property added to the host's request costs a few
 * microseconds (V8 builds a new hidden class for each request object Express hands us). So
 * oauth2orize's exchange gets a plain object holding only what it reads (`body`, the client
 * under `clientProperty`, `authInfo`); the host's request gets only `req.body`, as before.
 * `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1, §5.2) are written by
 * oauth2orize's exchanges on success and by our error handler on every error.
 */
export function mountTokenEndpoint(router: Router, deps: TokenEndpointDeps): DirectRoute {
  const exchange = deps.oauth2.token() as unknown as RequestHandler;

  const readRequest = async (req: Request, res: Response): Promise<ExchangeRequest> => {
    const body = await readParams(req);
    req.body = body;
    const client = await deps.authenticateClient(req);
    await deps.limits.client(req, res, client, 'token');
    return { body, client, authInfo: new TokenAuthInfo(req, res, client, deps.limits) };
  };

  const checkGrantType = (body: Params, client: ClientRecord): OAuthError | undefined => {
    const grantType = body.grant_type;
    if (grantType === undefined) return new InvalidRequestError('Missing required parameter: grant_type');
    if (!TOKEN_GRANTS.has(grantType)) return new UnsupportedGrantTypeError('The grant type is not supported by this server');
    if (!(client.grants as readonly string[]).includes(grantType)) return new UnauthorizedClientError(`The client may not use the ${grantType} grant`);
    return undefined;
  };

  const issueTokens: RequestHandler = (req, res, next) => {
    readRequest(req, res).then(({ body, client, authInfo }) => {
      // A limiter that answered by itself ends the chain.
      if (res.headersSent) return;
      const refusal = checkGrantType(body, client);
      if (refusal) return next(refusal);
      try {
        exchange({ body, [deps.clientProperty]: client, authInfo } as unknown as Request, res, next);
      } catch (err) {
        next(err);
      }
    }, next);
  };

  const steps = [...deps.limits.ip('token'), issueTokens];
  const notAllowed = methodNotAllowed('The token endpoint accepts POST only');
  router.post(deps.path, ...steps, deps.errorHandler);
  router.all(deps.path, notAllowed);
  return { method: 'POST', path: deps.path, handle: runSteps(steps, deps.errorHandler, notAllowed) };
}

interface ExchangeRequest {
  body: Params;
  client: ClientRecord;
  authInfo: AuthInfo;
}

/**
 * What oauth2orize hands to every exchange as `authInfo`: the caller's address, for events, and
 * the username budget, which the password grant consults before it runs bcrypt. A class, not
 * an object literal with a getter: those are slow to create, and this is made per request.
 */
class TokenAuthInfo implements AuthInfo {
  constructor(
    private readonly req: Request,
    private readonly res: Response,
    private readonly client: ClientRecord,
    private readonly limits: RateLimits,
  ) {}

  /** A getter: `req.ip` runs proxy-addr, and only events read it. */
  get ip(): string | undefined {
    return this.req.ip;
  }

  checkPassword(username: string, realm: string | undefined) {
    return this.limits.password(this.req, this.res, { username, realm, clientId: this.client.id, endpoint: 'token' });
  }
}
