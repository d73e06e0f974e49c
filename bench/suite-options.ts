/**
 * The report suite's knobs, from flags or `BENCH_*` environment variables (flags win). The
 * defaults are the reduced ones that keep the whole report near ten minutes on two cores.
 */
import { parseArgs } from 'node:util';
import { numberOption, parsePin, parseRedisUrl, UsageError } from './cli.js';
import type { SuiteContext } from './suite-scenarios.js';

export interface SuiteOptions extends SuiteContext {
  /** Scenario ids to run; empty: all. */
  readonly only: readonly string[];
  /** Where the JSON report goes (the Markdown goes next to it, as `.md`). */
  readonly out: string;
}

export const usage = `Usage: node dist/bench/suite.js [options]   (or: npm run bench:report -- [options])

  --rounds N        rounds of one slice per set-up           (BENCH_ROUNDS, default 5)
  --warmup S        seconds of load before each slice        (BENCH_WARMUP, default 1)
  --duration S      seconds measured per slice               (BENCH_DURATION, default 4)
  --rate N          triggers/s of the fixed-rate scenario    (BENCH_RATE, default 50)
  --connections N   connections per connection-rate slice    (BENCH_CONNECTIONS, default 2000)
  --idle-connections N  idle connections per server, idle memory (BENCH_IDLE_CONNECTIONS, default 10000)
  --churn-cycles N  cycles of the churn scenario             (BENCH_CHURN_CYCLES, default 100000)
  --redis-url URL   Redis of the two-node scenario (BENCH_REDIS_URL, default redis://127.0.0.1:6379)
  --pin MODE        auto: pin processes to cores with taskset; off  (BENCH_PIN, default auto)
  --only IDS        comma-separated scenario ids (default: all)
  --out FILE        JSON report; the Markdown goes next to it  (default .bench/report.json)
  --help`;

const flags = {
  rounds: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  'idle-connections': { type: 'string' },
  'churn-cycles': { type: 'string' },
  'redis-url': { type: 'string' },
  pin: { type: 'string' },
  only: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Undefined for `--help`; throws {@link UsageError} on a bad value or an unknown scenario. */
export function parseSuiteOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  ids: readonly string[],
): SuiteOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help'>, variable: string) =>
    values[flag] ?? env[variable];
  const redisUrl = parseRedisUrl(pick('redis-url', 'BENCH_REDIS_URL'));
  const only = values.only === undefined ? [] : values.only.split(',').map((id) => id.trim());
  const unknown = only.filter((id) => !ids.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scenario ${unknown.join(', ')}; known: ${ids.join(', ')}`);
  }
  return {
    rounds: Math.round(numberOption('rounds', pick('rounds', 'BENCH_ROUNDS'), 5, 1, 100)),
    warmupMs: numberOption('warmup', pick('warmup', 'BENCH_WARMUP'), 1, 0, 600) * 1000,
    // At most 20 s: the stalled-reader slices must stay under ws's 30 s close timeout.
    durationMs: numberOption('duration', pick('duration', 'BENCH_DURATION'), 4, 0.5, 20) * 1000,
    rate: numberOption('rate', pick('rate', 'BENCH_RATE'), 50, 1, 100_000),
    connections: Math.round(
      numberOption('connections', pick('connections', 'BENCH_CONNECTIONS'), 2000, 1, 15_000),
    ),
    idleConnections: Math.round(
      numberOption(
        'idle-connections',
        pick('idle-connections', 'BENCH_IDLE_CONNECTIONS'),
        10_000,
        1,
        15_000,
      ),
    ),
    churnCycles: Math.round(
      numberOption('churn-cycles', pick('churn-cycles', 'BENCH_CHURN_CYCLES'), 100_000, 100, 1e6),
    ),
    redisUrl,
    pin: parsePin(pick('pin', 'BENCH_PIN')),
    only,
    out: values.out ?? '.bench/report.json',
  };
}
