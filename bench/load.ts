/**
 * The load on one set-up: triggers spread round-robin over its channels, sent one of two ways.
 *
 * - **Window** (closed loop, "as fast as deliveries keep up"): a trigger is in flight from the
 *   moment it is sent until every subscriber of its channel received it, and a new one is sent
 *   whenever fewer than `window` are in flight. The server always has work queued, and a slow
 *   server gets fewer triggers rather than an ever-growing backlog, so latency stays meaningful
 *   at full throughput.
 * - **Rate** (open loop): `perSecond` triggers a second on a clock, whatever the server does, so
 *   latency is measured at a load both servers carry, not at each one's limit.
 *
 * Completion is tracked per channel by position, not by the event's seq: the k-th frame every
 * subscriber of a channel receives is the same trigger (a server fans a trigger out to all
 * before the next one), though not always the k-th sent, since triggers race over several
 * keep-alive connections.
 */
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';
import { channelName, triggerBody } from './message.js';
import type { DeliverySink } from './ws-subscriber.js';
import type { TriggerClient } from './trigger.js';

export type Pacing =
  | { readonly kind: 'window'; readonly window: number }
  | { readonly kind: 'rate'; readonly perSecond: number };

export interface LoadOptions {
  /** Subscribers in all; subscriber i is on channel `i % channels`. */
  readonly subscribers: number;
  readonly channels: number;
  readonly pacing: Pacing;
  /** Approximate size of each event's `data`, in bytes. */
  readonly dataBytes: number;
}

/** The channel subscriber `index` of a set-up is on. */
export const channelOf = (index: number, channels: number): number => index % channels;

/** The per-trigger outstanding delivery counts of a channel; must exceed the largest window. */
const RING = 2048;
const STALL_LIMIT_S = 10;
const DRAIN_TIMEOUT_MS = 10_000;
/** The rate mode's clock tick: the due triggers of each millisecond go out together. */
const TICK_MS = 1;

/** One channel's completion ring; its subscribers' deliveries land here. */
class ChannelRing implements DeliverySink {
  readonly name: string;
  readonly #load: FanoutLoad;
  readonly #subscribers: number;
  readonly #remaining = new Int32Array(RING);
  sent = 0;
  completed = 0;

  constructor(load: FanoutLoad, name: string, subscribers: number) {
    this.#load = load;
    this.name = name;
    this.#subscribers = subscribers;
  }

  /** Claims the next position; false when the ring is full (the server fell RING behind). */
  claim(): boolean {
    if (this.sent - this.completed >= RING) return false;
    this.#remaining[this.sent++ % RING] = this.#subscribers;
    return true;
  }

  delivered(position: number, sentAt: number, receivedAt: number): void {
    const load = this.#load;
    if (load.measuring) {
      load.deliveries++;
      load.histogram.record(receivedAt - sentAt);
    }
    if (--this.#remaining[position % RING]! !== 0) return;
    this.completed++;
    load.completedOne();
  }

  fail(error: Error): void {
    this.#load.fail(error);
  }
}

export class FanoutLoad {
  readonly #options: LoadOptions;
  readonly #trigger: TriggerClient;
  readonly #channels: ChannelRing[];
  readonly histogram = new LatencyHistogram();
  measuring = false;
  deliveries = 0;
  triggers = 0;
  #seq = 0;
  #inFlight = 0;
  #completed = 0;
  #sending = false;
  #ticker: NodeJS.Timeout | undefined;
  /** The failure that ends the run; once set, every later slice fails with it. */
  #failure: Error | undefined;
  #reject: ((error: Error) => void) | undefined;
  #drained: (() => void) | undefined;

  constructor(options: LoadOptions, trigger: TriggerClient) {
    this.#options = options;
    this.#trigger = trigger;
    const { subscribers, channels } = options;
    this.#channels = Array.from({ length: channels }, (_, c) => {
      const members = Math.floor(subscribers / channels) + (c < subscribers % channels ? 1 : 0);
      return new ChannelRing(this, channelName(c, channels), members);
    });
  }

  /** Where the deliveries of subscribers on channel `index` go. */
  channel(index: number): DeliverySink {
    return this.#channels[index]!;
  }

  /** Triggers sent so far on channel `index`. */
  sentOn(index: number): number {
    return this.#channels[index]!.sent;
  }

  /** A channel's ring reports a trigger that reached every subscriber of its channel. */
  completedOne(): void {
    this.#inFlight--;
    this.#completed++;
    if (this.#sending && this.#options.pacing.kind === 'window') this.#fill();
    else if (!this.#sending && this.#inFlight === 0) this.#drained?.();
  }

  fail(error: Error): void {
    this.#failure ??= error;
    this.#stopSending();
    this.#reject?.(this.#failure);
  }

  /** Runs `body` with the load on; rejects as soon as a delivery fails or the load stalls. */
  async loaded<T>(body: () => Promise<T>): Promise<T> {
    if (this.#failure !== undefined) throw this.#failure;
    const failed = new Promise<never>((_, reject) => (this.#reject = reject));
    let last = -1;
    let stalled = 0;
    const watchdog = setInterval(() => {
      if (this.#completed !== last || this.#inFlight === 0) {
        last = this.#completed;
        stalled = 0;
      } else if (++stalled >= STALL_LIMIT_S) {
        this.fail(new Error(`no trigger completed for ${STALL_LIMIT_S} s: deliveries were lost`));
      }
    }, 1000);
    this.#sending = true;
    const { pacing } = this.#options;
    if (pacing.kind === 'window') this.#fill();
    else this.#pace(pacing.perSecond);
    try {
      return await Promise.race([failed, body().then((value) => this.#drain().then(() => value))]);
    } finally {
      this.#reject = undefined;
      this.#stopSending();
      clearInterval(watchdog);
    }
  }

  startMeasuring(): void {
    this.histogram.reset();
    this.deliveries = 0;
    this.triggers = 0;
    this.measuring = true;
  }

  stopMeasuring(): void {
    this.measuring = false;
  }

  #fill(): void {
    const { window } = this.#options.pacing as { window: number };
    while (this.#sending && this.#inFlight < window) this.#send(performance.now());
  }

  /** Sends on a clock: by each tick, as many triggers as `perSecond` makes due since the start. */
  #pace(perSecond: number): void {
    const start = performance.now();
    let sent = 0;
    this.#ticker = setInterval(() => {
      const due = Math.floor(((performance.now() - start) * perSecond) / 1000);
      while (this.#sending && sent < due) {
        sent++;
        this.#send(performance.now());
      }
    }, TICK_MS);
  }

  #send(sentAt: number): void {
    const seq = this.#seq++;
    const channel = this.#channels[seq % this.#channels.length]!;
    if (!channel.claim()) {
      return this.fail(
        new Error(
          `more than ${RING} triggers in flight on ${channel.name}: the server fell behind`,
        ),
      );
    }
    this.#inFlight++;
    if (this.measuring) this.triggers++;
    const body = triggerBody(seq, sentAt, this.#options.dataBytes, channel.name);
    this.#trigger.send(body).catch((error: Error) => this.fail(error));
  }

  #stopSending(): void {
    this.#sending = false;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** Stops sending and waits for the triggers in flight, so the next slice starts quiet. */
  async #drain(): Promise<void> {
    this.#stopSending();
    if (this.#inFlight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.#drained = resolve)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${this.#inFlight} triggers never fully delivered`)),
          DRAIN_TIMEOUT_MS,
        );
      }),
    ]).finally(() => {
      clearTimeout(timer);
      this.#drained = undefined;
    });
  }
}
