/**
 * The scenarios of the report, each a run of one of the benches with the suite's reduced
 * defaults, turned into report entries. Order matters only for reading: the table follows it.
 */
import { clusterComparison, clusterJson } from './cluster-report.js';
import { runCluster } from './cluster-rounds.js';
import { redisAnswers } from './cluster-run.js';
import { connectJson, runConnectRate } from './connect-run.js';
import { runFanout, STALLED } from './fanout-rounds.js';
import { int } from './format.js';
import { churnDefaults } from './churn-options.js';
import { verdict } from './churn-report.js';
import { runChurn } from './churn-run.js';
import { runIdleMemory, TARGET_RATIO as IDLE_MEMORY_TARGET } from './idle-memory-run.js';
import { describeStalls } from './stalled-reader.js';
import { medianDefined } from './stats.js';
import type { BenchOptions } from './options.js';
import type { PinSetting } from './pinning.js';
import { compare, jsonSummary, STALL_P99_FACTOR, TARGET_RATIO, type Summary } from './report.js';
import type { ReportEntry } from './suite-report.js';

export interface SuiteContext {
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Triggers per second of the fixed-rate latency scenario. */
  readonly rate: number;
  readonly connections: number;
  readonly redisUrl: string;
  readonly pin: PinSetting;
  /** Idle connections per server of the idle-memory scenario. */
  readonly idleConnections: number;
  /** Cycles of the churn scenario. */
  readonly churnCycles: number;
}

export interface ScenarioOutcome {
  readonly entries: readonly ReportEntry[];
  readonly note?: string;
  /** Median CPU of other processes during the slices, in cores: above 0.3 the run was noisy. */
  readonly otherCpu: number | undefined;
  readonly details: unknown;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Measures; rejects with {@link SkipScenario} when the scenario cannot run here. */
  run(context: SuiteContext): Promise<ScenarioOutcome>;
}

/** A scenario that cannot run on this machine (no Redis, say); the report says why. */
export class SkipScenario extends Error {
  override readonly name = 'SkipScenario';
}

function fanoutOptions(context: SuiteContext, options: Partial<BenchOptions>): BenchOptions {
  return {
    subscribers: 1000,
    channels: 1,
    pacing: { kind: 'window', window: 8 },
    warmupMs: context.warmupMs,
    durationMs: context.durationMs,
    rounds: context.rounds,
    dataBytes: 100,
    servers: ['baseline', 'herald'],
    stalledReader: false,
    pin: context.pin,
    cpuProfDir: undefined,
    ...options,
  };
}

/**
 * A two-set-up fan-out run, and `row`: an entry with one measure of herald's summary (the second
 * set-up) next to the reference's (the first), in milliseconds with two decimals or as a rate.
 */
async function fanout(options: BenchOptions) {
  const run = await runFanout(options);
  const { summaries, otherCpu } = compare(run);
  const [reference, herald] = summaries as [Summary, Summary];
  const row = (
    measure: string,
    value: (summary: Summary) => number,
    extra: Partial<ReportEntry> = {},
  ): ReportEntry => ({
    measure,
    herald: value(herald),
    baseline: value(reference),
    decimals: measure.endsWith(' ms') ? 2 : 0,
    ...extra,
  });
  return { run, herald, row, otherCpu, details: jsonSummary(options, run) };
}

async function closedLoopFanout(
  context: SuiteContext,
  options: Partial<BenchOptions>,
): Promise<ScenarioOutcome> {
  const { row, otherCpu, details } = await fanout(fanoutOptions(context, options));
  return {
    otherCpu,
    entries: [
      row('deliveries/s', (s) => s.deliveriesPerSecond, {
        target: { op: '>=', ratio: TARGET_RATIO },
      }),
      row('p99 ms', (s) => s.p99),
    ],
    details,
  };
}

