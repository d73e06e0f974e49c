/**
 * The connection rate: how many connections a second complete the WebSocket upgrade, get
 * `pusher:connection_established` and are subscribed (`pusher_internal:subscription_succeeded`),
 * with at most `concurrency` handshakes in flight. The baseline does the same exchange on its
 * routed path with constant frames. Each slice opens `connections`, times them, closes them all,
 * and waits for the server to go idle so the next slice starts clean.
 */
import { targetOn } from './fanout-run.js';
import { int, ms, pct, table } from './format.js';
import { LatencyHistogram } from './histogram.js';
import { channelName } from './message.js';
import { otherCpu, startMeter } from './meter.js';
import { alternate, pairedRatios, slicesOf, type Round } from './rounds.js';
import { ServerProcess, type ServerKind } from './server-process.js';
import { median, round3 } from './stats.js';
import { Subscribers } from './subscribers.js';

export interface ConnectOptions {
  readonly connections: number;
  readonly concurrency: number;
  readonly rounds: number;
}

export interface ConnectSlice {
  readonly server: ServerKind;
  readonly seconds: number;
  readonly connectionsPerSecond: number;
  /** Connect → subscribed, per connection, in ms. */
  readonly handshake: { readonly p50: number; readonly p99: number };
  readonly serverCpu: number;
  readonly benchCpu: number;
  readonly otherCpu: number | undefined;
}

export interface ConnectSummary {
  readonly server: ServerKind;
  readonly connectionsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

export interface ConnectRun {
  readonly results: readonly Round<ConnectSlice>[];
  readonly summaries: readonly ConnectSummary[];
  /** herald over baseline connections/s, when both ran. */
  readonly ratio: number | undefined;
  readonly pairedRatios: readonly number[];
}

async function measureOnce(server: ServerProcess, options: ConnectOptions): Promise<ConnectSlice> {
  const target = targetOn(server, channelName(0, 1), true);
  const handshakes = new LatencyHistogram();
  const stop = await startMeter([server]);
  const opened = await Subscribers.open(target, options.connections, {
    concurrency: options.concurrency,
    handshakes,
  });
  const usage = await stop();
  await opened.close();
  await server.settle();
  return {
    server: server.kind,
    seconds: usage.seconds,
    connectionsPerSecond: options.connections / usage.seconds,
    handshake: { p50: handshakes.percentile(0.5), p99: handshakes.percentile(0.99) },
    serverCpu: usage.servers[0]!.cpu,
    benchCpu: usage.benchCpu,
    otherCpu: otherCpu(usage),
  };
}

export async function runConnectRate(
  options: ConnectOptions,
  servers: readonly ServerKind[] = ['baseline', 'herald'],
): Promise<ConnectRun> {
  const started: ServerProcess[] = [];
  try {
    for (const kind of servers) started.push(await ServerProcess.start(kind));
    const results = await alternate(
      started.map((server) => ({
        label: server.kind,
        measure: () => measureOnce(server, options),
      })),
      options.rounds,
      (result) => `${int(result.connectionsPerSecond)} connections/s`,
    );
    const summaries = servers.map((server) => {
      const slices = slicesOf(results, server);
      return {
        server,
        connectionsPerSecond: median(slices.map((s) => s.connectionsPerSecond)),
        p50: median(slices.map((s) => s.handshake.p50)),
        p99: median(slices.map((s) => s.handshake.p99)),
      };
    });
    const herald = summaries.find((s) => s.server === 'herald');
    const baseline = summaries.find((s) => s.server === 'baseline');
    return {
      results,
      summaries,
      ratio:
        herald && baseline
          ? herald.connectionsPerSecond / baseline.connectionsPerSecond
          : undefined,
      pairedRatios: pairedRatios(results, 'herald', 'baseline', (r) => r.connectionsPerSecond),
    };
  } finally {
    await Promise.allSettled(started.map((server) => server.stop()));
  }
}

export function connectReport(options: ConnectOptions, run: ConnectRun): string {
  const lines = [
    `connection rate: ${options.connections} connections per slice (upgrade, ` +
      `connection_established, subscribe), at most ${options.concurrency} handshakes in flight; ` +
      `${options.rounds} round(s)`,
    '',
    table(
      [
        'round',
        'server',
        'connections/s',
        'p50 ms',
        'p99 ms',
        'server CPU',
        'bench CPU',
        'other CPU',
      ],
      run.results.map((r) => [
        String(r.round),
        r.server,
        int(r.connectionsPerSecond),
        ms(r.handshake.p50),
        ms(r.handshake.p99),
        pct(r.serverCpu),
        pct(r.benchCpu),
        pct(r.otherCpu),
      ]),
    ),
    '',
    `median of ${options.rounds}:`,
    table(
      ['', 'server', 'connections/s', 'p50 ms', 'p99 ms'],
      run.summaries.map((s) => ['', s.server, int(s.connectionsPerSecond), ms(s.p50), ms(s.p99)]),
    ),
  ];
  if (run.ratio !== undefined) {
    lines.push(
      '',
      `herald/baseline connections/s: ${run.ratio.toFixed(3)}x`,
      `  per round: ${run.pairedRatios.map((r) => r.toFixed(2)).join(' ')}`,
    );
  }
  return lines.join('\n');
}

export function connectJson(options: ConnectOptions, run: ConnectRun): Record<string, unknown> {
  return {
    bench: 'connect-rate',
    ...options,
    ...Object.fromEntries(
      run.summaries.map((s) => [
        s.server,
        {
          connectionsPerSecond: Math.round(s.connectionsPerSecond),
          p50Ms: round3(s.p50),
          p99Ms: round3(s.p99),
        },
      ]),
    ),
    ...(run.ratio === undefined
      ? {}
      : { ratio: round3(run.ratio), pairedRatios: run.pairedRatios.map(round3) }),
  };
}
