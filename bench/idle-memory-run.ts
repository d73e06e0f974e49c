/**
 * Memory per idle connection: herald against the minimal `ws` server (`baseline-server.ts
 * --idle`) in the same run. Each round forks a fresh process per server, subscribes the warm-up
 * connections, reads the memory, connects the measured connections, and reads it again; the
 * difference over the connection count is the cost of one idle subscribed connection.
 *
 * The warm-up connections stay open through both readings, so what is paid once (compiled code,
 * a channel's own entries, lazily built structures, memory freed at start-up and reused) cancels
 * out and only per-connection memory is left. Every reading follows a forced full GC in the
 * child (`--expose-gc`); several are taken and their median counts.
 *
 * The target is judged on the RSS in use: the RSS less the V8 heap's resident pages that hold
 * nothing live. Those pages follow the allocation history, not what is kept: measured on the
 * baseline, the young generation grew from 3 to 28 MiB while the connections came in (2.5 KiB
 * per connection of 10,000, empty after the GC), while herald's had grown during its start-up.
 * The raw RSS is reported too; round to round it moved by more than the difference sought.
 */
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildMemory } from './child.js';
import type { IdleMemoryOptions } from './idle-memory-options.js';
import { median } from './stats.js';
import { ServerProcess, type ServerKind } from './server-process.js';
import { Subscribers, type SubscriberTarget } from './subscribers.js';

/** herald's RSS in use per connection over the baseline's, at most; reported, never asserted. */
export const TARGET_RATIO = 1.15;

/** Time for close handshakes and other aftermath to finish before a reading, in ms. */
const SETTLE_MS = 1000;
/** Between two readings of one point, in ms. */
const READING_GAP_MS = 200;

/** Bytes at one point (the median of its readings). */
export interface MemoryPoint {
  readonly rssBytes: number;
  /** The RSS less the V8 heap's resident pages that hold no live object. */
  readonly rssInUseBytes: number;
  readonly heapUsedBytes: number;
  /** Off-heap memory of JS objects: Buffers, ArrayBuffers, native bindings. */
  readonly externalBytes: number;
}

export interface IdleMemorySample {
  readonly round: number;
  readonly server: ServerKind;
  readonly before: MemoryPoint;
  readonly after: MemoryPoint;
  /** (after − before) / connections, in bytes. */
  readonly perConnection: MemoryPoint;
  /** Seconds to connect and subscribe the measured connections. */
  readonly connectSeconds: number;
}

export interface IdleMemorySummary {
  readonly server: ServerKind;
  /** Medians over the rounds, in bytes per connection. */
  readonly perConnection: MemoryPoint;
}

export interface IdleMemoryResult {
  readonly options: IdleMemoryOptions;
  readonly samples: readonly IdleMemorySample[];
  readonly summaries: readonly IdleMemorySummary[];
  /** Median herald RSS in use per connection over the baseline's (both servers run only). */
  readonly ratio: number | undefined;
  /** The same for the raw RSS. */
  readonly rssRatio: number | undefined;
  /** The same for the JS heap used. */
  readonly heapRatio: number | undefined;
  /** herald over baseline RSS in use per connection, round by round. */
  readonly pairedRatios: readonly number[];
  readonly target: number;
  readonly pass: boolean | undefined;
}

const channelName = (index: number) => `idle-${index}`;

/**
 * Opens `count` connections spread evenly over `channels` channels, each subscribed to one, and
 * adds them to `opened` as they come, so the caller can close them whatever happens.
 */
async function openSpread(
  target: (channel: string) => SubscriberTarget,
  count: number,
  channels: number,
  opened: Subscribers[],
): Promise<void> {
  for (let index = 0; index < channels; index++) {
    const share = Math.floor(count / channels) + (index < count % channels ? 1 : 0);
    if (share > 0) opened.push(await Subscribers.open(target(channelName(index)), share));
  }
}

async function read(
  server: ServerProcess,
  readings: number,
  heapSnapshot: string | undefined,
): Promise<MemoryPoint> {
  await sleep(SETTLE_MS);
  const taken: ChildMemory[] = [];
  for (let reading = 0; reading < readings; reading++) {
    if (reading > 0) await sleep(READING_GAP_MS);
    const memory = await server.memory();
    if (!memory.collected) throw new Error(`${server.kind} server cannot be made to collect`);
    taken.push(memory);
  }
  if (heapSnapshot !== undefined) await server.memory(heapSnapshot);
  return {
    rssBytes: median(taken.map((memory) => memory.rssBytes)),
    rssInUseBytes: median(taken.map((memory) => memory.rssBytes - memory.heapFreeResidentBytes)),
    heapUsedBytes: median(taken.map((memory) => memory.heapUsedBytes)),
    externalBytes: median(taken.map((memory) => memory.externalBytes)),
  };
}

