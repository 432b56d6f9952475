import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
import type { OAuth2Server } from 'oauth2orize';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import type { GrantType } from '../stores/types';
import type { RateLimits } from '../rate-limit/rate-limits';
import { methodNotAllowed } from './method-not-allowed';
import { readParams } from './read-params';
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
 * `POST {basePath}/token` (RFC 6749 §3.2), as a list of small named steps:
 * the IP rate limit, the request (body, client authentication, the client's rate limit),
 * grant-type policy, oauth2orize's exchange, our error handler. Any other method is 405 with `Allow: POST`.
 *
 * `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1, §5.2) are written by
 * oauth2orize's exchanges on success and by our error handler on every error, so no step of
 * its own sets them first. Body, client authentication and client limit are one async step:
 * each route step costs a dispatch and a promise on every token request
 * (docs/adr/0016-hot-path-costs.md).
 */
export function mountTokenEndpoint(router: Router, deps: TokenEndpointDeps): void {
  const readRequest = asyncHandler(async (req, res) => {
    req.body = await readParams(req);
    const client = await deps.authenticateClient(req, res);
    (req as unknown as Record<string, unknown>)[deps.clientProperty] = client;
    // oauth2orize hands req.authInfo to every exchange: the caller's address, for events, and
    // the username budget, which the password grant consults before it runs bcrypt.
    const authInfo: AuthInfo = {
      // A getter: req.ip runs proxy-addr, and only events read it.
      get ip() {
        return req.ip;
      },
      checkPassword: (username, realm) => deps.limits.password(req, res, { username, realm, clientId: client.id, endpoint: 'token' }),
    };
    (req as unknown as { authInfo: AuthInfo }).authInfo = authInfo;
    await deps.limits.client(req, res, client, 'token');
  });
  const checkGrantType: RequestHandler = (req, _res, next) => {
    const grantType = (req.body as Record<string, string>).grant_type;
    const client = (req as unknown as Record<string, { grants: string[] }>)[deps.clientProperty];
    if (grantType === undefined) return next(new InvalidRequestError('Missing required parameter: grant_type'));
    if (!TOKEN_GRANTS.has(grantType)) {
      return next(new UnsupportedGrantTypeError('The grant type is not supported by this server'));
    }
    if (!client?.grants.includes(grantType)) {
      return next(new UnauthorizedClientError(`The client may not use the ${grantType} grant`));
    }
    next();
  };

  router.post(
    deps.path,
    deps.limits.ip('token'),
    readRequest,
    checkGrantType,
    deps.oauth2.token() as unknown as RequestHandler,
    deps.errorHandler,
  );
  router.all(deps.path, methodNotAllowed('The token endpoint accepts POST only'));
}
