import type { Request } from 'express';
import { isObject } from '../internal/validate';
import { isConsumed, mediaType, printable, readBody, topLevelKeys } from '../router/read-params';
import { AdminApiError } from './admin-response';

/**
 * Reads the JSON object body of an admin request. `415` for another media type (PATCH also
 * takes RFC 7396's `application/merge-patch+json`), `400` for no body, a body that is not
 * UTF-8 JSON, not an object, a member given twice, or over 64 KiB. A host's JSON parser may
 * have read the body already; its result is then used, with the same checks it allows.
 */
export async function readJsonObject(req: Request, types: readonly string[] = ['application/json']): Promise<Record<string, unknown>> {
  const type = mediaType(req.headers['content-type']);
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody && !isConsumed(req)) throw new AdminApiError(400, 'invalid_request', 'The request needs a JSON object body');
  if (!types.includes(type.name)) {
    drain(req);
    throw new AdminApiError(415, 'invalid_request', `Content-Type must be ${types.join(' or ')}`);
  }
  if (type.charset !== undefined && type.charset !== 'utf-8' && type.charset !== 'utf8') {
    drain(req);
    throw new AdminApiError(415, 'invalid_request', 'The request body must be UTF-8');
  }
  if (isConsumed(req)) return checkObject(req.body);
  if (req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity') {
    drain(req);
    throw new AdminApiError(415, 'invalid_request', 'Content-Encoding is not supported');
  }
  const text = await readBody(req, Number(req.headers['content-length'] ?? 0));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AdminApiError(400, 'invalid_request', 'The request body is not valid JSON');
  }
  const body = checkObject(parsed);
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw new AdminApiError(400, 'invalid_request', `The member '${printable(key)}' is given more than once`);
    seen.add(key);
  }
  return body;
}

function checkObject(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw new AdminApiError(400, 'invalid_request', 'The request body must be a JSON object');
  return value;
}

/** A refused body is read and dropped, so the connection can carry the next request. */
function drain(req: Request): void {
  if (!isConsumed(req)) req.resume();
}
