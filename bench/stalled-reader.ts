/**
 * The stalled reader: one extra subscriber on the fan-out's first channel that subscribes, then
 * stops reading. The kernel's buffers fill, then herald's send buffer; past `maxSendBufferBytes`
 * (1 MiB by default) herald closes it with 4100. herald reports each such close over IPC, and a
 * new stalled reader takes the place of the closed one, so every second of the slice has one.
 *
 * After the slice each stalled reader reads again: what it gets is what was queued for it, and
 * it must end with `pusher:error` 4100, which confirms the close from the client's side.
 */
import { performance } from 'node:perf_hooks';
import type { FanoutTarget, SliceCompanion } from './fanout-run.js';
import { median } from './stats.js';
import { ServerClosedError, WsSubscriber, type DeliverySink } from './ws-subscriber.js';

/** How often herald's close counter is read during the slice, in ms. */
const POLL_MS = 250;
/** A resumed reader that got nothing for this long has read all that was queued for it. */
const QUIET_MS = 500;
const OUTCOME_TIMEOUT_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface StallSummary {
  /** Stalled readers opened over all the slices with one. */
  readonly opened: number;
  /** Those that read `pusher:error` 4100 after resuming. */
  readonly closedOverCapacity: number;
  /** Seconds from the pause to herald's close, as seen by the 250 ms poll, per closed reader. */
  readonly secondsToClose: readonly number[];
  /** Bytes each closed reader read after resuming: what herald and the kernel had queued. */
  readonly queuedBytes: readonly number[];
}

/** Records what a stalled reader ends with; its deliveries are not part of the load. */
class StallSink implements DeliverySink {
  code: number | undefined;
  failure: Error | undefined;

  delivered(): void {}

  fail(error: Error): void {
    if (error.cause instanceof ServerClosedError) this.code ??= error.cause.code;
    else this.failure ??= error;
  }
}

interface Stalled {
  readonly reader: WsSubscriber;
  readonly sink: StallSink;
  readonly pausedAt: number;
  /** Bytes read up to the pause (the handshake), so only what was queued counts. */
  readonly readBeforePause: number;
  closedAfterS: number | undefined;
}

export class StalledReaders implements SliceCompanion {
  readonly #target: FanoutTarget;
  #current: Stalled[] = [];
  #poller: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();
  #closes = 0;
  #failure: Error | undefined;
  #opened = 0;
  #closedOverCapacity = 0;
  readonly #secondsToClose: number[] = [];
  readonly #queuedBytes: number[] = [];

  constructor(target: FanoutTarget) {
    this.#target = target;
  }

  async start(): Promise<void> {
    this.#closes = (await this.#target.server.stats()).overCapacityCloses ?? 0;
    await this.#stallOne();
    this.#poller = setInterval(() => {
      this.#polling = this.#polling
        .then(() => this.#poll())
        .catch((error: Error) => {
          this.#failure ??= error;
        });
    }, POLL_MS);
  }

  async finish(): Promise<void> {
    clearInterval(this.#poller);
    await this.#polling;
    const stalled = this.#current;
    this.#current = [];
    for (const one of stalled) one.reader.resume();
    const outcomes = await Promise.allSettled(stalled.map((one) => this.#outcome(one)));
    await Promise.all(stalled.map((one) => one.reader.close()));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    if (this.#failure !== undefined) throw this.#failure;
  }

  summary(): StallSummary {
    return {
      opened: this.#opened,
      closedOverCapacity: this.#closedOverCapacity,
      secondsToClose: this.#secondsToClose,
      queuedBytes: this.#queuedBytes,
    };
  }

  async #stallOne(): Promise<void> {
    const sink = new StallSink();
    const reader = await WsSubscriber.connect(
      this.#target.subscriberTarget(0),
      HANDSHAKE_TIMEOUT_MS,
    );
    reader.listen(sink);
    reader.pause();
    this.#opened++;
    this.#current.push({
      reader,
      sink,
      pausedAt: performance.now(),
      readBeforePause: reader.bytesRead,
      closedAfterS: undefined,
    });
  }

  /** On each close herald reports, the oldest open stalled reader was the one; replace it. */
  async #poll(): Promise<void> {
    const closes = (await this.#target.server.stats()).overCapacityCloses ?? 0;
    for (; this.#closes < closes; this.#closes++) {
      const closed = this.#current.find((one) => one.closedAfterS === undefined);
      if (closed === undefined) {
        throw new Error('herald closed a connection with 4100 that was not a stalled reader');
      }
      closed.closedAfterS = (performance.now() - closed.pausedAt) / 1000;
      await this.#stallOne();
    }
  }

  /** Waits until a resumed reader read its 4100, or went quiet with nothing more queued. */
  async #outcome(one: Stalled): Promise<void> {
    const deadline = performance.now() + OUTCOME_TIMEOUT_MS;
    let last = -1;
    let quietSince = performance.now();
    while (one.sink.code === undefined && one.sink.failure === undefined) {
      const now = performance.now();
      if (one.reader.bytesRead !== last) {
        last = one.reader.bytesRead;
        quietSince = now;
      } else if (now - quietSince >= QUIET_MS) break;
      if (now > deadline) throw new Error('a resumed stalled reader never caught up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (one.sink.failure !== undefined) throw one.sink.failure;
    if (one.sink.code === undefined) {
      if (one.closedAfterS !== undefined) {
        throw new Error('herald reported a 4100 close the stalled reader never received');
      }
      return;
    }
    if (one.sink.code !== 4100) {
      throw new Error(`a stalled reader was closed with ${one.sink.code}, not 4100`);
    }
    this.#closedOverCapacity++;
    this.#queuedBytes.push(one.reader.bytesRead - one.readBeforePause);
    if (one.closedAfterS !== undefined) this.#secondsToClose.push(one.closedAfterS);
  }
}

/** One phrase for the reports: how many stalled readers, how many closed, after what. */
export function describeStalls(stalls: StallSummary): string {
  const readers = `${stalls.opened} stalled reader${stalls.opened === 1 ? '' : 's'}`;
  if (stalls.closedOverCapacity === 0) return `${readers}, none closed within the slices`;
  const mib = median(stalls.queuedBytes) / 1024 / 1024;
  return (
    `${readers}, ${stalls.closedOverCapacity} closed with 4100 after a median ` +
    `${median(stalls.secondsToClose).toFixed(1)} s and ${mib.toFixed(1)} MiB queued for it ` +
    "(the kernel's socket buffers, then herald's 1 MiB)"
  );
}
