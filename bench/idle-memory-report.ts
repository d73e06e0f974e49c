/** The idle-memory bench's output: a row per measurement, the medians, the ratio, one JSON line. */
import type { IdleMemoryResult, MemoryPoint } from './idle-memory-run.js';
import { table } from './format.js';

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const bytes = (value: number) => Math.round(value).toLocaleString('en-US');
const perConnectionHeader = ['in use/conn', 'RSS/conn', 'heap/conn', 'external/conn', 'rest/conn'];
const perConnection = (point: MemoryPoint) => [
  bytes(point.rssInUseBytes),
  bytes(point.rssBytes),
  bytes(point.heapUsedBytes),
  bytes(point.externalBytes),
  bytes(point.rssInUseBytes - point.heapUsedBytes - point.externalBytes),
];

export function idleMemoryReport(result: IdleMemoryResult): string {
  const { options, samples, summaries, ratio, rssRatio, heapRatio, pairedRatios, target } = result;
  const lines = [
    `idle memory: ${options.connections} connections over ${options.channels} channels ` +
      `(one subscription each) per server, after ${options.warmup} warm-up connections; ` +
      `${options.rounds} round(s), a fresh process per server each, median of ` +
      `${options.readings} readings after a full GC; bytes per connection`,
    '',
    table(
      ['round', 'server', 'RSS before MB', 'RSS after MB', ...perConnectionHeader, 'connect s'],
      samples.map((sample) => [
        String(sample.round),
        sample.server,
        mb(sample.before.rssBytes),
        mb(sample.after.rssBytes),
        ...perConnection(sample.perConnection),
        sample.connectSeconds.toFixed(1),
      ]),
    ),
    '',
    `median of ${options.rounds}:`,
    table(
      ['', 'server', ...perConnectionHeader],
      summaries.map((summary) => ['', summary.server, ...perConnection(summary.perConnection)]),
    ),
  ];
  if (ratio !== undefined) {
    const verdict = ratio <= target ? 'PASS' : 'ABOVE TARGET';
    lines.push(
      '',
      `herald/baseline RSS in use per connection: ${ratio.toFixed(3)}x ` +
        `(target <= ${target}x: ${verdict})`,
      `  per round: ${pairedRatios.map((r) => r.toFixed(2)).join(' ')}`,
      `  raw RSS per connection: ${rssRatio!.toFixed(3)}x`,
      `  JS heap used per connection: ${heapRatio!.toFixed(3)}x`,
    );
  }
  return lines.join('\n');
}

/** One line for machines: the medians per connection, the ratios and whether the target is met. */
export function idleMemoryJson(result: IdleMemoryResult): string {
  const { options, summaries, ratio, rssRatio, heapRatio, pairedRatios, target, pass } = result;
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  return JSON.stringify({
    bench: 'idle-memory',
    connections: options.connections,
    channels: options.channels,
    warmup: options.warmup,
    rounds: options.rounds,
    readings: options.readings,
    ...Object.fromEntries(
      summaries.map(({ server, perConnection: point }) => [
        server,
        {
          rssInUseBytesPerConnection: Math.round(point.rssInUseBytes),
          rssBytesPerConnection: Math.round(point.rssBytes),
          heapUsedBytesPerConnection: Math.round(point.heapUsedBytes),
          externalBytesPerConnection: Math.round(point.externalBytes),
        },
      ]),
    ),
    ...(ratio === undefined
      ? {}
      : {
          ratio: round3(ratio),
          pairedRatios: pairedRatios.map(round3),
          rssRatio: round3(rssRatio!),
          heapRatio: round3(heapRatio!),
          target,
          pass,
        }),
  });
}
