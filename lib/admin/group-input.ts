import { printable } from '../router/read-params';
import type { ClientGroupRecord } from '../stores/types';
import { validateClientGroupRecord } from '../stores/validate-client';
import { AdminApiError, toFieldError } from './admin-response';

const SETTABLE = ['id', 'name', 'disabled', 'rateLimit'] as const;

/** The group as the API shows it: its fields in a fixed order, nothing else a store may return. */
export function groupView(group: ClientGroupRecord): ClientGroupRecord {
  const view: Record<string, unknown> = {};
  for (const key of SETTABLE) if (group[key] !== undefined) view[key] = group[key];
  return view as unknown as ClientGroupRecord;
}

/**
 * The group a `PUT /groups/:id` body describes: the whole group (a field left out is
 * removed), under the id of the path; an `id` member, if any, must be the same.
 */
export function groupRecord(id: string, body: Record<string, unknown>): ClientGroupRecord {
  for (const key of Object.keys(body)) {
    if (!(SETTABLE as readonly string[]).includes(key)) throw new AdminApiError(400, 'invalid_request', `${printable(key)}: unknown field (known: ${SETTABLE.join(', ')})`);
  }
  if (body.id !== undefined && body.id !== id) throw new AdminApiError(400, 'invalid_request', 'id: must be the id of the path, or left out');
  const record = { ...body, id } as ClientGroupRecord;
  try {
    validateClientGroupRecord(record, 'group');
  } catch (err) {
    throw toFieldError(err, 'group', 'invalid_request');
  }
  return record;
}
