/**
 * The fan-out bench's knobs, from flags or from `BENCH_*` environment variables (flags win). The
 * defaults keep a full run a little over a minute.
 */
import { parseArgs } from 'node:util';
import { numberOption, parsePin, parseServers, UsageError } from './cli.js';
import type { Pacing } from './load.js';
import type { PinSetting } from './pinning.js';
import type { ServerKind } from './server-process.js';

export interface BenchOptions {
  /** Subscribers in all, spread evenly over the channels. */
  readonly subscribers: number;
  readonly channels: number;
  /** A window of triggers in flight (closed loop) or a fixed rate (open loop). */
  readonly pacing: Pacing;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly rounds: number;
  readonly dataBytes: number;
  /** The servers to start, the reference (baseline) first. */
  readonly servers: readonly ServerKind[];
  /** Measure herald alone, with and without a subscriber that stops reading. */
  readonly stalledReader: boolean;
  readonly pin: PinSetting;
  /** When set, each server process writes a V8 CPU profile here. */
  readonly cpuProfDir: string | undefined;
}

export const usage = `Usage: node dist/bench/fanout.js [options]   (or: npm run bench -- [options])

  --subscribers N   subscribers in all, spread over the channels  (BENCH_SUBSCRIBERS, default 1000)
  --channels N      channels; triggers go round-robin over them   (BENCH_CHANNELS, default 1)
  --window N        triggers in flight at most, 1..1024           (BENCH_WINDOW, default 8)
  --rate N          instead of a window: N triggers/s, open loop  (BENCH_RATE)
  --warmup S        seconds of load before each slice             (BENCH_WARMUP, default 1)
  --duration S      seconds measured per slice                    (BENCH_DURATION, default 4)
  --rounds N        rounds of one slice per set-up                (BENCH_ROUNDS, default 6)
  --data-bytes N    size of each event's data                     (BENCH_DATA_BYTES, default 100)
  --only SERVER     run only herald or baseline                   (BENCH_ONLY)
  --stalled-reader  herald alone, without and with a subscriber that stops reading
                                                                  (BENCH_STALLED_READER=1)
  --pin MODE        auto: pin processes to cores with taskset; off (BENCH_PIN, default auto)
  --cpu-prof-dir D  write a CPU profile per server to D           (BENCH_CPU_PROF_DIR)
  --help`;

const flags = {
  subscribers: { type: 'string' },
  channels: { type: 'string' },
  window: { type: 'string' },
  rate: { type: 'string' },
  warmup: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  'data-bytes': { type: 'string' },
  only: { type: 'string' },
  'stalled-reader': { type: 'boolean' },
  pin: { type: 'string' },
  'cpu-prof-dir': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Slices stay under ws's 30 s close timeout, after which a closed stalled reader's queue is lost. */
const STALLED_SLICE_LIMIT_S = 25;

/** Returns undefined for `--help`; throws {@link UsageError} on a bad value. */
export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): BenchOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help' | 'stalled-reader'>, variable: string) =>
    values[flag] ?? env[variable];
  const servers = parseServers(pick('only', 'BENCH_ONLY'));
  const stalledReader = values['stalled-reader'] === true || env.BENCH_STALLED_READER === '1';
  if (stalledReader && !servers.includes('herald')) {
    throw new UsageError('--stalled-reader measures herald: the baseline has no send-buffer cap');
  }
  const subscribers = Math.round(
    numberOption('subscribers', pick('subscribers', 'BENCH_SUBSCRIBERS'), 1000, 1, 100_000),
  );
  const channels = Math.round(
    numberOption('channels', pick('channels', 'BENCH_CHANNELS'), 1, 1, 10_000),
  );
  if (channels > subscribers) {
    throw new UsageError(`--channels (${channels}) cannot exceed --subscribers (${subscribers})`);
  }
  const rawWindow = pick('window', 'BENCH_WINDOW');
  const rawRate = pick('rate', 'BENCH_RATE');
  if (rawWindow !== undefined && rawRate !== undefined) {
    throw new UsageError('--window and --rate exclude each other: a window or a fixed rate');
  }
  const pacing: Pacing =
    rawRate === undefined
      ? { kind: 'window', window: Math.round(numberOption('window', rawWindow, 8, 1, 1024)) }
      : { kind: 'rate', perSecond: numberOption('rate', rawRate, 0, 1, 100_000) };
  const warmupMs = numberOption('warmup', pick('warmup', 'BENCH_WARMUP'), 1, 0, 600) * 1000;
  const durationMs =
    numberOption('duration', pick('duration', 'BENCH_DURATION'), 4, 0.5, 600) * 1000;
  if (stalledReader && warmupMs + durationMs > STALLED_SLICE_LIMIT_S * 1000) {
    throw new UsageError(
      `with --stalled-reader, --warmup plus --duration must stay under ${STALLED_SLICE_LIMIT_S} s`,
    );
  }
  return {
    subscribers,
    channels,
    pacing,
    warmupMs,
    durationMs,
    rounds: Math.round(numberOption('rounds', pick('rounds', 'BENCH_ROUNDS'), 6, 1, 100)),
    dataBytes: Math.round(
      numberOption('data-bytes', pick('data-bytes', 'BENCH_DATA_BYTES'), 100, 0, 8000),
    ),
    servers: stalledReader ? ['herald'] : servers,
    stalledReader,
    pin: parsePin(pick('pin', 'BENCH_PIN')),
    cpuProfDir: pick('cpu-prof-dir', 'BENCH_CPU_PROF_DIR'),
  };
}
