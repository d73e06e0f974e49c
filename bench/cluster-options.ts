/**
 * The cluster bench's knobs, from flags or `BENCH_*` environment variables (flags win). The
 * defaults keep a run at about a minute.
 */
import { parseArgs } from 'node:util';
import { numberOption, parsePin, parseRedisUrl } from './cli.js';
import type { Setup } from './cluster-run.js';
import type { PinSetting } from './pinning.js';

export interface ClusterBenchOptions {
  /** Subscribers in all: on the one server, or split evenly over the two nodes. */
  readonly subscribers: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly dataBytes: number;
  readonly redisUrl: string;
  /** The set-ups measured, `cluster` always among them. */
  readonly setups: readonly Setup[];
  readonly pin: PinSetting;
}

export const usage = `Usage: node dist/bench/cluster-fanout.js [options]

  --subscribers N   subscribers in all (split over the nodes)  (BENCH_SUBSCRIBERS, default 1000)
  --window N        triggers in flight at most, 1..1024        (BENCH_WINDOW, default 8)
  --warmup S        seconds of load before each slice          (BENCH_WARMUP, default 1)
  --duration S      seconds measured per slice                 (BENCH_DURATION, default 4)
  --rounds N        rounds of one slice per set-up             (BENCH_ROUNDS, default 5)
  --data-bytes N    size of each event's data                  (BENCH_DATA_BYTES, default 100)
  --redis-url URL   the cluster's Redis       (BENCH_REDIS_URL, default redis://127.0.0.1:6379)
  --baseline        also measure the minimal ws server         (BENCH_BASELINE=1)
  --pin MODE        auto: pin processes to cores with taskset; off  (BENCH_PIN, default auto)
  --help`;

const flags = {
  subscribers: { type: 'string' },
  window: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  'data-bytes': { type: 'string' },
  'redis-url': { type: 'string' },
  baseline: { type: 'boolean' },
  pin: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Undefined for `--help`; throws a `UsageError` on a bad value. */
export function parseClusterOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ClusterBenchOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help' | 'baseline'>, variable: string) =>
    values[flag] ?? env[variable];
  const redisUrl = parseRedisUrl(pick('redis-url', 'BENCH_REDIS_URL'));
  const baseline = values.baseline === true || env.BENCH_BASELINE === '1';
  return {
    subscribers: Math.round(
      numberOption('subscribers', pick('subscribers', 'BENCH_SUBSCRIBERS'), 1000, 2, 100_000),
    ),
    window: Math.round(numberOption('window', pick('window', 'BENCH_WINDOW'), 8, 1, 1024)),
    warmupMs: numberOption('warmup', pick('warmup', 'BENCH_WARMUP'), 1, 0, 600) * 1000,
    durationMs: numberOption('duration', pick('duration', 'BENCH_DURATION'), 4, 0.5, 600) * 1000,
    rounds: Math.round(numberOption('rounds', pick('rounds', 'BENCH_ROUNDS'), 5, 1, 100)),
    dataBytes: Math.round(
      numberOption('data-bytes', pick('data-bytes', 'BENCH_DATA_BYTES'), 100, 0, 8000),
    ),
    redisUrl,
    setups: baseline ? ['baseline', 'single', 'cluster'] : ['single', 'cluster'],
    pin: parsePin(pick('pin', 'BENCH_PIN')),
  };
}
