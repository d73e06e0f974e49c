/**
 * The set-ups of the cluster bench under the windowed load of load.ts:
 *
 * - `single`: one herald with the local adapter, every subscriber on it;
 * - `cluster`: two herald nodes on Redis, half the subscribers on each, every trigger sent to
 *   the first, so the second node's subscribers are served through Redis;
 * - `baseline`: the minimal `ws` server of baseline-server.ts, every subscriber on it.
 *
 * A trigger completes when every subscriber of the set-up has it. Completion by position holds
 * across nodes: the first node publishes to Redis in the order it delivers locally, and Redis
 * relays one connection's messages in order.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { targetOn } from './fanout-run.js';
import { LatencyHistogram } from './histogram.js';
import { FanoutLoad } from './load.js';
import { channelName } from './message.js';
import { otherCpu, startMeter } from './meter.js';
import { ServerProcess } from './server-process.js';
import { Subscribers, type DeliverySink } from './subscribers.js';
import { triggerClient, type TriggerClient } from './trigger.js';

export type Setup = 'single' | 'cluster' | 'baseline';

export interface NodeLatency {
  readonly subscribers: number;
  readonly p50: number;
  readonly p99: number;
}

export interface ClusterSliceResult {
  readonly setup: Setup;
  readonly seconds: number;
  readonly deliveriesPerSecond: number;
  readonly triggersPerSecond: number;
  /** Trigger sent → frame received, in ms, over every subscriber. */
  readonly latency: { p50: number; p99: number; max: number };
  /** The same per node: the node the triggers go to first, then the other. */
  readonly nodes: readonly NodeLatency[];
  /** CPU time of all server processes over wall time (2 = two cores' worth). */
  readonly serverCpu: number;
  /** The busiest server event loop's share of the slice. */
  readonly serverLoop: number;
  /** redis-server CPU over wall time (`INFO cpu`): the cluster's cost in Redis. */
  readonly redisCpu: number | undefined;
  readonly benchCpu: number;
  /** Everything else on the machine, in cores (Linux only). */
  readonly otherCpu: number | undefined;
}

export interface ClusterLoadOptions {
  readonly subscribers: number;
  readonly window: number;
  readonly dataBytes: number;
  readonly redisUrl: string;
}

const nodeFile = new URL('./cluster-node.js', import.meta.url);

/** Per-node latency on top of the shared load, which counts completions for both nodes. */
class NodeSink implements DeliverySink {
  readonly histogram = new LatencyHistogram();
  measuring = false;

  constructor(private readonly channel: DeliverySink) {}

  delivered(position: number, sentAt: number, receivedAt: number): void {
    if (this.measuring) this.histogram.record(receivedAt - sentAt);
    this.channel.delivered(position, sentAt, receivedAt);
  }

  fail(error: Error): void {
    this.channel.fail(error);
  }
}

/** redis-server's own CPU seconds so far (user + system), or undefined if Redis will not say. */
async function redisCpuSeconds(redis: Redis): Promise<number | undefined> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  const total = field('used_cpu_user') + field('used_cpu_sys');
  return Number.isFinite(total) ? total : undefined;
}

