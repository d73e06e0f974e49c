/**
 * Delivery to one webhook URL of one app (PROTOCOL.md §6.1–§6.2): each batch is serialized once
 * and signed over those exact bytes, then POSTed — the same bytes on every attempt — with a
 * per-attempt timeout and exponential backoff until the retry window closes. Concurrency and the
 * number of batches held in memory are bounded; whatever is dropped or given up is counted and
 * logged. Nothing here blocks the caller: `send()` only queues.
 */
import type { Log } from '../core/log.js';
import { webhookSignature } from '../protocol/webhook-signature.js';
import { serializeBody, type WebhookBody } from './events.js';
import type { Post } from './http-post.js';
import type { Cancel, Timers } from './timers.js';

export interface DeliveryOptions {
  /** Milliseconds an attempt may take before it counts as failed (Pusher: 4000). */
  readonly timeoutMs: number;
  /** Milliseconds after a batch's first attempt in which failures are retried (Pusher: 5 min). */
  readonly retryWindowMs: number;
  /** Milliseconds before the first retry; each further retry waits twice as long. */
  readonly retryDelayMs: number;
  /** Upper bound of one backoff wait, in ms. */
  readonly maxRetryDelayMs: number;
  /** Requests in flight to this URL at once. */
  readonly concurrency: number;
  /** Batches held for this URL (waiting, in flight or between retries); more are dropped. */
  readonly queueSize: number;
}

export interface SenderTarget {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  readonly url: URL;
  /** Extra headers from the config, sent as written. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Counters of one URL; each counts batches unless it says otherwise. */
export interface DeliveryStats {
  /** Answered 2xx. */
  delivered: number;
  /** Attempts that failed: a non-2xx answer, a timeout or a network error. */
  failedAttempts: number;
  /** Abandoned because the retry window closed while they kept failing. */
  gaveUp: number;
  /** Refused because the queue was full. */
  dropped: number;
  /** Still undelivered when the server stopped. */
  abandoned: number;
  /** Events in batches that were dropped, given up or abandoned. */
  lostEvents: number;
  /** Held right now: waiting, in flight or between retries. */
  pending: number;
}

interface InFlight {
  readonly controller: AbortController;
  readonly cancelTimeout: Cancel;
}

interface Batch {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly events: number;
  attempts: number;
  firstAttemptAt: number | undefined;
  lastFailure: string | undefined;
}

/** Lines of one kind are logged at most this often; the count held back goes in the next one. */
const REPORT_INTERVAL_MS = 10_000;

class TimeoutError extends Error {}

export class Sender {
  readonly #target: SenderTarget;
  readonly #options: DeliveryOptions;
  readonly #timers: Timers;
  readonly #post: Post;
  readonly #log: Log;
  readonly #onAttempt: ((attempt: WebhookAttempt) => void) | undefined;
  readonly #shownUrl: string;
  readonly #baseHeaders: Readonly<Record<string, string>>;
  readonly #waiting: Batch[] = [];
  readonly #backingOff = new Map<Batch, Cancel>();
  readonly #inFlight = new Map<Batch, InFlight>();
  readonly #idle = new Set<() => void>();
  readonly #reported = new Map<string, { at: number; suppressed: number }>();
  readonly #stats: Omit<DeliveryStats, 'pending'> = {
    delivered: 0,
    failedAttempts: 0,
    gaveUp: 0,
    dropped: 0,
    abandoned: 0,
    lostEvents: 0,
  };
  #stopped = false;

