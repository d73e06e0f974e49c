/** The bench's output: a row per slice, the medians, the ratio against the target, one JSON line. */
import type { BenchOptions } from './options.js';
import type { SliceResult } from './fanout-run.js';
import type { ServerKind } from './server-process.js';

/** herald's deliveries/s over the baseline's that the issue asks for; reported, never asserted. */
export const TARGET_RATIO = 0.85;
/** Other processes' CPU (in cores) above which a slice counts as disturbed. */
const NOISY_OTHER_CPU = 0.3;

export interface RoundResult extends SliceResult {
  readonly round: number;
}

export interface Summary {
  readonly server: ServerKind;
  readonly deliveriesPerSecond: number;
  /** Deliveries per second of server CPU time: less sensitive to CPU stolen by neighbours. */
  readonly deliveriesPerCpuSecond: number;
  readonly p50: number;
  readonly p99: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarize(results: readonly RoundResult[], server: ServerKind): Summary {
  const slices = results.filter((result) => result.server === server);
  return {
    server,
    deliveriesPerSecond: median(slices.map((slice) => slice.deliveriesPerSecond)),
    deliveriesPerCpuSecond: median(
      slices.map((slice) => slice.deliveriesPerSecond / slice.serverCpu),
    ),
    p50: median(slices.map((slice) => slice.latency.p50)),
    p99: median(slices.map((slice) => slice.latency.p99)),
  };
}

/** herald over baseline within each round: both slices ran seconds apart, under like conditions. */
function pairedRatios(results: readonly RoundResult[]): number[] {
  const ratios: number[] = [];
  const rounds = new Set(results.map((result) => result.round));
  for (const round of rounds) {
    const herald = results.find((r) => r.round === round && r.server === 'herald');
    const baseline = results.find((r) => r.round === round && r.server === 'baseline');
    if (herald && baseline) ratios.push(herald.deliveriesPerSecond / baseline.deliveriesPerSecond);
  }
  return ratios;
}

interface Comparison {
  readonly summaries: readonly Summary[];
  /** Median herald deliveries/s over median baseline deliveries/s: the target's measure. */
  readonly ratio: number | undefined;
  readonly pairedRatios: readonly number[];
  readonly cpuRatio: number | undefined;
  readonly otherCpu: number | undefined;
}

function compare(options: BenchOptions, results: readonly RoundResult[]): Comparison {
  const summaries = options.servers.map((server) => summarize(results, server));
  const herald = summaries.find((s) => s.server === 'herald');
  const baseline = summaries.find((s) => s.server === 'baseline');
  const both = herald !== undefined && baseline !== undefined;
  const other = results.flatMap((r) => (r.otherCpu === undefined ? [] : [r.otherCpu]));
  return {
    summaries,
    ratio: both ? herald.deliveriesPerSecond / baseline.deliveriesPerSecond : undefined,
    pairedRatios: pairedRatios(results),
    cpuRatio: both ? herald.deliveriesPerCpuSecond / baseline.deliveriesPerCpuSecond : undefined,
    otherCpu: other.length === 0 ? undefined : median(other),
  };
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(2);
const pct = (value: number) => `${Math.round(value * 100)}%`;

/** Columns padded to their widest cell: the first two left-aligned, numbers right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function report(options: BenchOptions, results: readonly RoundResult[]): string {
  const { summaries, ratio, pairedRatios, cpuRatio, otherCpu } = compare(options, results);
  const lines = [
    `fan-out: ${options.subscribers} subscribers on one channel, up to ${options.window} triggers ` +
      `in flight, ${options.dataBytes}-byte data; ${options.rounds} round(s) of ` +
      `${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured per server`,
    '',
    table(
      [
        'round',
        'server',
        'deliveries/s',
        'triggers/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'server loop',
        'server CPU',
        'deliveries/CPU-s',
        'frames/write',
        'bench CPU',
        'other CPU',
      ],
      results.map((r) => [
        String(r.round),
        r.server,
        int(r.deliveriesPerSecond),
        r.triggersPerSecond.toFixed(1),
        ms(r.latency.p50),
        ms(r.latency.p99),
        ms(r.latency.max),
        pct(r.serverLoop),
        pct(r.serverCpu),
        int(r.deliveriesPerSecond / r.serverCpu),
        r.framesPerWrite === undefined ? '-' : r.framesPerWrite.toFixed(2),
        pct(r.benchCpu),
        r.otherCpu === undefined ? '-' : pct(r.otherCpu),
      ]),
    ),
    '',
    `median of ${options.rounds}:`,
    table(
      ['', 'server', 'deliveries/s', 'p50 ms', 'p99 ms', 'deliveries/CPU-s'],
      summaries.map((s) => [
        '',
        s.server,
        int(s.deliveriesPerSecond),
        ms(s.p50),
        ms(s.p99),
        int(s.deliveriesPerCpuSecond),
      ]),
    ),
  ];
  if (ratio !== undefined) {
    const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'BELOW TARGET';
    lines.push(
      '',
      `herald/baseline deliveries/s: ${ratio.toFixed(3)}x (target >= ${TARGET_RATIO}x: ${verdict})`,
      `  per round: ${pairedRatios.map((r) => r.toFixed(2)).join(' ')}`,
      `  per server CPU-second: ${cpuRatio!.toFixed(3)}x`,
    );
  }
  if (otherCpu !== undefined && otherCpu > NOISY_OTHER_CPU) {
    lines.push(
      `warning: other processes used ${pct(otherCpu)} of a core (median per slice); ` +
        'the numbers are noisy, rerun on a quiet machine.',
    );
  }
  if (results.some((r) => r.benchCpu >= r.serverCpu && r.serverLoop < 0.9)) {
    lines.push(
      'warning: in some slices the server was not saturated but the bench process was: ' +
        'those slices measure the load generator.',
    );
  }
  return lines.join('\n');
}

/** One line for machines: the medians, the ratio and whether it meets the target. */
export function jsonSummary(options: BenchOptions, results: readonly RoundResult[]): string {
  const { summaries, ratio, pairedRatios, cpuRatio, otherCpu } = compare(options, results);
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  return JSON.stringify({
    bench: 'fanout',
    subscribers: options.subscribers,
    window: options.window,
    dataBytes: options.dataBytes,
    warmupSeconds: options.warmupMs / 1000,
    durationSeconds: options.durationMs / 1000,
    rounds: options.rounds,
    ...Object.fromEntries(
      summaries.map((s) => [
        s.server,
        {
          deliveriesPerSecond: Math.round(s.deliveriesPerSecond),
          deliveriesPerCpuSecond: Math.round(s.deliveriesPerCpuSecond),
          p50Ms: round3(s.p50),
          p99Ms: round3(s.p99),
        },
      ]),
    ),
    ...(ratio === undefined
      ? {}
      : {
          ratio: round3(ratio),
          pairedRatios: pairedRatios.map(round3),
          cpuRatio: round3(cpuRatio!),
          target: TARGET_RATIO,
          pass: ratio >= TARGET_RATIO,
        }),
    otherCpu: otherCpu === undefined ? null : round3(otherCpu),
  });
}
