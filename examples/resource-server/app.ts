/**
 * An API that runs apart from the authorization server (another process, another host) and
 * accepts its access tokens. It shares no store and no secret with the server: it verifies
 * each JWT with the public keys the server publishes at its JWKS URL, fetched once and
 * cached. See ./README.md.
 *
 *   GET  /orders   scope `read`:  the orders of the token's user (or client, for client_credentials)
 *   POST /orders   scope `write`: adds an order { item, quantity? } for them
 *
 * Orders live in memory; a real API keeps them in its database.
 */
import express, { type ErrorRequestHandler } from 'express';
import { type AccessTokenContext, createResourceServer } from 'express-oauth2-provider';

export interface ApiOptions {
  /** The authorization server's issuer, exactly as in its tokens' `iss` (and its metadata's `issuer`). */
  issuer: string;
  /** Its JWKS URL (the metadata's `jwks_uri`), e.g. `http://localhost:3000/oauth2/jwks`. */
  jwksUri: string;
}

export interface Order {
  id: string;
  item: string;
  quantity: number;
}

export function createApiApp(options: ApiOptions) {
  // Keys are fetched from jwksUri on the first request and cached (see README.md).
  const auth = createResourceServer({ issuer: options.issuer, jwksUri: options.jwksUri });

  const orders = new Map<string, Order[]>();
  let lastId = 0;

  const app = express();

  app.get('/orders', auth.requireToken({ scope: 'read' }), (req, res) => {
    const owner = ownerOf(req.oauth as AccessTokenContext); // req.oauth: set by requireToken
    res.json({ owner, orders: orders.get(owner) ?? [] });
  });

  // The token is checked before the body is parsed: unauthenticated requests cost nothing more.
  app.post('/orders', auth.requireToken({ scope: 'write' }), express.json(), (req, res) => {
    const { item, quantity = 1 } = (req.body ?? {}) as { item?: unknown; quantity?: unknown };
    if (typeof item !== 'string' || item.trim() === '' || !Number.isInteger(quantity) || (quantity as number) < 1) {
      res
        .status(400)
        .json({
          error: 'invalid_order',
          error_description: 'Send {"item": "<name>", "quantity": <whole number >= 1>}',
        });
      return;
    }
    const owner = ownerOf(req.oauth as AccessTokenContext);
    const order: Order = { id: `order-${++lastId}`, item, quantity: quantity as number };
    orders.set(owner, [...(orders.get(owner) ?? []), order]);
    res.status(201).json({ owner, order });
  });

  // A body that is not JSON (express.json's error) gets a JSON answer, not Express's HTML page.
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'invalid_request', error_description: 'The request body must be JSON' });
      return;
    }
    next(err);
  };
  app.use(onError);

  return { app };
}

/** The user the token acts for, or the client itself for a client_credentials token. */
function ownerOf(token: AccessTokenContext): string {
  return token.userId ?? token.clientId;
}
