/**
 * One server under load: its process, its subscribers, a trigger client, and the windowed load
 * that is measured in slices. Both servers stay up for the whole bench and the slices alternate
 * between them, so a neighbour that steals CPU for a few seconds hits both alike.
 *
 * "As fast as deliveries keep up": a trigger is in flight from the moment it is sent until every
 * subscriber received it, and a new one is sent whenever fewer than `window` are in flight. The
 * server therefore always has work queued, and a slow server gets fewer triggers rather than an
 * ever-growing backlog, so latency stays meaningful at full throughput.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from './histogram.js';
import { busyCores, machineCpu } from './machine-cpu.js';
import { triggerBody } from './message.js';
import { ServerProcess, type ServerKind } from './server-process.js';
import { Subscribers, type DeliverySink, type SubscriberTarget } from './subscribers.js';
import { triggerClient, type TriggerClient } from './trigger.js';

export interface LoadOptions {
  readonly subscribers: number;
  /** Triggers in flight at most (1..1024). */
  readonly window: number;
  /** Approximate size of each event's `data`, in bytes. */
  readonly dataBytes: number;
  /** Node flags for the server process (e.g. `--cpu-prof`). */
  readonly serverExecArgv: readonly string[];
}

export interface SliceResult {
  readonly server: ServerKind;
  readonly seconds: number;
  readonly deliveries: number;
  readonly deliveriesPerSecond: number;
  readonly triggersPerSecond: number;
  /** Trigger sent → frame received by a subscriber, in ms. */
  readonly latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Share of wall time the server's event loop was busy (1 = saturated). */
  readonly serverLoop: number;
  /** Server CPU time over wall time (can exceed 1: GC and I/O threads count). */
  readonly serverCpu: number;
  readonly serverRssMb: number;
  /** Frames delivered per write system call of the server (Linux only). */
  readonly framesPerWrite: number | undefined;
  /** The same two for the bench process (subscribers and trigger client). */
  readonly benchLoop: number;
  readonly benchCpu: number;
  /**
   * CPU used by everything else on the machine, in cores (Linux only): the kernel's own share of
   * loopback TCP and any neighbour. Much above zero means the slice competed for the cores.
   */
  readonly otherCpu: number | undefined;
}

/** The ring of per-trigger outstanding delivery counts; must exceed the largest window. */
const RING = 2048;
const STALL_LIMIT_S = 10;
const DRAIN_TIMEOUT_MS = 10_000;

export class WindowedLoad implements DeliverySink {
  readonly #options: LoadOptions;
  readonly #trigger: TriggerClient;
  readonly #remaining = new Int32Array(RING);
  readonly histogram = new LatencyHistogram();
  #seq = 0;
  #inFlight = 0;
  #completed = 0;
  #sending = false;
  #measuring = false;
  deliveries = 0;
  triggers = 0;
  /** The first failure; once set, every later slice fails with it. */
  #failure: Error | undefined;
  #reject: ((error: Error) => void) | undefined;
  #drained: (() => void) | undefined;

  constructor(options: LoadOptions, trigger: TriggerClient) {
    this.#options = options;
    this.#trigger = trigger;
  }

  get completed(): number {
    return this.#completed;
  }

