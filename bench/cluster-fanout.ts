/**
 * Cluster fan-out benchmark: subscribers spread over two herald nodes on Redis with every
 * trigger sent to one of them, against a single herald (local adapter) with all the subscribers
 * in the same run. See bench/README.md.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { parseClusterOptions, usage, type ClusterBenchOptions } from './cluster-options.js';
import { clusterJson, clusterReport, type ClusterRoundResult } from './cluster-report.js';
import { ClusterTarget, type Setup } from './cluster-run.js';
import { UsageError } from './options.js';
import { killAll } from './server-process.js';

const setups: readonly Setup[] = ['single', 'cluster'];

async function main(options: ClusterBenchOptions): Promise<void> {
  const targets = new Map<Setup, ClusterTarget>();
  try {
    for (const setup of setups) {
      process.stderr.write(`starting ${setup} and connecting ${options.subscribers} subscribers\n`);
      targets.set(setup, await ClusterTarget.open(setup, options));
    }
    const results: ClusterRoundResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // A B, B A, …: neither set-up always goes first, and a slow drift cancels out.
      const order = round % 2 === 1 ? setups : [...setups].reverse();
      for (const setup of order) {
        process.stderr.write(`round ${round}/${options.rounds}: ${setup}... `);
        const result = await targets.get(setup)!.measure(options.warmupMs, options.durationMs);
        const rate = Math.round(result.deliveriesPerSecond).toLocaleString('en-US');
        process.stderr.write(`${rate} deliveries/s\n`);
        results.push({ round, ...result });
      }
    }
    process.stdout.write(
      `\n${clusterReport(options, results)}\n\n${clusterJson(options, results)}\n`,
    );
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

let options: ClusterBenchOptions | undefined;
try {
  options = parseClusterOptions(process.argv.slice(2), process.env);
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
