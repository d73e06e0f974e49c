/**
 * A churn run: herald alone in a child process (`herald-server.ts`: every option at its
 * default, `--expose-gc` so the bench can collect its garbage), the churn load from this
 * process, and between batches a measurement of the server once it has settled.
 */
import { performance } from 'node:perf_hooks';
import { signToken, channelStringToSign } from '../src/protocol/auth-signature.js';
import type { ChildStats } from './child.js';
import { ChurnLoad, type Authorize, type ChurnTally } from './churn-load.js';
import type { ChurnOptions } from './churn-options.js';
import { ServerProcess } from './server-process.js';

/** The server as measured after a batch, its garbage collected. */
export interface ChurnSample {
  /** Cycles run before the measurement. */
  readonly cycle: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** `process.getActiveResourcesInfo()` counted by kind. */
  readonly activeResources: Readonly<Record<string, number>>;
  /** Every active resource but timers: sockets, servers, pipes, pending requests. */
  readonly handles: number;
  /** Active (referenced) `Timeout`s. */
  readonly timers: number;
  /**
   * False when handles or timers were still above their count at the start when the settle
   * deadline passed: then they are the measured values, not a settled state.
   */
  readonly settled: boolean;
}

export interface ChurnResult {
  readonly options: ChurnOptions;
  /** The first at cycle 0, before any load; then one per batch. */
  readonly samples: readonly ChurnSample[];
  readonly tally: ChurnTally;
  /** Time spent running cycles, in seconds; the pauses to measure are not included. */
  readonly loadSeconds: number;
  readonly cyclesPerSecond: number;
  /**
   * CPU time over load time of the server and of this process (the load generator): which of
   * the two limits cycles/s. GC threads count, so either can exceed 1.
   */
  readonly serverCpu: number;
  readonly benchCpu: number;
}

/** How long a batch's closes may take to reach the server before it is measured anyway. */
const SETTLE_MS = 5000;
const SETTLE_POLL_MS = 10;

function sampleOf(cycle: number, stats: ChildStats, settled: boolean): ChurnSample {
  const resources = stats.activeResources;
  const timers = resources.Timeout ?? 0;
  const total = Object.values(resources).reduce((sum, count) => sum + count, 0);
  return {
    cycle,
    rssBytes: stats.rssBytes,
    heapUsedBytes: stats.heapUsedBytes,
    activeResources: resources,
    handles: total - timers,
    timers,
    settled,
  };
}

/**
 * Measures the server once the last batch's closes have reached it: waits (up to
 * {@link SETTLE_MS}) until its handles and timers are no more than at the start, then collects
 * its garbage and measures.
 */
async function measure(
  server: ServerProcess,
  cycle: number,
  start: ChurnSample,
): Promise<ChurnSample> {
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    const now = sampleOf(cycle, await server.stats(), true);
    const settled = now.handles <= start.handles && now.timers <= start.timers;
    if (settled || performance.now() >= deadline) {
      return sampleOf(cycle, await server.stats({ gc: true }), settled);
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/**
 * Runs the churn and returns the measurements. `progress` hears one line per measurement (the
 * CLI writes them to stderr). The server process is stopped at the end, on success or failure.
 */
export async function runChurn(
  options: ChurnOptions,
  progress: (line: string) => void = () => undefined,
): Promise<ChurnResult> {
  const server = await ServerProcess.start('herald', ['--expose-gc']);
  try {
    const app = server.app!;
    const authorize: Authorize = (socketId, channel, member) => {
      const channelData = member === undefined ? undefined : JSON.stringify(member);
      const auth = signToken(app, channelStringToSign(socketId, channel, channelData));
      return channelData === undefined ? { auth } : { auth, channel_data: channelData };
    };
    const load = new ChurnLoad({ port: server.port, key: app.key }, authorize, options);
    const start = sampleOf(0, await server.stats({ gc: true }), true);
    const samples = [start];
    let loadMs = 0;
    let serverCpuMicros = 0;
    let benchCpuMicros = 0;
    for (let batch = 1; batch <= options.samples; batch++) {
      const until = Math.round((options.cycles * batch) / options.samples);
      const serverBefore = await server.stats();
      const benchBefore = process.cpuUsage();
      const began = performance.now();
      await load.run(until - load.tally.cycles);
      loadMs += performance.now() - began;
      const bench = process.cpuUsage(benchBefore);
      benchCpuMicros += bench.user + bench.system;
      serverCpuMicros += (await server.stats()).cpuMicros - serverBefore.cpuMicros;
      const sample = await measure(server, until, start);
      samples.push(sample);
      const rate = Math.round(until / (loadMs / 1000)).toLocaleString('en-US');
      progress(
        `${until.toLocaleString('en-US')} cycles (${rate}/s): ` +
          `RSS ${(sample.rssBytes / 2 ** 20).toFixed(1)} MB, ` +
          `heap ${(sample.heapUsedBytes / 2 ** 20).toFixed(1)} MB, ` +
          `${sample.handles} handles, ${sample.timers} timers${sample.settled ? '' : ' (unsettled)'}`,
      );
    }
    const loadSeconds = loadMs / 1000;
    return {
      options,
      samples,
      tally: load.tally,
      loadSeconds,
      cyclesPerSecond: options.cycles / loadSeconds,
      serverCpu: serverCpuMicros / 1000 / loadMs,
      benchCpu: benchCpuMicros / 1000 / loadMs,
    };
  } finally {
    await server.stop();
  }
}
