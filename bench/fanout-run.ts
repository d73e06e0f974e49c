/**
 * One server under the fan-out load: its process, its subscribers spread over the channels, a
 * trigger client, and the load of load.ts, measured in slices. The server stays up for the
 * whole bench while slices alternate between set-ups.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { channelOf, FanoutLoad, type LoadOptions } from './load.js';
import { channelName } from './message.js';
import { otherCpu, startMeter } from './meter.js';
import { ServerProcess, type ServerKind } from './server-process.js';
import { Subscribers, type SubscriberTarget } from './subscribers.js';
import { triggerClient, type TriggerClient } from './trigger.js';

export interface TargetOptions extends LoadOptions {
  /** Node flags for the server process (e.g. `--cpu-prof`). */
  readonly serverExecArgv: readonly string[];
  /**
   * Connect the subscribers before each slice and close them after it, so only one set-up holds
   * sockets at a time: for more subscribers than the bench's file-descriptor limit allows for
   * every set-up at once. Costs the handshakes and the server's settling per slice.
   */
  readonly connectEachSlice: boolean;
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
  /** CPU used by everything else on the machine, in cores (Linux only); see meter.ts. */
  readonly otherCpu: number | undefined;
}

/** Something that runs alongside the load of one slice (the stalled reader). */
export interface SliceCompanion {
  /** When the load starts, before the warm-up. */
  start(): Promise<void>;
  /** Once the measured part is over and the triggers in flight were delivered. */
  finish(): Promise<void>;
}

/**
 * How a subscriber reaches `channel` on `server`. herald: the Pusher handshake. The baseline:
 * with `routed`, the same handshake on `/channels` (it keeps a socket set per channel);
 * without, any socket on `/` gets every event, with nothing parsed (the one-channel fast path).
 */
export function targetOn(
  server: ServerProcess,
  channel: string,
  routed: boolean,
): SubscriberTarget {
  if (server.app !== undefined) {
    const path = `/app/${server.app.key}?protocol=7&client=bench&version=1.0`;
    return { port: server.port, path, channel, pusher: true };
  }
  return routed
    ? { port: server.port, path: '/channels', channel, pusher: true }
    : { port: server.port, path: '/', channel, pusher: false };
}

/**
 * A started server with its subscribers, ready to be measured again and again. The subscribers
 * stay connected for the whole run, or with `connectEachSlice` only while a slice runs.
 */
export class FanoutTarget {
  readonly server: ServerProcess;
  readonly #options: TargetOptions;
  readonly #trigger: TriggerClient;
  #subscribers: Subscribers | undefined;
  #load: FanoutLoad | undefined;

  private constructor(server: ServerProcess, options: TargetOptions) {
    this.server = server;
    this.#options = options;
    // Open loop: triggers queue on the agent when the server is slow, as they would on a client.
    const sockets = options.pacing.kind === 'window' ? options.pacing.window : 32;
    this.#trigger = triggerClient(server, sockets);
  }

  /** Forks the server and, unless `connectEachSlice`, connects (and subscribes) everyone. */
  static async open(kind: ServerKind, options: TargetOptions): Promise<FanoutTarget> {
    const target = new FanoutTarget(
      await ServerProcess.start(kind, options.serverExecArgv),
      options,
    );
    try {
      if (!options.connectEachSlice) await target.#connect();
      return target;
    } catch (error) {
      await target.close();
      throw error;
    }
  }

  static #target(server: ServerProcess, options: LoadOptions, channel: number): SubscriberTarget {
    return targetOn(server, channelName(channel, options.channels), options.channels > 1);
  }

  /** Where another subscriber of channel `index` connects (the stalled reader). */
  subscriberTarget(index: number): SubscriberTarget {
    return FanoutTarget.#target(this.server, this.#options, index);
  }

  /** A fresh load for fresh subscribers: every subscriber's first frame is position 0. */
  async #connect(): Promise<FanoutLoad> {
    const options = this.#options;
    const subscribers = await Subscribers.open(
      (i) => FanoutTarget.#target(this.server, options, channelOf(i, options.channels)),
      options.subscribers,
    );
    const load = new FanoutLoad(options, this.#trigger);
    subscribers.listen((i) => load.channel(channelOf(i, options.channels)));
    this.#subscribers = subscribers;
    this.#load = load;
    return load;
  }

  async #disconnect(): Promise<void> {
    const subscribers = this.#subscribers;
    this.#subscribers = undefined;
    this.#load = undefined;
    await subscribers?.close();
  }

  /**
   * Starts `companion` with the load, loads the server for `warmupMs`, measures `durationMs`,
   * lets the window drain, then finishes the companion.
   */
  async measure(
    warmupMs: number,
    durationMs: number,
    companion?: SliceCompanion,
  ): Promise<SliceResult> {
    const load = this.#load ?? (await this.#connect());
    const { server } = this;
    const result = await load.loaded(async () => {
      await companion?.start();
      await sleep(warmupMs);
      const stop = await startMeter([server]);
      load.startMeasuring();
      await sleep(durationMs);
      load.stopMeasuring();
      return { usage: await stop(), deliveries: load.deliveries, triggers: load.triggers };
    });
    await companion?.finish();
    if (this.#options.connectEachSlice) {
      await this.#disconnect();
      await server.settle();
    }
    const { usage, deliveries, triggers } = result;
    const { seconds } = usage;
    const serverUsage = usage.servers[0]!;
    const { histogram } = load;
    const writes = serverUsage.writeCalls;
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
      serverLoop: serverUsage.loop,
      serverCpu: serverUsage.cpu,
      serverRssMb: serverUsage.rssMb,
      framesPerWrite: writes === undefined || writes === 0 ? undefined : deliveries / writes,
      benchLoop: usage.benchLoop,
      benchCpu: usage.benchCpu,
      otherCpu: otherCpu(usage),
    };
  }

  /** Disconnects the subscribers and stops the server process. */
  async close(): Promise<void> {
    try {
      await this.#disconnect();
      this.#trigger.close();
    } finally {
      await this.server.stop();
    }
  }
}
