/**
 * Webhooks (PROTOCOL.md §6), fed by the core's lifecycle events; the core never calls this code.
 * Per app: the vacate delay pairs quick leave/return events away, `cache_miss` and
 * `subscription_count` are de-duplicated; per app and URL: a batcher (window, `events` filter)
 * feeds a sender (sign once, retry with backoff, bounded queue).
 */
import type { Lifecycle, LifecycleEvents, LifecycleName } from '../core/lifecycle.js';
import type { Log } from '../core/log.js';
import { Batcher } from './batcher.js';
import {
  cacheMiss,
  clientEvent,
  hasWebhooks,
  subscriptionCount,
  webhookEventNames,
  type WebhookEvent,
  type WebhookEventName,
} from './events.js';
import { httpPoster, type Post } from './http-post.js';
import {
  Sender,
  displayUrl,
  type DeliveryOptions,
  type DeliveryStats,
  type WebhookAttempt,
} from './sender.js';
import type { Timers } from './timers.js';
import { VacateDelay, type ClaimRemoval } from './vacate-delay.js';

export { webhookEventNames, type WebhookEvent, type WebhookEventName } from './events.js';
export type { DeliveryStats, WebhookAttempt } from './sender.js';

export interface WebhookTarget {
  /** An http(s) URL. */
  readonly url: string;
  /** The event names this URL receives; undefined: all. */
  readonly events?: readonly WebhookEventName[] | undefined;
  /** Extra request headers, sent with exactly this capitalisation. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface WebhookApp {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  readonly webhooks: readonly WebhookTarget[];
}

export interface WebhookOptions extends Omit<DeliveryOptions, 'maxRetryDelayMs'> {
  /** Milliseconds a batch stays open after its first event; 0: one event per request. */
  readonly batchMs: number;
  /** Events per request at most (default 100). */
  readonly maxBatchEvents?: number;
  /** Upper bound of one backoff wait, in ms (default 60 000). */
  readonly maxRetryDelayMs?: number;
  /** Milliseconds `channel_vacated` and `member_removed` are held (§6.2); 0: not held. */
  readonly vacateDelayMs: number;
}

export interface WebhooksDeps {
  readonly lifecycle: Lifecycle;
  readonly apps: readonly WebhookApp[];
  readonly log: Log;
  readonly timers: Timers;
  readonly options: WebhookOptions;
  /** How a request is sent (tests inject one); default node:http(s) with a keep-alive agent. */
  readonly post?: Post;
  /**
   * Asks the stores whether a removal held out the vacate delay still stands (the stores hold
   * vacancies for as long: see `ChannelIndex`); default: it does (one process, nothing shared).
   */
  readonly claim?: (appId: string, event: WebhookEvent) => Promise<boolean>;
}

export interface WebhookStats extends DeliveryStats {
  /** The same counters for each app and URL (a password in a URL masked). */
  readonly targets: ReadonlyArray<DeliveryStats & { readonly appId: string; readonly url: string }>;
}

export interface Webhooks {
  /**
   * Sends everything held now — removals waiting out the vacate delay, open batches — and
   * resolves once every URL has answered, or after `deadlineMs` milliseconds, whichever is first.
   */
  flush(deadlineMs: number): Promise<void>;
  /** Unsubscribes from the lifecycle, cancels every timer and aborts requests in flight. */
  stop(): void;
  stats(): WebhookStats;
  /** Calls `listener` after every attempt of every URL (test recording); returns its remover. */
  onAttempt(listener: (attempt: WebhookAttempt) => void): () => void;
}

/** A mass disconnect becomes requests of this many events rather than one huge body. */
const DEFAULT_MAX_BATCH_EVENTS = 100;
/** Backoff doubles up to this: 1, 2, 4 … 32, 60, 60 … s over Pusher's 5 minutes. */
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;

/** The lifecycle events that concern one channel of one app. */
type ChannelEventName = {
  [K in LifecycleName]: LifecycleEvents[K] extends { appId: string; channel: string } ? K : never;
}[LifecycleName];

interface Target {
  readonly appId: string;
  readonly url: string;
  readonly batcher: Batcher;
  readonly sender: Sender;
  readonly destroy: () => void;
}

/** One app's webhook state. */
class AppWebhooks {
  readonly targets: Target[] = [];
  readonly vacate: VacateDelay;
  /** Cache channels whose miss was sent and that have not been published to since. */
  readonly #missed = new Set<string>();
  /** The last subscription count sent per channel. */
  readonly #counts = new Map<string, number>();

  constructor(
    vacateDelayMs: number,
    timers: Timers,
    claim: ClaimRemoval | undefined,
    onError: (error: unknown) => void,
  ) {
    this.vacate = new VacateDelay(
      vacateDelayMs,
      timers,
      (event) => this.dispatch(event),
      claim,
      onError,
    );
  }

  dispatch(event: WebhookEvent): void {
    if (event.name === 'channel_vacated') {
      // A channel that really emptied starts afresh: its next subscriber may miss again.
      this.#missed.delete(event.channel);
      this.#counts.delete(event.channel);
    }
    for (const target of this.targets) target.batcher.add(event);
  }

