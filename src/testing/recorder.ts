/**
 * Test recording: what herald accepted and did — REST triggers, client events, subscriptions,
 * connections, webhook attempts — in order, with a sequence number, queryable and awaitable.
 * It listens to the lifecycle and the webhook sender; the core does not know it exists, and
 * when recording is off nothing is attached at all, so the hot paths pay nothing.
 */
import type { Clock } from '../core/clock.js';
import type { Lifecycle, LifecycleEvents, LifecycleName } from '../core/lifecycle.js';
import type { WebhookAttempt } from '../webhooks/index.js';

interface Common {
  /** 1, 2, 3… in the order things happened; never reused, not even after a reset. */
  readonly seq: number;
  /** When it was recorded, in ms on herald's clock. */
  readonly time: number;
}

/** One webhook event inside a recorded attempt, as it was sent. */
export interface RecordedWebhookEvent {
  readonly name: string;
  readonly channel?: string;
  readonly event?: string;
  readonly user_id?: string;
  readonly [field: string]: unknown;
}

export type RecordedEvent = Common &
  (
    | { readonly kind: 'connected'; readonly appId: string; readonly socketId: string }
    | {
        readonly kind: 'disconnected';
        readonly appId: string;
        readonly socketId: string;
        /** The close code, whoever closed (the server's, or the one the client sent). */
        readonly code: number;
        readonly reason: string;
      }
    | {
        /** A connection refused before it got a socket id (unknown key, refusal window…). */
        readonly kind: 'refused';
        readonly appKey: string | undefined;
        readonly code: number;
        readonly reason: string;
      }
    | {
        readonly kind: 'subscribed' | 'unsubscribed' | 'cache_miss';
        readonly appId: string;
        readonly channel: string;
        readonly socketId: string;
      }
    | {
        readonly kind: 'subscription_failed';
        readonly appId: string;
        readonly channel: string;
        readonly socketId: string;
        readonly type: string;
        readonly status: number;
        readonly error: string;
      }
    | {
        /** An event accepted by the REST API (one record per channel of the trigger). */
        readonly kind: 'trigger';
        readonly appId: string;
        readonly channel: string;
        readonly event: string;
        /** Exactly as the SDK sent it. */
        readonly data: string;
        /** The REST `socket_id`: the connection excluded from delivery. */
        readonly socketId: string | undefined;
      }
    | {
        readonly kind: 'client_event';
        readonly appId: string;
        readonly channel: string;
        readonly event: string;
        readonly data: string;
        /** The sender. */
        readonly socketId: string;
        /** The sender's user on presence channels. */
        readonly userId: string | undefined;
      }
    | {
        readonly kind: 'signed_in';
        readonly appId: string;
        readonly socketId: string;
        readonly userId: string;
      }
    | {
        readonly kind: 'member_added' | 'member_removed';
        readonly appId: string;
        readonly channel: string;
        readonly userId: string;
      }
    | {
        readonly kind: 'channel_occupied' | 'channel_vacated';
        readonly appId: string;
        readonly channel: string;
      }
    | {
        readonly kind: 'subscription_count';
        readonly appId: string;
        readonly channel: string;
        readonly count: number;
      }
    | {
        /** One attempt to deliver a webhook request, once it settled. */
        readonly kind: 'webhook';
        readonly appId: string;
        readonly url: string;
        /** 1 for the first attempt of a request, 2 for its first retry… */
        readonly attempt: number;
        /** The receiver's HTTP status; undefined when it did not answer (see `error`). */
        readonly status: number | undefined;
        readonly error: string | undefined;
        readonly events: readonly RecordedWebhookEvent[];
      }
  );

export type RecordKind = RecordedEvent['kind'];

/** Omit applied to each member of a union (plain Omit merges the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A record without its sequence number and time. */
type RecordFields = DistributiveOmit<RecordedEvent, keyof Common>;

