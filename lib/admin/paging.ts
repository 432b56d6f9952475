import type { Request } from 'express';
import { printable } from '../router/read-params';
import type { ClientListQuery } from '../stores/types';
import { AdminApiError } from './admin-response';

/** Page size when `limit` is not given, and the largest one allowed. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/**
 * The paging parameters of a list request: `limit` (1 to 100, default 50), `after` (the
 * `next_cursor` of the previous page) and the filters named in `filters`. Read from the raw
 * query string (Express 4 and 5 parse `req.query` differently); a parameter given twice, an
 * unknown one or a bad value is a 400.
 */
export function readPageQuery(req: Request, filters: readonly string[] = []): ClientListQuery {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  const known = ['limit', 'after', ...filters];
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) throw new AdminApiError(400, 'invalid_request', `Unknown query parameter '${printable(name)}' (known: ${known.join(', ')})`);
    if (query.getAll(name).length > 1) throw new AdminApiError(400, 'invalid_request', `Query parameter '${name}' is given more than once`);
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!/^\d{1,3}$/.test(limitText ?? '50') || limit < 1 || limit > MAX_LIMIT) {
    throw new AdminApiError(400, 'invalid_request', `limit: must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  const result: ClientListQuery = { limit };
  const after = query.get('after');
  if (after !== null) result.after = decodeCursor(after);
  for (const filter of filters) {
    const value = query.get(filter);
    if (value !== null) (result as unknown as Record<string, string>)[filter] = value;
  }
  return result;
}

/**
 * One page from `limit + 1` records fetched: the first `limit`, and a cursor when there is
 * more. The cursor is the last id, base64url-encoded: opaque to clients, so its form may
 * change without breaking them.
 */
export function toPage<T extends { id: string }>(records: T[], limit: number): { items: T[]; nextCursor?: string } {
  if (records.length <= limit) return { items: records };
  const items = records.slice(0, limit);
  return { items, nextCursor: Buffer.from((items[limit - 1] as T).id, 'utf8').toString('base64url') };
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // Buffer decoding never fails; a cursor is ours only if it encodes back to itself.
  if (id.length === 0 || Buffer.from(id, 'utf8').toString('base64url') !== cursor) {
    throw new AdminApiError(400, 'invalid_request', "after: must be the 'next_cursor' of a previous page");
  }
  return id;
}