  constructor(target: SenderTarget, options: DeliveryOptions, deps: SenderDeps) {
    this.#target = target;
    this.#options = options;
    this.#timers = deps.timers;
    this.#post = deps.post;
    this.#log = deps.log;
    this.#onAttempt = deps.onAttempt;
    this.#shownUrl = displayUrl(target.url);
    // Configured headers first: the schema refuses names that would clash with these.
    this.#baseHeaders = {
      ...target.headers,
      'Content-Type': 'application/json',
      'X-Pusher-Key': target.key,
    };
  }

  /** Queues one batch; drops it (counted, logged) when the URL already holds `queueSize`. */
  send(batch: WebhookBody): void {
    if (this.#stopped) return;
    const events = batch.events.length;
    if (this.#pending() >= this.#options.queueSize) {
      this.#stats.dropped += 1;
      this.#stats.lostEvents += events;
      this.#report(
        'warn',
        'dropped',
        { events, queueSize: this.#options.queueSize },
        `webhook queue for ${this.#shownUrl} is full (${this.#options.queueSize} batches): ` +
          `dropped a batch of ${events} event(s)`,
      );
      return;
    }
    const body = serializeBody(batch);
    this.#waiting.push({
      body,
      headers: {
        ...this.#baseHeaders,
        'X-Pusher-Signature': webhookSignature(this.#target.secret, body),
        'Content-Length': String(body.length),
      },
      events,
      attempts: 0,
      firstAttemptAt: undefined,
      lastFailure: undefined,
    });
    this.#pump();
  }

  /**
   * Resolves once nothing is held. Batches waiting out a backoff are tried again at once: a
   * graceful stop gives each one more chance within its deadline.
   */
  drain(): Promise<void> {
    for (const cancel of this.#backingOff.values()) cancel();
    this.#waiting.unshift(...this.#backingOff.keys());
    this.#backingOff.clear();
    this.#pump();
    if (this.#pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Aborts what is in flight and forgets the rest, logging what was not delivered. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const left = [...this.#waiting, ...this.#backingOff.keys(), ...this.#inFlight.keys()];
    for (const cancel of this.#backingOff.values()) cancel();
    for (const { controller, cancelTimeout } of this.#inFlight.values()) {
      cancelTimeout();
      controller.abort();
    }
    this.#waiting.length = 0;
    this.#backingOff.clear();
    this.#inFlight.clear();
    if (left.length > 0) {
      const events = left.reduce((sum, batch) => sum + batch.events, 0);
      this.#stats.abandoned += left.length;
      this.#stats.lostEvents += events;
      this.#log.warn(
        { appId: this.#target.appId, url: this.#shownUrl, batches: left.length, events },
        `webhooks to ${this.#shownUrl} not delivered before stop: ${left.length} batch(es), ` +
          `${events} event(s)`,
      );
    }
    this.#settle();
  }

  stats(): DeliveryStats {
    return { ...this.#stats, pending: this.#pending() };
  }

  #pending(): number {
    return this.#waiting.length + this.#backingOff.size + this.#inFlight.size;
  }

  #pump(): void {
    while (!this.#stopped && this.#inFlight.size < this.#options.concurrency) {
      const batch = this.#waiting.shift();
      if (batch === undefined) break;
      this.#attempt(batch);
    }
    this.#settle();
  }

  #attempt(batch: Batch): void {
    const timers = this.#timers;
    batch.firstAttemptAt ??= timers.now();
    batch.attempts += 1;
    const controller = new AbortController();
    const { timeoutMs } = this.#options;
    const attempt: InFlight = {
      controller,
      cancelTimeout: timers.after(timeoutMs, () =>
        controller.abort(new TimeoutError(`no answer within ${timeoutMs} ms`)),
      ),
    };
    this.#inFlight.set(batch, attempt);
    this.#post(this.#target.url, batch.headers, batch.body, controller.signal).then(
      (status) => {
        attempt.cancelTimeout();
        this.#told(batch, status, undefined);
        if (status >= 200 && status < 300) this.#delivered(batch, attempt);
        else this.#failed(batch, attempt, `HTTP ${status}`);
      },
      (error: unknown) => {
        attempt.cancelTimeout();
        const reason = controller.signal.reason;
        const why = reason instanceof TimeoutError ? reason.message : cause(error);
        this.#told(batch, undefined, why);
        this.#failed(batch, attempt, why);
      },
    );
  }

  #told(batch: Batch, status: number | undefined, error: string | undefined): void {
    this.#onAttempt?.({
      appId: this.#target.appId,
      url: this.#shownUrl,
      attempt: batch.attempts,
      status,
      error,
      body: batch.body,
    });
  }

  #delivered(batch: Batch, attempt: InFlight): void {
    if (this.#inFlight.get(batch) !== attempt) return;
    this.#inFlight.delete(batch);
    this.#stats.delivered += 1;
    if (batch.attempts > 1) {
      this.#report(
        'info',
        'recovered',
        { attempts: batch.attempts },
        `webhook to ${this.#shownUrl} delivered after ${batch.attempts} attempts`,
      );
    }
    this.#pump();
  }

  #failed(batch: Batch, attempt: InFlight, reason: string): void {
    // Stopped meanwhile: stop() has accounted for the batch already.
    if (this.#inFlight.get(batch) !== attempt) return;
    this.#inFlight.delete(batch);
    this.#stats.failedAttempts += 1;
    batch.lastFailure = reason;
    const { retryWindowMs, retryDelayMs, maxRetryDelayMs } = this.#options;
    const elapsed = this.#timers.now() - batch.firstAttemptAt!;
    if (elapsed >= retryWindowMs) {
      this.#giveUp(batch);
    } else {
      const backoff = Math.min(retryDelayMs * 2 ** (batch.attempts - 1), maxRetryDelayMs);
      // The last retry lands at the end of the window rather than past it.
      const wait = Math.min(backoff, retryWindowMs - elapsed);
      // Not a loss yet, but a receiver that is down or misconfigured should show up in the log.
      this.#report(
        'info',
        'failed',
        { attempt: batch.attempts, reason, wait },
        `webhook to ${this.#shownUrl} failed (${reason}); retrying in ${wait} ms`,
      );
      this.#backingOff.set(
        batch,
        this.#timers.after(wait, () => {
          if (!this.#backingOff.delete(batch)) return;
          // A retry goes ahead of batches that have not been tried yet.
          this.#waiting.unshift(batch);
          this.#pump();
        }),
      );
    }
    this.#pump();
  }

  #giveUp(batch: Batch): void {
    this.#stats.gaveUp += 1;
    this.#stats.lostEvents += batch.events;
    const elapsed = duration(this.#timers.now() - batch.firstAttemptAt!);
    this.#report(
      'warn',
      'gave_up',
      { attempts: batch.attempts, events: batch.events, lastFailure: batch.lastFailure },
      `webhook to ${this.#shownUrl} given up after ${batch.attempts} attempt(s) in ${elapsed} ` +
        `(last: ${batch.lastFailure}): ${batch.events} event(s) lost`,
    );
  }

  #settle(): void {
    if (this.#pending() > 0 && !this.#stopped) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  /** A log line, unless one of this kind went out in the last 10 s; then it is counted instead. */
  #report(level: 'info' | 'warn', kind: string, fields: object, message: string): void {
    const now = this.#timers.now();
    const last = this.#reported.get(kind);
    if (last !== undefined && now - last.at < REPORT_INTERVAL_MS) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#reported.set(kind, { at: now, suppressed: 0 });
    this.#log[level](
      { appId: this.#target.appId, url: this.#shownUrl, ...fields, ...this.#stats, suppressed },
      suppressed === 0 ? message : `${message} (and ${suppressed} more like it since the last one)`,
    );
  }
}

/** One settled attempt to deliver a batch: what the URL answered, or why there is no answer. */
export interface WebhookAttempt {
  readonly appId: string;
  /** The URL, a password in it masked. */
  readonly url: string;
  /** 1 for the first attempt of a batch, 2 for its first retry… */
  readonly attempt: number;
  /** The response status; undefined when none came (timeout, network error, stop). */
  readonly status: number | undefined;
  /** Why there is no status. */
  readonly error: string | undefined;
  /** The exact bytes sent (`{"time_ms":…,"events":[…]}`). */
  readonly body: Buffer;
}

export interface SenderDeps {
  readonly timers: Timers;
  readonly post: Post;
  readonly log: Log;
  /** Told of every settled attempt (test recording); must not throw. */
  readonly onAttempt?: (attempt: WebhookAttempt) => void;
}

/** A URL as logs may show it: a password in it is masked. */
export function displayUrl(url: URL): string {
  if (url.password === '') return url.href;
  const shown = new URL(url.href);
  shown.password = '***';
  return shown.href;
}

const duration = (ms: number) => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

const cause = (error: unknown) => (error instanceof Error ? error.message : String(error));