export const recordKinds: readonly RecordKind[] = [
  'connected',
  'disconnected',
  'refused',
  'subscribed',
  'unsubscribed',
  'subscription_failed',
  'trigger',
  'client_event',
  'signed_in',
  'member_added',
  'member_removed',
  'channel_occupied',
  'channel_vacated',
  'cache_miss',
  'subscription_count',
  'webhook',
];

/**
 * What to look for; every given field must match. `channel`, `event` and `userId` match a
 * webhook record when any event of its request has them (`event` is a webhook event's name).
 */
export interface RecordFilter {
  readonly kind?: RecordKind | readonly RecordKind[];
  readonly appId?: string;
  readonly channel?: string;
  readonly event?: string;
  readonly socketId?: string;
  readonly userId?: string;
  /** Only records after this sequence number (e.g. the `seq` of the last one seen). */
  readonly after?: number;
}

export type RecordMatch = RecordFilter | ((record: RecordedEvent) => boolean);

export interface WaitOptions {
  /** Milliseconds to wait for a match (default 5000). */
  readonly timeout?: number;
  /** Gives up early (the control API's long poll when its client goes away). */
  readonly signal?: AbortSignal;
}

export const DEFAULT_WAIT_MS = 5000;
/** Records the failure message of a wait lists at most, the latest ones. */
const LISTED_IN_FAILURE = 40;

/** Why a wait ended without a match. */
export type WaitFailure = 'timeout' | 'reset' | 'stopped' | 'aborted';

/** A wait that ended without a match; its message lists what was recorded. */
export class WaitError extends Error {
  override readonly name = 'WaitError';
  constructor(
    message: string,
    readonly reason: WaitFailure,
    /** What was recorded when the wait gave up. */
    readonly recorded: readonly RecordedEvent[],
  ) {
    super(message);
  }
}

interface Waiter {
  readonly check: (record: RecordedEvent) => boolean;
  readonly fail: (reason: WaitFailure) => void;
}

/**
 * `delivered` is left out: it reports fan-out counts for metrics, not something a test waits
 * for, and listening to it would cost every broadcast an event.
 */
type Source = {
  [K in Exclude<LifecycleName, 'delivered'>]: (event: LifecycleEvents[K]) => RecordFields;
};

/** Lifecycle event → record. Spelled out so that a new lifecycle field is a decision here. */
const fromLifecycle: Source = {
  connection_opened: ({ appId, socketId }) => ({ kind: 'connected', appId, socketId }),
  connection_closed: ({ appId, socketId, code, reason }) => ({
    kind: 'disconnected',
    appId,
    socketId,
    code,
    reason,
  }),
  connection_refused: ({ appKey, code, reason }) => ({ kind: 'refused', appKey, code, reason }),
  subscribed: ({ appId, channel, socketId }) => ({ kind: 'subscribed', appId, channel, socketId }),
  unsubscribed: ({ appId, channel, socketId }) => ({
    kind: 'unsubscribed',
    appId,
    channel,
    socketId,
  }),
  subscription_failed: ({ appId, channel, socketId, type, status, error }) => ({
    kind: 'subscription_failed',
    appId,
    channel,
    socketId,
    type,
    status,
    error,
  }),
  api_message: ({ appId, channel, event, data, socketId }) => ({
    kind: 'trigger',
    appId,
    channel,
    event,
    data,
    socketId,
  }),
  client_event: ({ appId, channel, event, data, socketId, userId }) => ({
    kind: 'client_event',
    appId,
    channel,
    event,
    data,
    socketId,
    userId,
  }),
  signed_in: ({ appId, socketId, userId }) => ({ kind: 'signed_in', appId, socketId, userId }),
  member_added: ({ appId, channel, userId }) => ({ kind: 'member_added', appId, channel, userId }),
  member_removed: ({ appId, channel, userId }) => ({
    kind: 'member_removed',
    appId,
    channel,
    userId,
  }),
  channel_occupied: ({ appId, channel }) => ({ kind: 'channel_occupied', appId, channel }),
  channel_vacated: ({ appId, channel }) => ({ kind: 'channel_vacated', appId, channel }),
  cache_miss: ({ appId, channel, socketId }) => ({ kind: 'cache_miss', appId, channel, socketId }),
  subscription_count: ({ appId, channel, count }) => ({
    kind: 'subscription_count',
    appId,
    channel,
    count,
  }),
};

