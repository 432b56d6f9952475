import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
import type { OAuth2Server } from 'oauth2orize';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import type { GrantType } from '../stores/types';
import { setNoStore } from './error-handler';
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
}

/**
 * `POST {basePath}/token` (RFC 6749 §3.2), as a list of small named steps:
 * no-store headers, body, client authentication, grant-type policy, oauth2orize's exchange,
 * our error handler. Any other method is 405 with `Allow: POST`.
 */
export function mountTokenEndpoint(router: Router, deps: TokenEndpointDeps): void {
  const noStore: RequestHandler = (_req, res, next) => {
    setNoStore(res);
    next();
  };
  const parseBody = asyncHandler(async (req) => {
    req.body = await readParams(req);
  });
  const authenticateClient = asyncHandler(async (req, res) => {
    (req as unknown as Record<string, unknown>)[deps.clientProperty] = await deps.authenticateClient(req, res);
    // oauth2orize hands req.authInfo to every exchange: the caller's address, for events.
    (req as unknown as { authInfo: AuthInfo }).authInfo = { ip: req.ip };
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
    noStore,
    parseBody,
    authenticateClient,
    checkGrantType,
    deps.oauth2.token() as unknown as RequestHandler,
    deps.errorHandler,
  );
  router.all(deps.path, methodNotAllowed('The token endpoint accepts POST only'));
}