  /** Pusher de-duplicates misses while the cache stays empty (§6.3). */
  cacheMiss(channel: string): boolean {
    if (this.#missed.has(channel)) return false;
    this.#missed.add(channel);
    return true;
  }

  published(channel: string): void {
    this.#missed.delete(channel);
  }

  /** Whether `count` differs from the last one sent (a quick reconnect repeats it). */
  countChanged(channel: string, count: number): boolean {
    if (this.#counts.get(channel) === count) return false;
    this.#counts.set(channel, count);
    return true;
  }
}

/** Subscribes the webhooks of every app that has any to `lifecycle`. */
export function attachWebhooks(deps: WebhooksDeps): Webhooks {
  const { lifecycle, log, timers } = deps;
  const options = {
    ...deps.options,
    maxBatchEvents: deps.options.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
    // Never shorter than the first wait, so a long first delay still doubles.
    maxRetryDelayMs: Math.max(
      deps.options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS,
      deps.options.retryDelayMs,
    ),
  };
  const apps = new Map<string, AppWebhooks>();
  const wanted = new Set<WebhookEventName>();
  const attemptListeners = new Set<(attempt: WebhookAttempt) => void>();
  const onAttempt = (attempt: WebhookAttempt) => {
    for (const listener of attemptListeners) {
      // Isolated like lifecycle listeners: the sender's bookkeeping runs right after this.
      try {
        listener(attempt);
      } catch (error) {
        log.error({ err: error }, 'webhook attempt listener failed');
      }
    }
  };
  for (const app of deps.apps) {
    if (app.webhooks.length === 0) continue;
    const { claim } = deps;
    const state = new AppWebhooks(
      options.vacateDelayMs,
      timers,
      claim === undefined ? undefined : (event) => claim(app.id, event),
      (error) => log.error({ err: error, appId: app.id }, 'held webhook failed'),
    );
    for (const webhook of app.webhooks) {
      const url = new URL(webhook.url);
      const poster = deps.post === undefined ? httpPoster(url, options.concurrency) : undefined;
      const sender = new Sender(
        { appId: app.id, key: app.key, secret: app.secret, url, headers: webhook.headers ?? {} },
        options,
        { timers, log, post: deps.post ?? poster!.post, onAttempt },
      );
      const events = webhook.events === undefined ? undefined : new Set(webhook.events);
      for (const name of events ?? webhookEventNames) wanted.add(name);
      state.targets.push({
        appId: app.id,
        url: displayUrl(url),
        sender,
        batcher: new Batcher({
          windowMs: options.batchMs,
          maxEvents: options.maxBatchEvents,
          events,
          timers,
          onBatch: (body) => sender.send(body),
        }),
        destroy: () => poster?.destroy(),
      });
    }
    apps.set(app.id, state);
  }

  const unsubscribe: Array<() => void> = [];
  /** Listens for one lifecycle event of the apps that have webhooks, user channels left out. */
  function listen<K extends ChannelEventName>(
    name: K,
    listener: (state: AppWebhooks, event: LifecycleEvents[K]) => void,
  ): void {
    const off = lifecycle.on(name, (event: LifecycleEvents[K]) => {
      const state = apps.get(event.appId);
      if (state !== undefined && hasWebhooks(event.channel)) listener(state, event);
    });
    unsubscribe.push(off);
  }

  const wants = (...names: WebhookEventName[]) => names.some((name) => wanted.has(name));
  // Occupancy is followed whenever anything depends on it: the vacate pairing needs both
  // halves, and a vacated channel resets the cache-miss and count de-duplication.
  if (wants('channel_occupied', 'channel_vacated', 'cache_miss', 'subscription_count')) {
    listen('channel_occupied', (state, { channel, resumed }) =>
      state.vacate.occupied(channel, resumed),
    );
    listen('channel_vacated', (state, { channel }) => state.vacate.vacated(channel));
  }
  if (wants('member_added', 'member_removed')) {
    listen('member_added', (state, { channel, userId, resumed }) =>
      state.vacate.memberAdded(channel, userId, resumed),
    );
    listen('member_removed', (state, { channel, userId }) =>
      state.vacate.memberRemoved(channel, userId),
    );
  }
  if (wants('client_event')) {
    listen('client_event', (state, event) => state.dispatch(clientEvent(event)));
  }
  if (wants('cache_miss')) {
    listen('cache_miss', (state, event) => {
      if (state.cacheMiss(event.channel)) state.dispatch(cacheMiss(event));
    });
    listen('api_message', (state, { channel }) => state.published(channel));
  }
  if (wants('subscription_count')) {
    listen('subscription_count', (state, event) => {
      if (state.countChanged(event.channel, event.count)) state.dispatch(subscriptionCount(event));
    });
  }

  const targets = () => [...apps.values()].flatMap((state) => state.targets);
  let stopped = false;

  return {
    async flush(deadlineMs) {
      let cancel = () => {};
      const deadline = new Promise<void>((resolve) => (cancel = timers.after(deadlineMs, resolve)));
      // Held removals first: whether each still stands may take a round trip to the stores.
      await Promise.race([
        Promise.all([...apps.values()].map((state) => state.vacate.release())),
        deadline,
      ]);
      for (const target of targets()) target.batcher.flush();
      await Promise.race([Promise.all(targets().map((target) => target.sender.drain())), deadline]);
      cancel();
    },

    stop() {
      if (stopped) return;
      stopped = true;
      for (const off of unsubscribe) off();
      for (const state of apps.values()) state.vacate.stop();
      for (const target of targets()) {
        target.batcher.stop();
        target.sender.stop();
        target.destroy();
      }
    },

    onAttempt(listener) {
      attemptListeners.add(listener);
      return () => {
        attemptListeners.delete(listener);
      };
    },

    stats() {
      const perTarget = targets().map((target) => ({
        appId: target.appId,
        url: target.url,
        ...target.sender.stats(),
      }));
      const total: DeliveryStats = {
        delivered: 0,
        failedAttempts: 0,
        gaveUp: 0,
        dropped: 0,
        abandoned: 0,
        lostEvents: 0,
        pending: 0,
      };
      for (const stats of perTarget) {
        for (const key of Object.keys(total) as Array<keyof DeliveryStats>) {
          total[key] += stats[key];
        }
      }
      return { ...total, targets: perTarget };
    },
  };
}
