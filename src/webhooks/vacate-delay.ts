/**
 * The vacate delay of PROTOCOL.md §6.2, for one app: `channel_vacated` and `member_removed` are
 * held for `delayMs`; if the channel is occupied again (or the same user re-added) within it, the
 * held removal and the new arrival cancel each other and neither is sent. A page reload or a
 * reconnect after a network blip therefore sends no webhook at all.
 */
import type { WebhookEvent } from './events.js';
import type { Cancel, Timers } from './timers.js';

type Held = { readonly event: WebhookEvent; readonly cancel: Cancel };

export class VacateDelay {
  readonly #delayMs: number;
  readonly #timers: Timers;
  readonly #emit: (event: WebhookEvent) => void;
  /** Held removals by channel (vacated) or channel and user (member removed), oldest first. */
  readonly #held = new Map<string, Held>();

  /**
   * @param delayMs how long a removal is held, in ms; 0 passes everything straight through.
   * @param emit receives every event that is to be sent, in the order it is decided.
   */
  constructor(delayMs: number, timers: Timers, emit: (event: WebhookEvent) => void) {
    this.#delayMs = delayMs;
    this.#timers = timers;
    this.#emit = emit;
  }

  occupied(channel: string): void {
    this.#arrive(channelKey(channel), { name: 'channel_occupied', channel });
  }

  vacated(channel: string): void {
    this.#hold(channelKey(channel), { name: 'channel_vacated', channel });
  }

  memberAdded(channel: string, userId: string): void {
    this.#arrive(memberKey(channel, userId), { name: 'member_added', channel, user_id: userId });
  }

  memberRemoved(channel: string, userId: string): void {
    this.#hold(memberKey(channel, userId), { name: 'member_removed', channel, user_id: userId });
  }

  /** Removals currently held. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Sends every held removal now, oldest first. For a graceful stop: nobody can come back to
   * this server any more, so the receiver must learn the channels are empty.
   */
  release(): void {
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const { event, cancel } of held) {
      cancel();
      this.#emit(event);
    }
  }

  /** Forgets held removals without sending them. */
  stop(): void {
    for (const { cancel } of this.#held.values()) cancel();
    this.#held.clear();
  }

  #arrive(key: string, event: WebhookEvent): void {
    const held = this.#held.get(key);
    if (held === undefined) {
      this.#emit(event);
      return;
    }
    held.cancel();
    this.#held.delete(key);
  }

  #hold(key: string, event: WebhookEvent): void {
    if (this.#delayMs === 0) {
      this.#emit(event);
      return;
    }
    // The core reports a removal once per arrival, so a second one for the same key cannot
    // happen; if it ever did, the newer one restarts the delay rather than being sent twice.
    this.#held.get(key)?.cancel();
    const cancel = this.#timers.after(this.#delayMs, () => {
      this.#held.delete(key);
      this.#emit(event);
    });
    this.#held.delete(key);
    this.#held.set(key, { event, cancel });
  }
}

// Channel names cannot contain NUL (§3.1), so the keys cannot collide.
const channelKey = (channel: string) => `c\u0000${channel}`;
const memberKey = (channel: string, userId: string) => `m\u0000${channel}\u0000${userId}`;
