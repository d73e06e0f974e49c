/**
 * The churn bench's results: the curve as a table, then the verdict: how fast RSS and heap grew
 * over the second half of the run (the first half includes warm-up: JIT code, buffer pools,
 * maps growing to their working size) and whether handles and timers came back to their count at
 * the start. Reported, never asserted: test/e2e/churn.test.ts asserts the leak-free end state.
 */
import { channelKinds, closeModes } from './churn-mix.js';
import type { ChurnResult, ChurnSample } from './churn-run.js';

/**
 * Growth below these, in bytes per cycle over the second half, counts as flat. A leak of one
 * small object per cycle (a map entry, a closure) is 50–200 bytes; what a forced full GC leaves
 * varies by a few hundred KB, which over 50 000 cycles is a few bytes per cycle. RSS carries the
 * allocator's and V8's page-level noise (it swings by 10–20 MB from one sample to the next while
 * the heap stays within 0.1 MB), so for RSS the test is its peak: the second half's may exceed
 * the first half's by at most this many bytes per cycle of the second half.
 */
export const FLAT_HEAP_BYTES_PER_CYCLE = 10;
export const FLAT_RSS_BYTES_PER_CYCLE = 50;

export interface ChurnVerdict {
  /** Least-squares slopes over the samples of the second half, in bytes per cycle. */
  readonly rssSlope: number;
  readonly heapSlope: number;
  /** The second half's peak RSS less the first half's (the start sample left out), in bytes. */
  readonly rssPeakGrowth: number;
  readonly flat: boolean;
  readonly handles: { readonly start: number; readonly end: number };
  readonly timers: { readonly start: number; readonly end: number };
  /** Handles and timers at the end equal to those at the start. */
  readonly back: boolean;
}

/** Least-squares slope of `y` over `x`; 0 for fewer than two distinct points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

export function verdict(result: ChurnResult): ChurnVerdict {
  const { samples, options } = result;
  const half = samples.filter((sample) => sample.cycle >= options.cycles / 2);
  const of = (field: 'rssBytes' | 'heapUsedBytes') =>
    slope(half.map((sample): [number, number] => [sample.cycle, sample[field]]));
  const rssSlope = of('rssBytes');
  const heapSlope = of('heapUsedBytes');
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const peak = (list: readonly ChurnSample[]) => Math.max(...list.map((sample) => sample.rssBytes));
  const firstHalf = samples.filter((s) => s.cycle > 0 && s.cycle < options.cycles / 2);
  const rssPeakGrowth = firstHalf.length === 0 ? 0 : peak(half) - peak(firstHalf);
  return {
    rssSlope,
    heapSlope,
    rssPeakGrowth,
    flat:
      rssPeakGrowth < (FLAT_RSS_BYTES_PER_CYCLE * options.cycles) / 2 &&
      heapSlope < FLAT_HEAP_BYTES_PER_CYCLE,
    handles: { start: first.handles, end: last.handles },
    timers: { start: first.timers, end: last.timers },
    back: first.handles === last.handles && first.timers === last.timers,
  };
}

const MB = 2 ** 20;
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;
const kinds = (resources: ChurnSample['activeResources']) =>
  Object.entries(resources)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ') || 'none';

/** The table and the verdict, for people. */
export function churnReport(result: ChurnResult): string {
  const { options, samples, tally } = result;
  const v = verdict(result);
  const columns = ['cycle', 'RSS MB', 'heap MB', 'handles', 'timers'];
  const rows = samples.map((sample) => [
    int(sample.cycle),
    (sample.rssBytes / MB).toFixed(1),
    (sample.heapUsedBytes / MB).toFixed(1),
    String(sample.handles),
    String(sample.timers) + (sample.settled ? '' : ' *'),
  ]);
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  const grown = (perCycle: number) =>
    `${perCycle >= 0 ? '+' : ''}${perCycle.toFixed(1)} B/cycle ` +
    `(${((perCycle * options.cycles) / 2 / MB).toFixed(2)} MB over the half)`;
  const unsettled = samples.some((sample) => !sample.settled);
  return [
    `herald churn: ${int(options.cycles)} cycles, ${options.concurrency} at a time, ` +
      `seed ${options.seed} (node ${process.version})`,
    '',
    line(columns),
    ...rows.map(line),
    ...(unsettled ? ['* still above the start count when the 5 s settle deadline passed'] : []),
    '',
    `cycles/s      ${int(result.cyclesPerSecond)} (${result.loadSeconds.toFixed(1)} s of load; ` +
      `server CPU ${percent(result.serverCpu, 1)}, bench CPU ${percent(result.benchCpu, 1)})`,
    `channels      ${channelKinds.map((kind) => `${kind} ${percent(tally.kinds[kind], tally.cycles)}`).join(', ')}`,
    `closes        ${closeModes.map((mode) => `${mode} ${percent(tally.closes[mode], tally.cycles)}`).join(', ')}`,
    `client events ${int(tally.clientEvents)}; up to ${tally.maxConnectionsPerMember} connections of one presence user on one channel`,
    `second half   RSS ${grown(v.rssSlope)} (peak ${v.rssPeakGrowth >= 0 ? '+' : ''}` +
      `${(v.rssPeakGrowth / MB).toFixed(1)} MB over the first half's), heap ` +
      `${grown(v.heapSlope)}: ${v.flat ? 'FLAT' : 'GROWING'}`,
    `end vs start  handles ${v.handles.start} → ${v.handles.end}, timers ${v.timers.start} → ` +
      `${v.timers.end}: ${v.back ? 'BACK TO START' : 'NOT BACK'}`,
    `resources     start: ${kinds(samples[0]!.activeResources)}; end: ${kinds(samples.at(-1)!.activeResources)}`,
  ].join('\n');
}

/** One JSON object with the curve and the verdict, for scripts. */
export function churnJson(result: ChurnResult): string {
  const { options, samples, tally } = result;
  return JSON.stringify({
    bench: 'churn',
    options,
    cyclesPerSecond: Math.round(result.cyclesPerSecond),
    serverCpu: result.serverCpu,
    benchCpu: result.benchCpu,
    samples: samples.map(({ cycle, rssBytes, heapUsedBytes, handles, timers, settled }) => ({
      cycle,
      rssBytes,
      heapUsedBytes,
      handles,
      timers,
      settled,
    })),
    clientEvents: tally.clientEvents,
    verdict: verdict(result),
  });
}
