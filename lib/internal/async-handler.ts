import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Adapts an async step to Express's callback style. Express 5 forwards rejected promises by
 * itself but Express 4 does not, and we support both: without this, a rejected store call on
 * Express 4 would leave the request hanging.
 */
export function asyncHandler(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // A step that answered ends the chain: continuing would hand a finished response to the
    // host's later middleware (its 404 handler, say), which would try to answer again.
    fn(req, res).then(() => {
      if (!res.headersSent) next();
    }, next);
  };
}
