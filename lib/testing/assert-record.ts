import assert from 'node:assert/strict';

/**
 * Deep equality where Dates compare by instant (a database driver's Dates may come from
 * another realm) and must really be Dates, and where absent optional fields must be absent
 * (not `null`, not `undefined` keys).
 */
export function assertRecord(actual: unknown, expected: object): void {
  assert.ok(actual, 'record found');
  const normalize = (value: unknown): unknown => {
    if (Object.prototype.toString.call(value) === '[object Date]') return { date: (value as Date).getTime() };
    if (Array.isArray(value)) return value.map(normalize);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, normalize(v)]));
    }
    return value;
  };
  for (const [key, value] of Object.entries(actual as object)) {
    assert.notEqual(value, null, `${key} must be absent rather than null`);
  }
  assert.deepEqual(normalize(actual), normalize(expected));
}
