/**
 * The vacate delay of PROTOCOL.md §6.2, for one app: `channel_vacated` and `member_removed` are
 * held for `delayMs`; if the channel is occupied again (or the same user re-added) within it, the
 * held removal and the new arrival cancel each other and neither is sent. A page reload or a
 * reconnect after a network blip therefore sends no webhook at all.
 *
 * On a cluster the return may land on another node. The stores hold each vacancy too, in the
 * step that decides it (see `ChannelIndex`): an arrival that took a vacancy back comes `resumed`
 * and is not sent, wherever the removal is held, and the holder claims its removal from the
 * store when the delay is over, sending it only if nobody took it back meanwhile.
 */
import type { WebhookEvent } from './events.js';
import type { Cancel, Timers } from './timers.js';

type Held = { readonly event: WebhookEvent; readonly cancel: Cancel };

/** Asks the store whether a held removal still stands (true: send it). */
export type ClaimRemoval = (event: WebhookEvent) => Promise<boolean>;

/** Without a store that holds vacancies, every removal whose delay ran out stands. */
const stands: ClaimRemoval = () => Promise.resolve(true);

export class VacateDelay {
  readonly #delayMs: number;
  readonly #timers: Timers;
  readonly #emit: (event: WebhookEvent) => void;
  readonly #claim: ClaimRemoval;
  readonly #onError: (error: unknown) => void;
  /** Held removals by channel (vacated) or channel and user (member removed), oldest first. */
  readonly #held = new Map<string, Held>();
  /**
   * Sends wait behind claims in flight, so events leave in the order they were decided: a
   * vacancy claimed just before the channel was occupied again goes out before the occupation.
   */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  /**
   * @param delayMs how long a removal is held, in ms; 0 passes everything straight through.
   * @param emit receives every event that is to be sent, in the order it is decided.
   * @param claim asks the store whether a removal still stands once its delay is over; when
   *   asking fails the removal is sent (a receiver may hear of it twice, never not at all).
   * @param onError hears a failed claim or a throwing `emit` on the delayed path.
   */
  constructor(
    delayMs: number,
    timers: Timers,
    emit: (event: WebhookEvent) => void,
    claim: ClaimRemoval = stands,
    onError: (error: unknown) => void = () => {},
  ) {
    this.#delayMs = delayMs;
    this.#timers = timers;
    this.#emit = emit;
    this.#claim = claim;
    this.#onError = onError;
  }

  /** @param resumed the occupation took back a vacancy the store still held (see above). */
  occupied(channel: string, resumed = false): void {
    this.#arrive(channelKey(channel), { name: 'channel_occupied', channel }, resumed);
  }

  vacated(channel: string): void {
    this.#hold(channelKey(channel), { name: 'channel_vacated', channel });
  }

  /** @param resumed the join took back a removal the store still held. */
  memberAdded(channel: string, userId: string, resumed = false): void {
    const event: WebhookEvent = { name: 'member_added', channel, user_id: userId };
    this.#arrive(memberKey(channel, userId), event, resumed);
  }

  memberRemoved(channel: string, userId: string): void {
    this.#hold(memberKey(channel, userId), { name: 'member_removed', channel, user_id: userId });
  }

  /** Removals currently held. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Sends every held removal that still stands now, oldest first, and resolves once all are
   * passed on. For a graceful stop: nobody can come back to this server any more, so the
   * receiver must learn the channels are empty, unless they were taken back on another node.
   */
  release(): Promise<void> {
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const { event, cancel } of held) {
      cancel();
      this.#claimThenSend(event);
    }
    return this.#queue;
  }

  /** Forgets held removals without sending them. */
  stop(): void {
    for (const { cancel } of this.#held.values()) cancel();
    this.#held.clear();
  }

  #arrive(key: string, event: WebhookEvent, resumed: boolean): void {
    const held = this.#held.get(key);
    if (held !== undefined) {
      held.cancel();
      this.#held.delete(key);
      return;
    }
    // Taken back from a removal held on another node: that node will not send it.
    if (resumed) return;
    this.#send(event);
  }

  #hold(key: string, event: WebhookEvent): void {
    if (this.#delayMs === 0) {
      this.#send(event);
      return;
    }
    // The core reports a removal once per arrival, so a second one for the same key cannot
    // happen; if it ever did, the newer one restarts the delay rather than being sent twice.
    this.#held.get(key)?.cancel();
    const cancel = this.#timers.after(this.#delayMs, () => {
      this.#held.delete(key);
      this.#claimThenSend(event);
    });
    this.#held.delete(key);
    this.#held.set(key, { event, cancel });
  }

  #send(event: WebhookEvent): void {
    if (this.#queued === 0) this.#emit(event);
    else this.#enqueue(Promise.resolve(true), event);
  }

  #claimThenSend(event: WebhookEvent): void {
    const claimed = this.#claim(event).catch((error: unknown) => {
      this.#onError(error);
      return true;
    });
    this.#enqueue(claimed, event);
  }

  /** Appends a send to the queue; the queue itself never rejects. */
  #enqueue(standing: Promise<boolean>, event: WebhookEvent): void {
    this.#queued += 1;
    this.#queue = Promise.all([standing, this.#queue]).then(([send]) => {
      this.#queued -= 1;
      if (!send) return;
      try {
        this.#emit(event);
      } catch (error) {
        this.#onError(error);
      }
    });
  }
}

// Channel names cannot contain NUL (§3.1), so the keys cannot collide.
const channelKey = (channel: string) => `c\u0000${channel}`;
const memberKey = (channel: string, userId: string) => `m\u0000${channel}\u0000${userId}`;
