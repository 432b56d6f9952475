import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
import type { OAuth2Server } from 'oauth2orize';
import type { ClientAuthenticator } from '../client-auth/authenticate-client';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../errors';
import { asyncHandler } from '../internal/async-handler';
import type { ClientRecord, GrantType } from '../stores/types';
import type { RateLimits } from '../rate-limit/rate-limits';
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
  limits: RateLimits;
}

/**
 * `POST {basePath}/token` (RFC 6749 §3.2), as a list of small named steps:
 * the IP rate limit, no-store headers, body, client authentication, the client's rate limit,
 * grant-type policy, oauth2orize's exchange, our error handler. Any other method is 405 with `Allow: POST`.
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
    const client = await deps.authenticateClient(req, res);
    (req as unknown as Record<string, unknown>)[deps.clientProperty] = client;
    // oauth2orize hands req.authInfo to every exchange: the caller's address, for events, and
    // the username budget, which the password grant consults before it runs bcrypt.
    const authInfo: AuthInfo = {
      ip: req.ip,
      checkPassword: (username, realm) => deps.limits.password(req, res, { username, realm, clientId: client.id, endpoint: 'token' }),
    };
    (req as unknown as { authInfo: AuthInfo }).authInfo = authInfo;
  });
  const limitClient = asyncHandler(async (req, res) => {
    await deps.limits.client(req, res, (req as unknown as Record<string, ClientRecord>)[deps.clientProperty] as ClientRecord, 'token');
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
    noStore,
    parseBody,
    authenticateClient,
    limitClient,
    checkGrantType,
    deps.oauth2.token() as unknown as RequestHandler,
    deps.errorHandler,
  );
  router.all(deps.path, methodNotAllowed('The token endpoint accepts POST only'));
}
