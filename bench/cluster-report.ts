/** The cluster bench's output: a row per slice, the medians, the ratio, one JSON line. */
import type { ClusterBenchOptions } from './cluster-options.js';
import type { ClusterSliceResult, Setup } from './cluster-run.js';

export interface ClusterRoundResult extends ClusterSliceResult {
  readonly round: number;
}

const setups: readonly Setup[] = ['single', 'cluster'];

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Summary {
  readonly setup: Setup;
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Median p50 and p99 per node (the triggered node first). */
  readonly nodes: ReadonlyArray<{ p50: number; p99: number }>;
  readonly serverCpu: number;
  readonly redisCpu: number | undefined;
}

function summarize(results: readonly ClusterRoundResult[], setup: Setup): Summary {
  const slices = results.filter((result) => result.setup === setup);
  const nodeCount = slices[0]?.nodes.length ?? 0;
  const redis = slices.flatMap((slice) => (slice.redisCpu === undefined ? [] : [slice.redisCpu]));
  return {
    setup,
    deliveriesPerSecond: median(slices.map((slice) => slice.deliveriesPerSecond)),
    p50: median(slices.map((slice) => slice.latency.p50)),
    p99: median(slices.map((slice) => slice.latency.p99)),
    nodes: Array.from({ length: nodeCount }, (_, i) => ({
      p50: median(slices.map((slice) => slice.nodes[i]!.p50)),
      p99: median(slices.map((slice) => slice.nodes[i]!.p99)),
    })),
    serverCpu: median(slices.map((slice) => slice.serverCpu)),
    redisCpu: redis.length === 0 ? undefined : median(redis),
  };
}

/** cluster over single within each round: slices seconds apart, under like conditions. */
function pairedRatios(results: readonly ClusterRoundResult[]): number[] {
  const ratios: number[] = [];
  for (const round of new Set(results.map((result) => result.round))) {
    const single = results.find((r) => r.round === round && r.setup === 'single');
    const cluster = results.find((r) => r.round === round && r.setup === 'cluster');
    if (single && cluster) ratios.push(cluster.deliveriesPerSecond / single.deliveriesPerSecond);
  }
  return ratios;
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(2);
const pct = (value: number | undefined) =>
  value === undefined ? '-' : `${Math.round(value * 100)}%`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
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

const nodeLatency = (nodes: ReadonlyArray<{ p50: number; p99: number }>) =>
  nodes.map((node) => `${ms(node.p50)}/${ms(node.p99)}`).join(' ');

export function clusterReport(
  options: ClusterBenchOptions,
  results: readonly ClusterRoundResult[],
): string {
  const summaries = setups.map((setup) => summarize(results, setup));
  const [single, cluster] = summaries as [Summary, Summary];
  const ratios = pairedRatios(results);
  const lines = [
    `cluster fan-out: ${options.subscribers} subscribers on one channel (single: all on one ` +
      `node; cluster: split over two nodes on Redis, triggers to the first), up to ` +
      `${options.window} triggers in flight, ${options.dataBytes}-byte data; ${options.rounds} ` +
      `round(s) of ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured`,
    '',
    table(
      [
        'round',
        'setup',
        'deliveries/s',
        'triggers/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'per node p50/p99 ms',
        'server CPU',
        'busiest loop',
        'redis CPU',
        'bench CPU',
        'other CPU',
      ],
      results.map((r) => [
        String(r.round),
        r.setup,
        int(r.deliveriesPerSecond),
        r.triggersPerSecond.toFixed(1),
        ms(r.latency.p50),
        ms(r.latency.p99),
        ms(r.latency.max),
        nodeLatency(r.nodes),
        pct(r.serverCpu),
        pct(r.serverLoop),
        pct(r.redisCpu),
        pct(r.benchCpu),
        pct(r.otherCpu),
      ]),
    ),
    '',
    `median of ${options.rounds}:`,
    table(
      ['', 'setup', 'deliveries/s', 'p50 ms', 'p99 ms', 'per node p50/p99 ms', 'server CPU'],
      summaries.map((s) => [
        '',
        s.setup,
        int(s.deliveriesPerSecond),
        ms(s.p50),
        ms(s.p99),
        nodeLatency(s.nodes),
        pct(s.serverCpu),
      ]),
    ),
    '',
    `cluster/single deliveries/s: ${(cluster.deliveriesPerSecond / single.deliveriesPerSecond).toFixed(3)}x`,
    `  per round: ${ratios.map((r) => r.toFixed(2)).join(' ')}`,
  ];
  const busy = results.filter((r) => r.otherCpu !== undefined && r.otherCpu > 0.3).length;
  if (busy > 0) {
    lines.push(
      `warning: in ${busy} slice(s) other processes used more than 30% of a core; ` +
        'the numbers are noisy, rerun on a quiet machine.',
    );
  }
  return lines.join('\n');
}

/** One line for machines. */
export function clusterJson(
  options: ClusterBenchOptions,
  results: readonly ClusterRoundResult[],
): string {
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  const summaries = setups.map((setup) => summarize(results, setup));
  const [single, cluster] = summaries as [Summary, Summary];
  return JSON.stringify({
    bench: 'cluster-fanout',
    subscribers: options.subscribers,
    window: options.window,
    dataBytes: options.dataBytes,
    warmupSeconds: options.warmupMs / 1000,
    durationSeconds: options.durationMs / 1000,
    rounds: options.rounds,
    ...Object.fromEntries(
      summaries.map((s) => [
        s.setup,
        {
          deliveriesPerSecond: Math.round(s.deliveriesPerSecond),
          p50Ms: round3(s.p50),
          p99Ms: round3(s.p99),
          nodes: s.nodes.map((node) => ({ p50Ms: round3(node.p50), p99Ms: round3(node.p99) })),
          serverCpu: round3(s.serverCpu),
          redisCpu: s.redisCpu === undefined ? null : round3(s.redisCpu),
        },
      ]),
    ),
    ratio: round3(cluster.deliveriesPerSecond / single.deliveriesPerSecond),
    pairedRatios: pairedRatios(results).map(round3),
  });
}
