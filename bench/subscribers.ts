/**
 * A group of subscribers, opened a bounded number at a time and closed together. Each is a
 * {@link WsSubscriber}: with `pusher` it does the Pusher handshake and subscribes; on the
 * baseline's unrouted path an open socket is a subscriber.
 */
import { performance } from 'node:perf_hooks';
import type { LatencyHistogram } from './histogram.js';
import { WsSubscriber, type DeliverySink, type SubscriberTarget } from './ws-subscriber.js';

export type { DeliverySink, SubscriberTarget };

export interface OpenOptions {
  /** Handshakes in flight at once (default 100), so connecting does not look like a SYN flood. */
  readonly concurrency?: number;
  /** Per-socket handshake deadline in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Records each subscriber's connect → ready time, in ms. */
  readonly handshakes?: LatencyHistogram;
}

export class Subscribers {
  readonly #members: WsSubscriber[];

  private constructor(members: WsSubscriber[]) {
    this.#members = members;
  }

  /**
   * Opens `count` subscribers to `target`, or the i-th to `target(i)`; on any failure closes
   * those already open and rejects.
   */
  static async open(
    target: SubscriberTarget | ((index: number) => SubscriberTarget),
    count: number,
    { concurrency = 100, timeoutMs = 10_000, handshakes }: OpenOptions = {},
  ): Promise<Subscribers> {
    const targetFor = typeof target === 'function' ? target : () => target;
    const members: WsSubscriber[] = [];
    let started = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (started < count && failure === undefined) {
        const index = started++;
        try {
          const begun = performance.now();
          const member = await WsSubscriber.connect(targetFor(index), timeoutMs);
          handshakes?.record(performance.now() - begun);
          members[index] = member;
        } catch (error) {
          failure ??= error as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    const subscribers = new Subscribers(members.filter((member) => member !== undefined));
    if (failure !== undefined) {
      await subscribers.close();
      throw new Error(`subscriber ${subscribers.size + 1} of ${count} failed: ${failure.message}`);
    }
    return subscribers;
  }

  get size(): number {
    return this.#members.length;
  }

  /** Feeds every subscriber's deliveries to `sink`, or the i-th subscriber's to `sink(i)`. */
  listen(sink: DeliverySink | ((index: number) => DeliverySink)): void {
    const sinkFor = typeof sink === 'function' ? sink : () => sink;
    for (const [index, member] of this.#members.entries()) member.listen(sinkFor(index));
  }

  async close(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.close()));
  }
}
