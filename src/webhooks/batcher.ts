/**
 * Batching for one app and URL (PROTOCOL.md §6.2): the events a URL wants, gathered for a short
 * window into one request body, in the order they happened.
 */
import type { WebhookBody, WebhookEvent, WebhookEventName } from './events.js';
import type { Cancel, Timers } from './timers.js';

export interface BatcherOptions {
  /**
   * Milliseconds a batch stays open after its first event. 0 sends every event in a request of
   * its own (Pusher's behaviour without "batch webhooks").
   */
  readonly windowMs: number;
  /** A batch holding this many events is sent at once, so a mass disconnect stays many requests. */
  readonly maxEvents: number;
  /** The event names this URL receives; undefined: all of them. */
  readonly events: ReadonlySet<WebhookEventName> | undefined;
  readonly timers: Timers;
  /** Receives each closed batch. */
  readonly onBatch: (body: WebhookBody) => void;
}

export class Batcher {
  readonly #options: BatcherOptions;
  #open: { timeMs: number; events: WebhookEvent[]; cancel: Cancel } | undefined;

  constructor(options: BatcherOptions) {
    this.#options = options;
  }

  /** Whether this URL receives events named `name` at all. */
  wants(name: WebhookEventName): boolean {
    return this.#options.events?.has(name) ?? true;
  }

  /** Adds an event the URL wants; others are ignored. */
  add(event: WebhookEvent): void {
    if (!this.wants(event.name)) return;
    const { windowMs, maxEvents, timers } = this.#options;
    if (this.#open === undefined) {
      const timeMs = timers.now();
      if (windowMs === 0) {
        this.#options.onBatch({ time_ms: timeMs, events: [event] });
        return;
      }
      this.#open = { timeMs, events: [], cancel: timers.after(windowMs, () => this.flush()) };
    }
    this.#open.events.push(event);
    if (this.#open.events.length >= maxEvents) this.flush();
  }

  /** Closes the open batch now (graceful stop, or the window ended). */
  flush(): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    open.cancel();
    this.#options.onBatch({ time_ms: open.timeMs, events: open.events });
  }

  /** Drops the open batch without sending it. */
  stop(): void {
    this.#open?.cancel();
    this.#open = undefined;
  }
}
