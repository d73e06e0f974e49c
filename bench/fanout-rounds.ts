/**
 * A whole fan-out run: start the set-ups, connect their subscribers, measure alternating slices,
 * stop everything. Shared by `fanout.js` and the report suite.
 *
 * The set-ups are herald and the baseline, or with `stalledReader` herald alone twice: without
 * and with a stalled reader, on the same process and subscribers, so the factor between them is
 * what the stalled reader costs the others.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FanoutTarget, type SliceResult } from './fanout-run.js';
import { int } from './format.js';
import type { BenchOptions } from './options.js';
import { alternate, type Round, type Subject } from './rounds.js';
import type { ServerKind } from './server-process.js';
import { StalledReaders, type StallSummary } from './stalled-reader.js';

export const STALLED = 'herald + stalled reader';

export interface FanoutRun {
  /** The set-ups' labels: the reference first (baseline, or herald without a stalled reader). */
  readonly labels: readonly string[];
  readonly results: readonly Round<SliceResult>[];
  readonly stalls: StallSummary | undefined;
}

function profileFlags(options: BenchOptions, server: ServerKind): string[] {
  if (options.cpuProfDir === undefined) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${resolve(options.cpuProfDir)}`,
    `--cpu-prof-name=${server}.cpuprofile`,
  ];
}

/** Sockets the bench keeps for itself besides subscribers: HTTP agents, IPC, stdio, Redis. */
const SPARE_DESCRIPTORS = 200;

/** This process's open-file limit (Linux: /proc/self/limits; Node raised it to the hard one). */
function descriptorLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

export async function runFanout(options: BenchOptions): Promise<FanoutRun> {
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });
  const limit = descriptorLimit();
  const connectEachSlice = options.servers.length * options.subscribers + SPARE_DESCRIPTORS > limit;
  if (connectEachSlice) {
    process.stderr.write(
      `${options.servers.length} x ${options.subscribers} subscribers exceed the open-file ` +
        `limit (${limit}): each set-up connects its subscribers for its own slices only\n`,
    );
  }
  const targets = new Map<ServerKind, FanoutTarget>();
  try {
    for (const server of options.servers) {
      process.stderr.write(
        connectEachSlice
          ? `starting ${server}\n`
          : `starting ${server} and connecting ${options.subscribers} subscribers\n`,
      );
      targets.set(
        server,
        await FanoutTarget.open(server, {
          subscribers: options.subscribers,
          channels: options.channels,
          pacing: options.pacing,
          dataBytes: options.dataBytes,
          serverExecArgv: profileFlags(options, server),
          connectEachSlice,
        }),
      );
    }
    const { warmupMs, durationMs } = options;
    const subjects: Subject<SliceResult>[] = [...targets].map(([server, target]) => ({
      label: server,
      measure: () => target.measure(warmupMs, durationMs),
    }));
    let stalled: StalledReaders | undefined;
    if (options.stalledReader) {
      const herald = targets.get('herald')!;
      stalled = new StalledReaders(herald);
      const companion = stalled;
      subjects.push({
        label: STALLED,
        measure: () => herald.measure(warmupMs, durationMs, companion),
      });
    }
    const results = await alternate(
      subjects,
      options.rounds,
      (result) => `${int(result.deliveriesPerSecond)} deliveries/s`,
    );
    return { labels: subjects.map((s) => s.label), results, stalls: stalled?.summary() };
  } finally {
    await Promise.allSettled([...targets.values()].map((target) => target.close()));
  }
}