export interface RecorderOptions {
  /** Records kept; beyond it the oldest are dropped (and counted in `dropped`). */
  readonly limit: number;
  readonly clock: Clock;
}

export class Recorder {
  readonly #limit: number;
  readonly #clock: Clock;
  /** A ring of at most `limit` records; `#start` is the oldest. */
  readonly #ring: RecordedEvent[] = [];
  #start = 0;
  #seq = 0;
  #dropped = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #detach: Array<() => void> = [];
  #stopped = false;

  constructor({ limit, clock }: RecorderOptions) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`record limit must be a positive integer, got ${limit}`);
    }
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Starts recording what `lifecycle` and `webhooks` report; `stop()` detaches. */
  attach(
    lifecycle: Lifecycle,
    webhooks?: { onAttempt(listener: (attempt: WebhookAttempt) => void): () => void },
  ): this {
    for (const name of Object.keys(fromLifecycle) as Array<keyof Source>) {
      const toRecord = fromLifecycle[name] as (event: unknown) => RecordFields;
      this.#detach.push(lifecycle.on(name, (event) => this.#add(toRecord(event))));
    }
    if (webhooks !== undefined) {
      this.#detach.push(webhooks.onAttempt((attempt) => this.#add(webhookRecord(attempt))));
    }
    return this;
  }

  /** The sequence number of the latest record (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Records dropped so far because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The records that match, oldest first (all of them without a filter). */
  events(match: RecordMatch = {}): RecordedEvent[] {
    const test = matcher(match);
    return this.#all().filter(test);
  }

  /**
   * Resolves with the first record that matches — one already recorded, or the next one to
   * come — or rejects with a {@link WaitError} listing what was recorded after `timeout` ms,
   * on `reset()` (clear) and on stop.
   */
  waitFor(match: RecordMatch, options: WaitOptions = {}): Promise<RecordedEvent> {
    const test = matcher(match);
    const found = this.#all().find(test);
    if (found !== undefined) return Promise.resolve(found);
    const timeout = options.timeout ?? DEFAULT_WAIT_MS;
    const what = describe(match);
    if (this.#stopped) return Promise.reject(this.#failure(what, 'stopped', timeout));
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        check: (record) => {
          if (!test(record)) return false;
          finish();
          resolve(record);
          return true;
        },
        fail: (reason) => {
          finish();
          reject(this.#failure(what, reason, timeout));
        },
      };
      const timer = setTimeout(() => waiter.fail('timeout'), timeout);
      const onAbort = () => waiter.fail('aborted');
      options.signal?.addEventListener('abort', onAbort);
      this.#waiters.add(waiter);
    });
  }

  /** Forgets every record; pending waits reject (they belong to what came before). */
  clear(): void {
    this.#ring.length = 0;
    this.#start = 0;
    this.#dropped = 0;
    for (const waiter of [...this.#waiters]) waiter.fail('reset');
  }

  /** Detaches from its sources and rejects pending waits; the records stay readable. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const detach of this.#detach.splice(0)) detach();
    for (const waiter of [...this.#waiters]) waiter.fail('stopped');
  }

  #add(fields: RecordFields): void {
    this.#seq += 1;
    const record = { seq: this.#seq, time: this.#clock.now(), ...fields } as RecordedEvent;
    if (this.#ring.length < this.#limit) {
      this.#ring.push(record);
    } else {
      this.#ring[this.#start] = record;
      this.#start = (this.#start + 1) % this.#limit;
      this.#dropped += 1;
    }
    // A record settles every waiter it matches, not only the first.
    for (const waiter of [...this.#waiters]) waiter.check(record);
  }

  #all(): RecordedEvent[] {
    if (this.#start === 0) return [...this.#ring];
    return [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
  }

  #failure(what: string, reason: WaitFailure, timeout: number): WaitError {
    const why = {
      timeout: `nothing matched within ${timeout} ms`,
      reset: 'herald was reset while waiting',
      stopped: 'herald has stopped',
      aborted: 'the wait was abandoned',
    }[reason];
    const recorded = this.#all();
    const listed = recorded.slice(-LISTED_IN_FAILURE).map((record) => `  ${summary(record)}`);
    const notes = [
      ...(listed.length < recorded.length ? [`the latest ${listed.length} shown`] : []),
      ...(this.#dropped > 0 ? [`${this.#dropped} older ones dropped, over the limit`] : []),
    ];
    const heading =
      recorded.length === 0
        ? 'nothing was recorded'
        : `recorded ${recorded.length}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}:`;
    const message = `waitFor(${what}): ${why}; ${[heading, ...listed].join('\n')}`;
    return new WaitError(message, reason, recorded);
  }
}

function webhookRecord(attempt: WebhookAttempt): RecordFields {
  const body = JSON.parse(attempt.body.toString('utf8')) as { events: RecordedWebhookEvent[] };
  return {
    kind: 'webhook',
    appId: attempt.appId,
    url: attempt.url,
    attempt: attempt.attempt,
    status: attempt.status,
    error: attempt.error,
    events: body.events,
  };
}

function matcher(match: RecordMatch): (record: RecordedEvent) => boolean {
  if (typeof match === 'function') return match;
  const { kind, appId, channel, event, socketId, userId, after } = match;
  const kinds = kind === undefined ? undefined : new Set(typeof kind === 'string' ? [kind] : kind);
  return (record) => {
    if (after !== undefined && record.seq <= after) return false;
    if (kinds !== undefined && !kinds.has(record.kind)) return false;
    const fields = record as unknown as Partial<Record<string, unknown>>;
    if (appId !== undefined && fields.appId !== appId) return false;
    if (socketId !== undefined && fields.socketId !== socketId) return false;
    if (record.kind === 'webhook') {
      return record.events.some(
        (sent) =>
          (channel === undefined || sent.channel === channel) &&
          (event === undefined || sent.name === event) &&
          (userId === undefined || sent.user_id === userId),
      );
    }
    if (channel !== undefined && fields.channel !== channel) return false;
    if (event !== undefined && fields.event !== event) return false;
    if (userId !== undefined && fields.userId !== userId) return false;
    return true;
  };
}

function describe(match: RecordMatch): string {
  return typeof match === 'function' ? 'a predicate' : JSON.stringify(match);
}

const clip = (text: string, max = 60) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** One line per record for failure messages: `#7 trigger my-channel my-event {"a":1}`. */
export function summary(record: RecordedEvent): string {
  const head = `#${record.seq} ${record.kind}`;
  switch (record.kind) {
    case 'connected':
      return `${head} ${record.socketId}`;
    case 'disconnected':
    case 'refused':
      return `${head} ${record.kind === 'refused' ? (record.appKey ?? '?') : record.socketId} ${record.code} ${clip(record.reason)}`;
    case 'subscribed':
    case 'unsubscribed':
    case 'cache_miss':
      return `${head} ${record.channel} by ${record.socketId}`;
    case 'subscription_failed':
      return `${head} ${record.channel} by ${record.socketId}: ${record.status} ${clip(record.error)}`;
    case 'trigger':
    case 'client_event':
      return `${head} ${record.channel} ${record.event} ${clip(record.data)}`;
    case 'signed_in':
      return `${head} ${record.userId} on ${record.socketId}`;
    case 'member_added':
    case 'member_removed':
      return `${head} ${record.channel} ${record.userId}`;
    case 'channel_occupied':
    case 'channel_vacated':
      return `${head} ${record.channel}`;
    case 'subscription_count':
      return `${head} ${record.channel} ${record.count}`;
    case 'webhook': {
      const answer = record.status === undefined ? clip(record.error ?? '') : record.status;
      const events = record.events.map((sent) => `${sent.name} ${sent.channel ?? ''}`.trim());
      return `${head} ${record.url} → ${answer} [${events.join(', ')}]`;
    }
  }
}
