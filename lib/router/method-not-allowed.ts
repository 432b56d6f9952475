import type { RequestHandler } from 'express';
import { setOutcome } from '../metrics/outcome';
import { setNoStore } from './error-handler';

/** 405 with `Allow: POST` and a JSON body, for the POST-only endpoints. */
export function methodNotAllowed(description: string): RequestHandler {
  return (req, res) => {
    setOutcome(req, 'invalid_request');
    setNoStore(res);
    res.statusCode = 405;
    res.setHeader('Allow', 'POST');
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
  };
}
