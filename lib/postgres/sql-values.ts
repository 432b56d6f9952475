/** Absent optional fields are SQL NULL (never the string "undefined"). */
export function nullify(value: unknown): unknown {
  return value === undefined ? null : value;
}

/** Copies a column into a record only when it is not NULL: absent fields stay absent. */
export function set<T extends object>(target: T, key: string, value: unknown): void {
  if (value !== null && value !== undefined) (target as Record<string, unknown>)[key] = value;
}
