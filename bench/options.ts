/**
 * The bench's knobs, from flags or from `BENCH_*` environment variables (flags win). The defaults
 * keep a full run a little over a minute.
 */
import { parseArgs } from 'node:util';
import type { ServerKind } from './server-process.js';

export interface BenchOptions {
  readonly subscribers: number;
  readonly window: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly dataBytes: number;
  readonly servers: readonly ServerKind[];
  /** When set, each server process writes a V8 CPU profile here. */
  readonly cpuProfDir: string | undefined;
}

export const usage = `Usage: node dist/bench/fanout.js [options]   (or: npm run bench -- [options])

  --subscribers N   subscribers on the channel            (BENCH_SUBSCRIBERS, default 1000)
  --window N        triggers in flight at most, 1..1024   (BENCH_WINDOW, default 8)
  --warmup S        seconds of load before each slice     (BENCH_WARMUP, default 1)
  --duration S      seconds measured per slice            (BENCH_DURATION, default 4)
  --rounds N        rounds of one slice per server        (BENCH_ROUNDS, default 6)
  --data-bytes N    size of each event's data             (BENCH_DATA_BYTES, default 100)
  --only SERVER     run only herald or baseline           (BENCH_ONLY)
  --cpu-prof-dir D  write a CPU profile per server to D   (BENCH_CPU_PROF_DIR)
  --help`;

const flags = {
  subscribers: { type: 'string' },
  window: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  'data-bytes': { type: 'string' },
  only: { type: 'string' },
  'cpu-prof-dir': { type: 'string' },
  help: { type: 'boolean' },
} as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The value of `--name` (or its variable), or `fallback`; a {@link UsageError} unless within [min, max]. */
export function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

/** Returns undefined for `--help`; throws {@link UsageError} on a bad value. */
export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): BenchOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: keyof typeof flags, variable: string) => {
    const value = values[flag];
    return typeof value === 'string' ? value : env[variable];
  };
  const only = pick('only', 'BENCH_ONLY');
  if (only !== undefined && only !== 'herald' && only !== 'baseline') {
    throw new UsageError(`--only must be herald or baseline, got ${only}`);
  }
  return {
    subscribers: Math.round(
      number('subscribers', pick('subscribers', 'BENCH_SUBSCRIBERS'), 1000, 1, 100_000),
    ),
    window: Math.round(number('window', pick('window', 'BENCH_WINDOW'), 8, 1, 1024)),
    warmupMs: number('warmup', pick('warmup', 'BENCH_WARMUP'), 1, 0, 600) * 1000,
    durationMs: number('duration', pick('duration', 'BENCH_DURATION'), 4, 0.5, 600) * 1000,
    rounds: Math.round(number('rounds', pick('rounds', 'BENCH_ROUNDS'), 6, 1, 100)),
    dataBytes: Math.round(
      number('data-bytes', pick('data-bytes', 'BENCH_DATA_BYTES'), 100, 0, 8000),
    ),
    servers: only === undefined ? ['baseline', 'herald'] : [only],
    cpuProfDir: pick('cpu-prof-dir', 'BENCH_CPU_PROF_DIR'),
  };
}