function perConnection(before: MemoryPoint, after: MemoryPoint, count: number): MemoryPoint {
  return {
    rssBytes: (after.rssBytes - before.rssBytes) / count,
    rssInUseBytes: (after.rssInUseBytes - before.rssInUseBytes) / count,
    heapUsedBytes: (after.heapUsedBytes - before.heapUsedBytes) / count,
    externalBytes: (after.externalBytes - before.externalBytes) / count,
  };
}

/** One server, one round, in a process of its own that is stopped before this resolves. */
async function measureOnce(
  kind: ServerKind,
  round: number,
  options: IdleMemoryOptions,
  snapshots: { before: string; after: string } | undefined,
): Promise<IdleMemorySample> {
  const server = await ServerProcess.start(
    kind,
    ['--expose-gc'],
    kind === 'baseline' ? { args: ['--idle'] } : {},
  );
  const path =
    kind === 'herald' ? `/app/${server.app!.key}?protocol=7&client=bench&version=1.0` : '/';
  const target = (channel: string): SubscriberTarget => ({
    port: server.port,
    path,
    pusher: true,
    channel,
  });
  const opened: Subscribers[] = [];
  try {
    await openSpread(target, options.warmup, options.channels, opened);
    const before = await read(server, options.readings, snapshots?.before);
    const started = performance.now();
    await openSpread(target, options.connections, options.channels, opened);
    const connectSeconds = (performance.now() - started) / 1000;
    const after = await read(server, options.readings, snapshots?.after);
    return {
      round,
      server: kind,
      before,
      after,
      perConnection: perConnection(before, after, options.connections),
      connectSeconds,
    };
  } finally {
    await Promise.allSettled(opened.map((subscribers) => subscribers.close()));
    await server.stop();
  }
}

function summarize(samples: readonly IdleMemorySample[], server: ServerKind): IdleMemorySummary {
  const mine = samples.filter((sample) => sample.server === server).map((s) => s.perConnection);
  return {
    server,
    perConnection: {
      rssBytes: median(mine.map((point) => point.rssBytes)),
      rssInUseBytes: median(mine.map((point) => point.rssInUseBytes)),
      heapUsedBytes: median(mine.map((point) => point.heapUsedBytes)),
      externalBytes: median(mine.map((point) => point.externalBytes)),
    },
  };
}

/**
 * Runs the bench: `rounds` rounds, each measuring every server once, in alternating order (A B,
 * B A, …) so a drift of the machine hits both alike. Progress lines go to `progress`.
 */
export async function runIdleMemory(
  options: IdleMemoryOptions,
  progress: (line: string) => void = () => undefined,
): Promise<IdleMemoryResult> {
  const snapshotDir =
    options.heapSnapshotDir === undefined ? undefined : resolve(options.heapSnapshotDir);
  if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
  const samples: IdleMemorySample[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? options.servers : [...options.servers].reverse();
    for (const server of order) {
      progress(`round ${round}/${options.rounds}: ${server}, ${options.connections} connections`);
      const snapshots =
        snapshotDir === undefined || round !== 1
          ? undefined
          : {
              before: join(snapshotDir, `${server}-before.heapsnapshot`),
              after: join(snapshotDir, `${server}-after.heapsnapshot`),
            };
      const sample = await measureOnce(server, round, options, snapshots);
      const { rssBytes, rssInUseBytes } = sample.perConnection;
      progress(
        `  per connection: ${Math.round(rssInUseBytes)} bytes RSS in use, ` +
          `${Math.round(rssBytes)} bytes RSS`,
      );
      samples.push(sample);
    }
  }
  const summaries = options.servers.map((server) => summarize(samples, server));
  const herald = summaries.find((summary) => summary.server === 'herald')?.perConnection;
  const baseline = summaries.find((summary) => summary.server === 'baseline')?.perConnection;
  const both = herald !== undefined && baseline !== undefined;
  const ratio = both ? herald.rssInUseBytes / baseline.rssInUseBytes : undefined;
  const pairedRatios: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const of = (server: ServerKind) =>
      samples.find((sample) => sample.round === round && sample.server === server);
    const heraldSample = of('herald');
    const baselineSample = of('baseline');
    if (heraldSample !== undefined && baselineSample !== undefined) {
      pairedRatios.push(
        heraldSample.perConnection.rssInUseBytes / baselineSample.perConnection.rssInUseBytes,
      );
    }
  }
  return {
    options,
    samples,
    summaries,
    ratio,
    rssRatio: both ? herald.rssBytes / baseline.rssBytes : undefined,
    heapRatio: both ? herald.heapUsedBytes / baseline.heapUsedBytes : undefined,
    pairedRatios,
    target: TARGET_RATIO,
    // A share of RSS at or below zero means the readings were noise (too few connections to
    // stand out of the allocator's pages), not a pass.
    pass: ratio === undefined ? undefined : ratio > 0 && ratio <= TARGET_RATIO,
  };
}
