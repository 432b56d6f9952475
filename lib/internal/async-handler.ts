import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Adapts an async step to Express's callback style. Express 5 forwards rejected promises by
 * itself but Express 4 does not, and we support both: without this, a rejected store call on
 * Express 4 would leave the request hanging.
 */
export function asyncHandler(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).then(() => next(), next);
  };
}
