import type { RequestHandler } from 'express';
import { setOutcome } from '../metrics/outcome';
import { setNoStore } from './error-handler';

/** 405 with `Allow` (`POST` unless told otherwise) and a JSON body. */
export function methodNotAllowed(description: string, allow = 'POST'): RequestHandler {
  return (req, res) => {
    setOutcome(req, 'invalid_request');
    setNoStore(res);
    res.statusCode = 405;
    res.setHeader('Allow', allow);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ error: 'invalid_request', error_description: description }));
  };
}
