/**
 * The hash indexes of the memory store's `MemberTable` (docs/adr/0019-memory-store-off-heap.md):
 * slot numbers in an `Int32Array`, outside the JavaScript heap like the slots themselves. The
 * table compares keys itself (they live in its slots), so probing for a key is its loop; this
 * class adds, removes, finds the entry of a known slot, and grows.
 */

/** An entry never used: a probe for a key stops here. */
export const EMPTY = -1;
/** An entry whose slot was removed: a probe goes on past it. */
export const TOMBSTONE = -2;

/** FNV-1a over UTF-16 code units. */
export function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** An open-addressing table of slot numbers (linear probing; EMPTY and TOMBSTONE entries). */
export class SlotIndex {
  entries = new Int32Array(1024).fill(EMPTY);
  /** Live entries. */
  live = 0;
  /** Live entries and tombstones: what makes probe sequences long. */
  used = 0;

  /** Whether one more entry needs a `rebuild` first (it would fill over half the table). */
  get full(): boolean {
    return (this.used + 1) * 2 > this.entries.length;
  }

  /** Rebuilt from the live entries: twice the size if they fill over a quarter, else the same size without tombstones. */
  rebuild(slots: Iterable<[hash: number, slot: number]>): void {
    const capacity = (this.live + 1) * 4 > this.entries.length ? this.entries.length * 2 : this.entries.length;
    this.entries = new Int32Array(capacity).fill(EMPTY);
    this.live = 0;
    this.used = 0;
    for (const [hash, slot] of slots) this.add(hash, slot);
  }

  /** Adds an entry; the caller has rebuilt the table if it was `full`. */
  add(hash: number, slot: number): void {
    const mask = this.entries.length - 1;
    let i = hash & mask;
    while (this.entries[i] !== EMPTY && this.entries[i] !== TOMBSTONE) i = (i + 1) & mask;
    if (this.entries[i] === EMPTY) this.used++;
    this.entries[i] = slot;
    this.live++;
  }

  /** The position of the entry holding `slot`, which must be in the table under `hash`. */
  positionOf(hash: number, slot: number): number {
    const mask = this.entries.length - 1;
    let i = hash & mask;
    while (this.entries[i] !== slot) i = (i + 1) & mask;
    return i;
  }

  remove(position: number): void {
    this.entries[position] = TOMBSTONE;
    this.live--;
  }
}