  /**
   * Completion is tracked by position, not by the event's seq: the k-th frame every subscriber
   * receives is the same trigger (each server fans a trigger out to all before the next one),
   * though not always the k-th sent, since triggers race over several keep-alive connections.
   */
  delivered(position: number, sentAt: number, receivedAt: number): void {
    if (this.#measuring) {
      this.deliveries++;
      this.histogram.record(receivedAt - sentAt);
    }
    if (--this.#remaining[position % RING]! !== 0) return;
    this.#inFlight--;
    this.#completed++;
    if (this.#sending) this.#pump();
    else if (this.#inFlight === 0) this.#drained?.();
  }

  fail(error: Error): void {
    this.#failure ??= error;
    this.#sending = false;
    this.#reject?.(this.#failure);
  }

  /** Runs `body` with the load on; rejects as soon as a delivery fails or the load stalls. */
  async loaded<T>(body: () => Promise<T>): Promise<T> {
    if (this.#failure !== undefined) throw this.#failure;
    const failed = new Promise<never>((_, reject) => (this.#reject = reject));
    let last = -1;
    let stalled = 0;
    const watchdog = setInterval(() => {
      if (this.#completed !== last) {
        last = this.#completed;
        stalled = 0;
      } else if (++stalled >= STALL_LIMIT_S) {
        this.fail(new Error(`no trigger completed for ${STALL_LIMIT_S} s: deliveries were lost`));
      }
    }, 1000);
    this.#sending = true;
    this.#pump();
    try {
      return await Promise.race([failed, body().then((value) => this.#drain().then(() => value))]);
    } finally {
      this.#reject = undefined;
      this.#sending = false;
      clearInterval(watchdog);
    }
  }

  startMeasuring(): void {
    this.histogram.reset();
    this.deliveries = 0;
    this.triggers = 0;
    this.#measuring = true;
  }

  stopMeasuring(): void {
    this.#measuring = false;
  }

  #pump(): void {
    while (this.#sending && this.#inFlight < this.#options.window) {
      const seq = this.#seq++;
      this.#remaining[seq % RING] = this.#options.subscribers;
      this.#inFlight++;
      if (this.#measuring) this.triggers++;
      const body = triggerBody(seq, performance.now(), this.#options.dataBytes);
      this.#trigger.send(body).catch((error: Error) => this.fail(error));
    }
  }

  /** Stops sending and waits for the triggers in flight, so the next slice starts quiet. */
  async #drain(): Promise<void> {
    this.#sending = false;
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

/** A started server with its subscribers connected, ready to be measured again and again. */
export class FanoutTarget {
  readonly server: ServerProcess;
  readonly #subscribers: Subscribers;
  readonly #trigger: TriggerClient;
  readonly #load: WindowedLoad;

  private constructor(
    server: ServerProcess,
    subscribers: Subscribers,
    trigger: TriggerClient,
    load: WindowedLoad,
  ) {
    this.server = server;
    this.#subscribers = subscribers;
    this.#trigger = trigger;
    this.#load = load;
  }

  /** Forks the server and connects (and, for herald, subscribes) every subscriber. */
  static async open(kind: ServerKind, options: LoadOptions): Promise<FanoutTarget> {
    const server = await ServerProcess.start(kind, options.serverExecArgv);
    try {
      const target: SubscriberTarget =
        kind === 'herald'
          ? {
              port: server.port,
              path: `/app/${server.app!.key}?protocol=7&client=bench&version=1.0`,
              pusher: true,
            }
          : { port: server.port, path: '/', pusher: false };
      const subscribers = await Subscribers.open(target, options.subscribers);
      const trigger = triggerClient(server, options.window);
      const load = new WindowedLoad(options, trigger);
      subscribers.listen(load);
      return new FanoutTarget(server, subscribers, trigger, load);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** Loads the server for `warmupMs`, measures `durationMs`, then lets the window drain. */
  measure(warmupMs: number, durationMs: number): Promise<SliceResult> {
    const load = this.#load;
    const { server } = this;
    return load.loaded(async () => {
      await sleep(warmupMs);
      const serverBefore = await server.stats();
      const machineBefore = machineCpu();
      const cpuBefore = process.cpuUsage();
      const loopBefore = performance.eventLoopUtilization();
      load.startMeasuring();
      const start = performance.now();
      await sleep(durationMs);
      load.stopMeasuring();
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const loop = performance.eventLoopUtilization(loopBefore);
      const machine = busyCores(machineBefore, machineCpu(), availableParallelism());
      const serverAfter = await server.stats();
      const { deliveries, triggers, histogram } = load;

      const serverWallMs =
        serverAfter.loopActiveMs +
        serverAfter.loopIdleMs -
        serverBefore.loopActiveMs -
        serverBefore.loopIdleMs;
      const serverCpu = (serverAfter.cpuMicros - serverBefore.cpuMicros) / 1000 / serverWallMs;
      const benchCpu = (cpu.user + cpu.system) / 1000 / (seconds * 1000);
      const writes =
        serverAfter.writeCalls === undefined || serverBefore.writeCalls === undefined
          ? undefined
          : serverAfter.writeCalls - serverBefore.writeCalls;
      return {
        server: server.kind,
        seconds,
        deliveries,
        deliveriesPerSecond: deliveries / seconds,
        triggersPerSecond: triggers / seconds,
        latency: {
          p50: histogram.percentile(0.5),
          p90: histogram.percentile(0.9),
          p99: histogram.percentile(0.99),
          max: histogram.max,
          mean: histogram.mean,
        },
        serverLoop: (serverAfter.loopActiveMs - serverBefore.loopActiveMs) / serverWallMs,
        serverCpu,
        serverRssMb: serverAfter.rssBytes / 1024 / 1024,
        framesPerWrite: writes === undefined || writes === 0 ? undefined : deliveries / writes,
        benchLoop: loop.utilization,
        benchCpu,
        otherCpu: machine === undefined ? undefined : Math.max(0, machine - serverCpu - benchCpu),
      };
    });
  }

  /** Disconnects the subscribers and stops the server process. */
  async close(): Promise<void> {
    try {
      await this.#subscribers.close();
      this.#trigger.close();
    } finally {
      await this.server.stop();
    }
  }
}
