/**
 * Fan-out benchmark: N subscribers on one channel, triggers through the HTTP API as fast as
 * deliveries keep up, herald against a minimal `ws` server in the same run. See bench/README.md.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { FanoutTarget } from './fanout-run.js';
import { parseOptions, usage, UsageError, type BenchOptions } from './options.js';
import { jsonSummary, report, type RoundResult } from './report.js';
import { killAll, type ServerKind } from './server-process.js';

function profileFlags(options: BenchOptions, server: ServerKind): string[] {
  if (options.cpuProfDir === undefined) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${resolve(options.cpuProfDir)}`,
    `--cpu-prof-name=${server}.cpuprofile`,
  ];
}

async function main(options: BenchOptions): Promise<void> {
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });
  const targets = new Map<ServerKind, FanoutTarget>();
  try {
    for (const server of options.servers) {
      process.stderr.write(
        `starting ${server} and connecting ${options.subscribers} subscribers\n`,
      );
      targets.set(
        server,
        await FanoutTarget.open(server, {
          subscribers: options.subscribers,
          window: options.window,
          dataBytes: options.dataBytes,
          serverExecArgv: profileFlags(options, server),
        }),
      );
    }
    const results: RoundResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // A B, B A, A B, …: neither server always goes first, and a slow drift cancels out.
      const order = round % 2 === 1 ? options.servers : [...options.servers].reverse();
      for (const server of order) {
        process.stderr.write(`round ${round}/${options.rounds}: ${server}... `);
        const result = await targets.get(server)!.measure(options.warmupMs, options.durationMs);
        const rate = Math.round(result.deliveriesPerSecond).toLocaleString('en-US');
        process.stderr.write(`${rate} deliveries/s\n`);
        results.push({ round, ...result });
      }
    }
    process.stdout.write(`\n${report(options, results)}\n\n${jsonSummary(options, results)}\n`);
  } finally {
    await Promise.allSettled([...targets.values()].map((target) => target.close()));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.stderr.write(`\ninterrupted (${signal}); server processes stopped\n`);
    process.exit(130);
  });
}

let options: BenchOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(
    error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  )) {
    throw error;
  }
  process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
  process.exitCode = 2;
}
if (options === undefined) {
  if (process.exitCode === undefined) process.stdout.write(`${usage}\n`);
} else {
  main(options).catch((error: unknown) => {
    killAll();
    process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