export const scenarios: readonly Scenario[] = [
  {
    id: 'fanout-1x1000',
    title: 'fan-out 1 x 1000',
    run: (context) => closedLoopFanout(context, { subscribers: 1000 }),
  },
  {
    id: 'fanout-100x100',
    title: 'fan-out 100 x 100',
    run: (context) => closedLoopFanout(context, { subscribers: 10_000, channels: 100 }),
  },
  {
    id: 'latency-fixed-rate',
    title: 'latency at a fixed rate',
    async run(context) {
      const options = fanoutOptions(context, {
        pacing: { kind: 'rate', perSecond: context.rate },
      });
      const { row, otherCpu, details } = await fanout(options);
      return {
        otherCpu,
        entries: [
          row('p50 ms', (s) => s.p50),
          row('p99 ms', (s) => s.p99),
          row('max ms', (s) => s.max),
        ],
        note:
          `${context.rate} triggers/s to 1000 subscribers on one channel ` +
          `(${int(context.rate * 1000)} deliveries/s), open loop`,
        details,
      };
    },
  },
  {
    id: 'connect-rate',
    title: 'connection rate',
    async run(context) {
      const options = { connections: context.connections, concurrency: 50, rounds: context.rounds };
      const run = await runConnectRate(options);
      const [baseline, herald] = run.summaries;
      return {
        otherCpu: medianDefined(run.results.map((r) => r.otherCpu)),
        entries: [
          {
            measure: 'connections/s',
            herald: herald!.connectionsPerSecond,
            baseline: baseline!.connectionsPerSecond,
            decimals: 0,
          },
          {
            measure: 'handshake p99 ms',
            herald: herald!.p99,
            baseline: baseline!.p99,
            decimals: 2,
          },
        ],
        note:
          `${options.connections} connections per slice, ${options.concurrency} handshakes ` +
          'in flight: upgrade, connection_established, subscribe, subscription_succeeded',
        details: connectJson(options, run),
      };
    },
  },
  {
    id: 'rest-trigger-rate',
    title: 'REST trigger rate',
    async run(context) {
      const options = fanoutOptions(context, {
        subscribers: 1,
        pacing: { kind: 'window', window: 16 },
      });
      const { row, otherCpu, details } = await fanout(options);
      return {
        otherCpu,
        entries: [row('triggers/s', (s) => s.triggersPerSecond)],
        note: 'one subscriber, 16 triggers in flight: herald checks the signature and body MD5',
        details,
      };
    },
  },
  {
    id: 'stalled-reader',
    title: 'stalled reader',
    async run(context) {
      const options = fanoutOptions(context, {
        subscribers: 100,
        dataBytes: 4000,
        servers: ['herald'],
        stalledReader: true,
      });
      const { run, herald, row, otherCpu, details } = await fanout(options);
      if (herald.label !== STALLED) throw new Error(`unexpected set-up ${herald.label}`);
      const alone = { reference: 'herald alone' };
      return {
        otherCpu,
        entries: [
          row('deliveries/s', (s) => s.deliveriesPerSecond, alone),
          row('p50 ms', (s) => s.p50, alone),
          row('p99 ms', (s) => s.p99, { ...alone, target: { op: '<=', ratio: STALL_P99_FACTOR } }),
        ],
        note:
          'herald with one subscriber that stopped reading against herald without it ' +
          '(the baseline has no send-buffer cap, so it is not compared); 100 subscribers, ' +
          `4000-byte events; ${describeStalls(run.stalls!)}`,
        details,
      };
    },
  },
  {
    id: 'cluster-fanout',
    title: 'Redis two-node fan-out',
    async run(context) {
      if (!(await redisAnswers(context.redisUrl))) {
        throw new SkipScenario(`no Redis answered on ${context.redisUrl}`);
      }
      const options = {
        subscribers: 1000,
        window: 8,
        warmupMs: context.warmupMs,
        durationMs: context.durationMs,
        rounds: context.rounds,
        dataBytes: 100,
        redisUrl: context.redisUrl,
        setups: ['baseline', 'single', 'cluster'] as const,
        pin: context.pin,
      };
      const results = await runCluster(options);
      const { summaries } = clusterComparison(options, results);
      const [baseline, single, cluster] = summaries;
      return {
        otherCpu: medianDefined(results.map((r) => r.otherCpu)),
        entries: [
          {
            measure: 'deliveries/s',
            herald: cluster!.deliveriesPerSecond,
            baseline: baseline!.deliveriesPerSecond,
            decimals: 0,
          },
          {
            measure: 'deliveries/s',
            herald: cluster!.deliveriesPerSecond,
            baseline: single!.deliveriesPerSecond,
            reference: 'one herald',
            decimals: 0,
          },
        ],
        note:
          '1000 subscribers split over two herald nodes on Redis, triggers to the first; ' +
          'against the baseline and one herald with all 1000',
        details: clusterJson(options, results),
      };
    },
  },
  {
    id: 'idle-memory',
    title: 'idle memory per connection',
    async run(context) {
      const result = await runIdleMemory({
        connections: context.idleConnections,
        channels: 100,
        warmup: 2000,
        rounds: Math.min(context.rounds, 3),
        readings: 5,
        servers: ['baseline', 'herald'],
        heapSnapshotDir: undefined,
      });
      const perConnection = (server: 'baseline' | 'herald') =>
        result.summaries.find((summary) => summary.server === server)?.perConnection;
      const herald = perConnection('herald');
      const baseline = perConnection('baseline');
      if (herald === undefined) throw new Error('herald was not measured');
      return {
        otherCpu: undefined,
        entries: [
          {
            measure: 'RSS in use, bytes per connection',
            herald: herald.rssInUseBytes,
            baseline: baseline?.rssInUseBytes,
            decimals: 0,
            target: { op: '<=', ratio: IDLE_MEMORY_TARGET },
          },
          {
            measure: 'raw RSS, bytes per connection',
            herald: herald.rssBytes,
            baseline: baseline?.rssBytes,
            decimals: 0,
          },
          {
            measure: 'JS heap, bytes per connection',
            herald: herald.heapUsedBytes,
            baseline: baseline?.heapUsedBytes,
            decimals: 0,
          },
        ],
        note:
          `${int(context.idleConnections)} idle connections over 100 channels after 2,000 ` +
          'warm-up ones, a fresh process per server and round, readings after a forced GC; ' +
          '"RSS in use" leaves out the V8 heap pages that hold nothing live (bench/README.md, ' +
          'Idle memory)',
        details: result,
      };
    },
  },
  {
    id: 'churn',
    title: 'connection churn',
    async run(context) {
      const result = await runChurn({ ...churnDefaults, cycles: context.churnCycles });
      const { rssPeakGrowth, heapSlope, handles, timers, flat, back } = verdict(result);
      const alone = { reference: 'herald at the start' };
      return {
        otherCpu: undefined,
        entries: [
          { measure: 'cycles/s', herald: result.cyclesPerSecond, baseline: undefined, decimals: 0 },
          {
            measure: 'heap slope, bytes per cycle (2nd half)',
            herald: heapSlope,
            baseline: undefined,
            decimals: 1,
          },
          {
            measure: 'RSS peak, 2nd half over 1st, MB',
            herald: rssPeakGrowth / 2 ** 20,
            baseline: undefined,
            decimals: 1,
          },
          {
            measure: 'handles',
            herald: handles.end,
            baseline: handles.start,
            decimals: 0,
            ...alone,
          },
          { measure: 'timers', herald: timers.end, baseline: timers.start, decimals: 0, ...alone },
        ],
        note:
          `${int(context.churnCycles)} connect/subscribe/disconnect cycles, ` +
          `${churnDefaults.concurrency} at a time (bench/README.md, Churn): ` +
          `${flat ? 'flat' : 'GROWING'}, handles and timers ${back ? 'back to start' : 'NOT back'}`,
        details: result,
      };
    },
  },
];
