/**
 * The subscribers on the bench channel, opened a bounded number at a time and closed together.
 * Each is a {@link WsSubscriber}: against herald it does the Pusher handshake and subscribes;
 * against the baseline an open socket is a subscriber.
 */
import { WsSubscriber, type DeliverySink, type SubscriberTarget } from './ws-subscriber.js';

export type { DeliverySink, SubscriberTarget };

export interface OpenOptions {
  /** Handshakes in flight at once (default 100), so connecting does not look like a SYN flood. */
  readonly concurrency?: number;
  /** Per-socket handshake deadline in ms (default 10 000). */
  readonly timeoutMs?: number;
}

export class Subscribers {
  readonly #members: WsSubscriber[];

  private constructor(members: WsSubscriber[]) {
    this.#members = members;
  }

  /** Opens `count` subscribers; on any failure closes those already open and rejects. */
  static async open(
    target: SubscriberTarget,
    count: number,
    { concurrency = 100, timeoutMs = 10_000 }: OpenOptions = {},
  ): Promise<Subscribers> {
    const members: WsSubscriber[] = [];
    let started = 0;
    let failure: Error | undefined;
    const worker = async () => {
      while (started < count && failure === undefined) {
        started++;
        try {
          members.push(await WsSubscriber.connect(target, timeoutMs));
        } catch (error) {
          failure ??= error as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    const subscribers = new Subscribers(members);
    if (failure !== undefined) {
      await subscribers.close();
      throw new Error(`subscriber ${members.length + 1} of ${count} failed: ${failure.message}`);
    }
    return subscribers;
  }

  get size(): number {
    return this.#members.length;
  }

  /** Feeds every subscriber's deliveries to `sink`. */
  listen(sink: DeliverySink): void {
    for (const member of this.#members) member.listen(sink);
  }

  async close(): Promise<void> {
    await Promise.all(this.#members.map((member) => member.close()));
  }
}
