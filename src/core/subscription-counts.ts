/**
 * `pusher_internal:subscription_count` (PROTOCOL.md §2.13): when an app turns it on, every change
 * of a non-presence channel's connection count is announced to its subscribers; above 100
 * subscribers at most once every 5 s, the last change of a quiet spell sent by the sweep.
 */
import type { App } from '../apps/app.js';
import { subscriptionCountData } from '../protocol/frames.js';
import type { Broker, ChannelIndex } from '../scaling/types.js';
import type { Clock } from './clock.js';
import type { Lifecycle } from './lifecycle.js';
import type { Log } from './log.js';

const THROTTLE_ABOVE = 100;
const THROTTLE_MS = 5000;

interface Throttled {
  readonly app: App;
  readonly channel: string;
  lastSentAt: number;
  pending: boolean;
}

export interface SubscriptionCountsDeps {
  readonly broker: Broker;
  readonly index: ChannelIndex;
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  readonly log: Log;
}

export class SubscriptionCounts {
  readonly #deps: SubscriptionCountsDeps;
  /** State only for channels above the threshold; small channels announce every change. */
  readonly #throttled = new Map<string, Throttled>();

  constructor(deps: SubscriptionCountsDeps) {
    this.#deps = deps;
  }

  /** The connection count of `channel` changed (after the index has recorded it). */
  changed(app: App, channel: string): void {
    if (!app.subscriptionCount) return;
    this.#deps.index.count(app.id, channel).then(
      (count) => this.#decide(app, channel, count),
      (error: unknown) =>
        this.#deps.log.error({ err: error, channel }, 'subscription count failed'),
    );
  }

  /** Sends the announcements a throttle held back, once their 5 s have passed. */
  sweep(): void {
    const now = this.#deps.clock.now();
    for (const state of this.#throttled.values()) {
      if (state.pending && now - state.lastSentAt >= THROTTLE_MS) {
        state.pending = false;
        this.changed(state.app, state.channel);
      }
    }
  }

  #decide(app: App, channel: string, count: number): void {
    const key = `${app.id}\u0000${channel}`;
    const now = this.#deps.clock.now();
    if (count <= THROTTLE_ABOVE) {
      this.#throttled.delete(key);
      if (count > 0) this.#send(app, channel, count);
      return;
    }
    const state = this.#throttled.get(key);
    if (state === undefined) {
      this.#throttled.set(key, { app, channel, lastSentAt: now, pending: false });
      this.#send(app, channel, count);
    } else if (now - state.lastSentAt >= THROTTLE_MS) {
      state.lastSentAt = now;
      state.pending = false;
      this.#send(app, channel, count);
    } else {
      state.pending = true;
    }
  }

  #send(app: App, channel: string, count: number): void {
    const { broker, lifecycle, log } = this.#deps;
    broker
      .publish(app.id, channel, {
        event: 'pusher_internal:subscription_count',
        data: subscriptionCountData(count),
      })
      .catch((error: unknown) => log.error({ err: error, channel }, 'subscription count failed'));
    lifecycle.emit('subscription_count', { appId: app.id, channel, count });
  }
}
