/**
 * Timers that fire only when a test moves time forward, for the webhook pipeline's unit tests:
 * batch windows, vacate delays, backoff and attempt timeouts without a single real wait.
 */
import type { Cancel, Timers } from '../../src/webhooks/timers.js';

interface Pending {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export class ManualTimers implements Timers {
  #now: number;
  #order = 0;
  readonly #pending = new Set<Pending>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, run: () => void): Cancel {
    const timer: Pending = { at: this.#now + ms, order: this.#order++, run };
    this.#pending.add(timer);
    return () => this.#pending.delete(timer);
  }

  /** Timers not yet fired or cancelled. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Moves time forward by `ms`, firing each due timer at its own time, in order. After each one
   * the promise callbacks it caused are let run, so a timer that a settled request schedules in
   * turn fires within the same advance when it is due.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await settle();
      const next = [...this.#pending]
        .filter((timer) => timer.at <= until)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (next === undefined) break;
      this.#pending.delete(next);
      this.#now = next.at;
      next.run();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets pending promise callbacks (and what they chain) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
