/**
 * Numbers for values that repeat across many stored records (client ids, user ids, realms,
 * scopes, redirect URIs), so a record keeps a small number instead of its own copy. Counted
 * references: a value no record uses any more is forgotten, so values that do not repeat
 * (a loopback redirect URI with a new port each time) cannot grow the table without bound.
 */
export class Interner<T> {
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly values: T[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];

  /**
   * The number for `key` (its value made by `make(key)` on first use), with one more
   * reference. `make` takes the key, so callers pass a function made once, not a closure per call.
   */
  ref(key: string, make: (key: string) => T): number {
    const known = this.ids.get(key);
    if (known !== undefined) {
      this.refs[known] = (this.refs[known] as number) + 1;
      return known;
    }
    const value = make(key); // first: if it throws, nothing is half registered
    const id = this.free.pop() ?? this.values.length;
    this.ids.set(key, id);
    this.keys[id] = key;
    this.values[id] = value;
    this.refs[id] = 1;
    return id;
  }

  value(id: number): T {
    return this.values[id] as T;
  }

  /** Drops one reference; the value is forgotten with the last. */
  release(id: number): void {
    const left = (this.refs[id] as number) - 1;
    this.refs[id] = left;
    if (left > 0) return;
    this.ids.delete(this.keys[id] as string);
    this.keys[id] = '';
    this.values[id] = undefined as T;
    this.free.push(id);
  }

  /** How many distinct values are held (for tests). */
  get size(): number {
    return this.ids.size;
  }
}
