/** The cluster bench's output: a row per slice, the medians, the ratios, one JSON line. */
import type { ClusterBenchOptions } from './cluster-options.js';
import type { ClusterSliceResult, Setup } from './cluster-run.js';
import { int, ms, pct, table } from './format.js';
import { pairedRatios, slicesOf, type Round } from './rounds.js';
import { median, round3 } from './stats.js';

type ClusterRound = Round<ClusterSliceResult>;

export interface ClusterSummary {
  readonly setup: Setup;
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Median p50 and p99 per node (the triggered node first). */
  readonly nodes: ReadonlyArray<{ p50: number; p99: number }>;
  readonly serverCpu: number;
  readonly redisCpu: number | undefined;
}

function summarize(results: readonly ClusterRound[], setup: Setup): ClusterSummary {
  const slices = slicesOf(results, setup);
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

/** The cluster's deliveries/s over each other set-up's: median over median, and per round. */
export interface ClusterRatio {
  readonly over: Setup;
  readonly ratio: number;
  readonly paired: readonly number[];
}

export function clusterComparison(
  options: ClusterBenchOptions,
  results: readonly ClusterRound[],
): { summaries: ClusterSummary[]; ratios: ClusterRatio[] } {
  const summaries = options.setups.map((setup) => summarize(results, setup));
  const cluster = summaries.find((s) => s.setup === 'cluster')!;
  const ratios = summaries
    .filter((s) => s.setup !== 'cluster')
    .map((s) => ({
      over: s.setup,
      ratio: cluster.deliveriesPerSecond / s.deliveriesPerSecond,
      paired: pairedRatios(results, 'cluster', s.setup, (r) => r.deliveriesPerSecond),
    }));
  return { summaries, ratios };
}

const nodeLatency = (nodes: ReadonlyArray<{ p50: number; p99: number }>) =>
  nodes.map((node) => `${ms(node.p50)}/${ms(node.p99)}`).join(' ');

export function clusterReport(
  options: ClusterBenchOptions,
  results: readonly ClusterRound[],
): string {
  const { summaries, ratios } = clusterComparison(options, results);
  const lines = [
    `cluster fan-out: ${options.subscribers} subscribers on one channel (single: all on one ` +
      `node; cluster: split over two nodes on Redis, triggers to the first` +
      `${options.setups.includes('baseline') ? '; baseline: all on the minimal ws server' : ''})` +
      `, up to ${options.window} triggers in flight, ${options.dataBytes}-byte data; ` +
      `${options.rounds} round(s) of ${options.warmupMs / 1000} s warm-up + ` +
      `${options.durationMs / 1000} s measured`,
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
    ...ratios.flatMap((r) => [
      `cluster/${r.over} deliveries/s: ${r.ratio.toFixed(3)}x`,
      `  per round: ${r.paired.map((p) => p.toFixed(2)).join(' ')}`,
    ]),
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

/** One object for machines (the last line of the output). */
export function clusterJson(
  options: ClusterBenchOptions,
  results: readonly ClusterRound[],
): Record<string, unknown> {
  const { summaries, ratios } = clusterComparison(options, results);
  const single = ratios.find((r) => r.over === 'single')!;
  const baseline = ratios.find((r) => r.over === 'baseline');
  return {
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
    ratio: round3(single.ratio),
    pairedRatios: single.paired.map(round3),
    ...(baseline === undefined
      ? {}
      : {
          baselineRatio: round3(baseline.ratio),
          baselinePairedRatios: baseline.paired.map(round3),
        }),
  };
}
