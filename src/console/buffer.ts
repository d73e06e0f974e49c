/**
 * One app's recent console entries: a ring of the last `limit`, so a page opened late shows
 * what happened before it, and the live listeners (open pages) told of each new one.
 */
import type { ConsoleEntry, EntrySource } from './entries.js';

export type EntryListener = (entry: ConsoleEntry) => void;

export class EntryRing {
  readonly limit: number;
  /** At most `limit` entries; `#start` is the oldest once the ring is full. */
  readonly #ring: ConsoleEntry[] = [];
  #start = 0;
  #seq = 0;
  readonly #listeners = new Set<EntryListener>();

  /** `limit`: entries kept, a positive integer. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`console rows must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** The sequence number of the latest entry (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Records `source` at `time` (ms), dropping the oldest entry when full, and tells listeners. */
  add(source: EntrySource, time: number): ConsoleEntry {
    this.#seq += 1;
    const entry: ConsoleEntry = { seq: this.#seq, time, source };
    if (this.#ring.length < this.limit) {
      this.#ring.push(entry);
    } else {
      this.#ring[this.#start] = entry;
      this.#start = (this.#start + 1) % this.limit;
    }
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  /** The kept entries after sequence number `after` (all of them for 0), oldest first. */
  since(after: number): ConsoleEntry[] {
    const all =
      this.#start === 0
        ? this.#ring
        : [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
    // Sequence numbers are consecutive, so the first one wanted is found by arithmetic.
    const oldest = all[0]?.seq ?? this.#seq + 1;
    return all.slice(Math.max(0, after + 1 - oldest));
  }

  /** Calls `listener` with every entry added from now on; returns the function that stops it. */
  listen(listener: EntryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
