/**
 * The churn bench's knobs, from flags or `BENCH_*` environment variables (flags win). The
 * defaults take about a minute or two on a two-core machine.
 */
import { parseArgs } from 'node:util';
import { numberOption as number, UsageError } from './cli.js';

export interface ChurnOptions {
  /** Connect/subscribe/disconnect cycles in all. */
  readonly cycles: number;
  /** Cycles in flight at once. */
  readonly concurrency: number;
  /** Measurements of the server after the start: one every `cycles / samples` cycles. */
  readonly samples: number;
  /** Seed of the mix of channels, users, client events and closes. */
  readonly seed: number;
}

export const churnDefaults: ChurnOptions = {
  cycles: 100_000,
  concurrency: 50,
  samples: 20,
  seed: 1,
};

export const usage = `Usage: node dist/bench/churn.js [options]   (or: npm run bench:churn -- [options])

  --cycles N        connect/subscribe/disconnect cycles   (BENCH_CYCLES, default 100000)
  --concurrency N   cycles in flight at once, 1..1000     (BENCH_CONCURRENCY, default 50)
  --samples N       server measurements after the start   (BENCH_SAMPLES, default 20)
  --seed N          seed of the mix                       (BENCH_SEED, default 1)
  --help`;

const flags = {
  cycles: { type: 'string' },
  concurrency: { type: 'string' },
  samples: { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Undefined for `--help`; throws {@link UsageError} on a bad value. */
export function parseChurnOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ChurnOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help'>, variable: string) =>
    values[flag] ?? env[variable];
  const whole = (flag: Exclude<keyof typeof flags, 'help'>, min: number, max: number) => {
    const raw = pick(flag, `BENCH_${flag.toUpperCase()}`);
    const value = number(flag, raw, churnDefaults[flag], min, max);
    if (!Number.isInteger(value)) throw new UsageError(`--${flag} must be a whole number`);
    return value;
  };
  const cycles = whole('cycles', 1, 10_000_000);
  const samples = whole('samples', 2, 1000);
  if (samples > cycles) {
    throw new UsageError(`--samples (${samples}) cannot exceed --cycles (${cycles})`);
  }
  return {
    cycles,
    concurrency: whole('concurrency', 1, 1000),
    samples,
    seed: whole('seed', 0, 2 ** 32 - 1),
  };
}
