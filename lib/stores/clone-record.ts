/**
 * Copies a flat record: Dates, arrays and nested plain objects (a `rateLimit` rule) are
 * copied, so nothing stored can be mutated from outside, and `undefined` fields are dropped.
 * Not structuredClone: its Dates belong to Node's main realm, so under a test runner's VM
 * context `value instanceof Date` would be false for records we hand back.
 */
export function cloneRecord<T extends object>(record: T): T {
  const copy: Record<string, unknown> = {};
  // Object.keys, not Object.entries: one array per copy instead of one per field as well
  // (every token saved to and read from the memory store is copied).
  const source = record as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    if (value instanceof Date) copy[key] = new Date(value.getTime());
    else if (Array.isArray(value)) copy[key] = [...value];
    else if (typeof value === 'object' && value !== null) copy[key] = { ...value };
    else copy[key] = value;
  }
  return copy as T;
}
