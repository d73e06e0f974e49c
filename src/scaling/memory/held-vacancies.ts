import type { Clock } from '../../core/clock.js';
import { holdTtlMs } from '../hold.js';

/** Held vacancies or removals in memory: key → when the hold is forgotten (clock ms). */
export class HeldVacancies {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #until = new Map<string, number>();
  /** Size at which expired holds are swept next, so the sweep costs O(1) per hold, amortized. */
  #sweepAt = 1024;

  /** @param holdMs the hold time in ms; 0 holds nothing. */
  constructor(holdMs: number, clock: Clock) {
    this.#ttlMs = holdTtlMs(holdMs);
    this.#clock = clock;
  }

  hold(key: string): void {
    if (this.#ttlMs === 0) return;
    const now = this.#clock.now();
    this.#until.set(key, now + this.#ttlMs);
    if (this.#until.size >= this.#sweepAt) {
      for (const [held, until] of this.#until) if (until <= now) this.#until.delete(held);
      this.#sweepAt = Math.max(1024, this.#until.size * 2);
    }
  }

  /** Removes the hold; true when it was there and not yet forgotten. */
  take(key: string): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    this.#until.delete(key);
    return until > this.#clock.now();
  }

  clear(): void {
    this.#until.clear();
  }
}
