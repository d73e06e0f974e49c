/**
 * The idle-memory bench's knobs, from flags or `BENCH_*` environment variables (flags win). The
 * defaults are the issue's: 10,000 idle connections over 100 channels.
 */
import { parseArgs } from 'node:util';
import { numberOption as number, UsageError } from './cli.js';
import type { ServerKind } from './server-process.js';

export interface IdleMemoryOptions {
  /** Idle connections measured per server, each subscribed to one channel. */
  readonly connections: number;
  /** Channels the connections are spread over, round robin. */
  readonly channels: number;
  /**
   * Connections opened, over the same channels, before the first reading and kept open: what
   * is paid once (compiled code, a channel's entries, start-up slack reused) is paid by them.
   */
  readonly warmup: number;
  /** Rounds; each starts a fresh process per server and measures it once. */
  readonly rounds: number;
  /** Memory readings per measuring point, each after a forced GC; their median counts. */
  readonly readings: number;
  readonly servers: readonly ServerKind[];
  /** When set, each server writes a V8 heap snapshot here before and after connecting. */
  readonly heapSnapshotDir: string | undefined;
}

export const usage = `Usage: node dist/bench/idle-memory.js [options]
       npm run bench:memory -- [options]

  --connections N        idle connections per server            (BENCH_CONNECTIONS, default 10000)
  --channels N           channels they are spread over          (BENCH_CHANNELS, default 100)
  --warmup N             connections open before measuring      (BENCH_WARMUP, default 2000)
  --rounds N             rounds of fresh processes              (BENCH_ROUNDS, default 3)
  --readings N           readings per point, the median counts  (BENCH_READINGS, default 5)
  --only SERVER          run only herald or baseline            (BENCH_ONLY)
  --heap-snapshot-dir D  write heap snapshots (round 1) to D    (BENCH_HEAP_SNAPSHOT_DIR)
  --help`;

const flags = {
  connections: { type: 'string' },
  channels: { type: 'string' },
  warmup: { type: 'string' },
  rounds: { type: 'string' },
  readings: { type: 'string' },
  only: { type: 'string' },
  'heap-snapshot-dir': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Undefined for `--help`; throws {@link UsageError} on a bad value. */
export function parseIdleMemoryOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): IdleMemoryOptions | undefined {
  const { values } = parseArgs({ args: [...argv], options: flags, strict: true });
  if (values.help === true) return undefined;
  const pick = (flag: Exclude<keyof typeof flags, 'help'>, variable: string) =>
    values[flag] ?? env[variable];
  const only = pick('only', 'BENCH_ONLY');
  if (only !== undefined && only !== 'herald' && only !== 'baseline') {
    throw new UsageError(`--only must be herald or baseline, got ${only}`);
  }
  const connections = Math.round(
    number('connections', pick('connections', 'BENCH_CONNECTIONS'), 10_000, 1, 100_000),
  );
  const channels = Math.round(
    number('channels', pick('channels', 'BENCH_CHANNELS'), 100, 1, 10_000),
  );
  if (channels > connections) {
    throw new UsageError(`--channels (${channels}) must not exceed --connections (${connections})`);
  }
  return {
    connections,
    channels,
    warmup: Math.round(number('warmup', pick('warmup', 'BENCH_WARMUP'), 2000, 0, 100_000)),
    rounds: Math.round(number('rounds', pick('rounds', 'BENCH_ROUNDS'), 3, 1, 100)),
    readings: Math.round(number('readings', pick('readings', 'BENCH_READINGS'), 5, 1, 100)),
    servers: only === undefined ? ['baseline', 'herald'] : [only],
    heapSnapshotDir: pick('heap-snapshot-dir', 'BENCH_HEAP_SNAPSHOT_DIR'),
  };
}