/** Whether a Redis answers `PING` on `url` within a couple of seconds (no retries). */
export async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // The failed ping below is the answer; this only keeps the error from being thrown.
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export class ClusterTarget {
  readonly setup: Setup;
  readonly #servers: ServerProcess[];
  readonly #subscribers: Subscribers[];
  readonly #sinks: NodeSink[];
  readonly #trigger: TriggerClient;
  readonly #load: FanoutLoad;
  readonly #redis: Redis;

  private constructor(
    setup: Setup,
    servers: ServerProcess[],
    subscribers: Subscribers[],
    trigger: TriggerClient,
    load: FanoutLoad,
    redis: Redis,
  ) {
    this.setup = setup;
    this.#servers = servers;
    this.#subscribers = subscribers;
    this.#trigger = trigger;
    this.#load = load;
    this.#redis = redis;
    this.#sinks = subscribers.map((group) => {
      const sink = new NodeSink(load.channel(0));
      group.listen(sink);
      return sink;
    });
  }

  /** Starts the set-up's processes and connects (and subscribes) every subscriber. */
  static async open(setup: Setup, options: ClusterLoadOptions): Promise<ClusterTarget> {
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const servers: ServerProcess[] = [];
    const subscribers: Subscribers[] = [];
    try {
      if (setup !== 'cluster') {
        servers.push(await ServerProcess.start(setup === 'single' ? 'herald' : 'baseline'));
      } else {
        const args = [
          options.redisUrl,
          `herald-bench-${randomUUID()}`,
          randomBytes(16).toString('hex'),
        ];
        for (let i = 0; i < 2; i++) {
          servers.push(await ServerProcess.start('herald', [], { file: nodeFile, args }));
        }
      }
      const shares = servers.map(
        (_, i) =>
          Math.floor(options.subscribers / servers.length) +
          (i === 0 ? options.subscribers % servers.length : 0),
      );
      for (const [i, server] of servers.entries()) {
        const target = targetOn(server, channelName(0, 1), false);
        subscribers.push(await Subscribers.open(target, shares[i]!));
      }
      const trigger = triggerClient(servers[0]!, options.window);
      const load = new FanoutLoad(
        {
          subscribers: options.subscribers,
          channels: 1,
          pacing: { kind: 'window', window: options.window },
          dataBytes: options.dataBytes,
        },
        trigger,
      );
      return new ClusterTarget(setup, servers, subscribers, trigger, load, redis);
    } catch (error) {
      await Promise.allSettled(subscribers.map((group) => group.close()));
      await Promise.allSettled(servers.map((server) => server.stop()));
      redis.disconnect();
      throw error;
    }
  }

  /** Loads the set-up for `warmupMs`, measures `durationMs`, then lets the window drain. */
  measure(warmupMs: number, durationMs: number): Promise<ClusterSliceResult> {
    const load = this.#load;
    return load.loaded(async () => {
      await sleep(warmupMs);
      const redisBefore = await redisCpuSeconds(this.#redis);
      const stop = await startMeter(this.#servers);
      for (const sink of this.#sinks) {
        sink.histogram.reset();
        sink.measuring = true;
      }
      load.startMeasuring();
      await sleep(durationMs);
      load.stopMeasuring();
      for (const sink of this.#sinks) sink.measuring = false;
      const usage = await stop();
      const redisAfter = await redisCpuSeconds(this.#redis);
      const { seconds } = usage;
      const redisCpu =
        redisBefore === undefined || redisAfter === undefined
          ? undefined
          : (redisAfter - redisBefore) / seconds;
      const { histogram } = load;
      return {
        setup: this.setup,
        seconds,
        deliveriesPerSecond: load.deliveries / seconds,
        triggersPerSecond: load.triggers / seconds,
        latency: {
          p50: histogram.percentile(0.5),
          p99: histogram.percentile(0.99),
          max: histogram.max,
        },
        nodes: this.#sinks.map((sink, i) => ({
          subscribers: this.#subscribers[i]!.size,
          p50: sink.histogram.percentile(0.5),
          p99: sink.histogram.percentile(0.99),
        })),
        serverCpu: usage.servers.reduce((sum, server) => sum + server.cpu, 0),
        serverLoop: Math.max(...usage.servers.map((server) => server.loop)),
        redisCpu,
        benchCpu: usage.benchCpu,
        otherCpu: otherCpu(usage, redisCpu ?? 0),
      };
    });
  }

  /** Disconnects the subscribers and stops the processes (the nodes leave the cluster). */
  async close(): Promise<void> {
    try {
      await Promise.all(this.#subscribers.map((group) => group.close()));
      this.#trigger.close();
    } finally {
      await Promise.allSettled(this.#servers.map((server) => server.stop()));
      this.#redis.disconnect();
    }
  }
}
