/**
 * The cluster bench's knobs, from flags or `BENCH_*` environment variables (flags win). The
 * defaults keep a run at about a minute.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './options.js';

export interface ClusterBenchOptions {
  /** Subscribers in all: on the one node, or split evenly over the two. */
  readonly subscribers: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly dataBytes: number;
  readonly redisUrl: string;
}

export const usage = `Usage: node dist/bench/cluster-fanout.js [options]

  --subscribers N   subscribers in all (split over the nodes)  (BENCH_SUBSCRIBERS, default 1000)
  --window N        triggers in flight at most, 1..1024        (BENCH_WINDOW, default 8)
  --warmup S        seconds of load before each slice          (BENCH_WARMUP, default 1)
  --duration S      seconds measured per slice                 (BENCH_DURATION, default 4)
  --rounds N        rounds of one slice per set-up             (BENCH_ROUNDS, default 5)
  --data-bytes N    size of each event's data                  (BENCH_DATA_BYTES, default 100)
  --redis-url URL   the cluster's Redis       (BENCH_REDIS_URL, default redis://127.0.0.1:6379)
  --help`;

const flags = {
  subscribers: { type: 'string' },
  window: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  'data-bytes': { type: 'string' },
  'redis-url': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function number(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

/** Undefined for `--help`; throws {@link UsageError} on a bad value. */
export function parseClusterOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ClusterBenchOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help'>, variable: string) =>
    values[flag] ?? env[variable];
  const redisUrl = pick('redis-url', 'BENCH_REDIS_URL') ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(redisUrl)) {
    throw new UsageError(`--redis-url must be a redis:// or rediss:// URL, got ${redisUrl}`);
  }
  return {
    subscribers: Math.round(
      number('subscribers', pick('subscribers', 'BENCH_SUBSCRIBERS'), 1000, 2, 100_000),
    ),
    window: Math.round(number('window', pick('window', 'BENCH_WINDOW'), 8, 1, 1024)),
    warmupMs: number('warmup', pick('warmup', 'BENCH_WARMUP'), 1, 0, 600) * 1000,
    durationMs: number('duration', pick('duration', 'BENCH_DURATION'), 4, 0.5, 600) * 1000,
    rounds: Math.round(number('rounds', pick('rounds', 'BENCH_ROUNDS'), 5, 1, 100)),
    dataBytes: Math.round(
      number('data-bytes', pick('data-bytes', 'BENCH_DATA_BYTES'), 100, 0, 8000),
    ),
    redisUrl,
  };
}
