/**
 * Cluster fan-out benchmark: subscribers spread over two herald nodes on Redis with every
 * trigger sent to one of them, against a single herald (local adapter) with all the subscribers
 * in the same run, and with `--baseline` against the minimal `ws` server too. See bench/README.md.
 *
 * Results go to stdout (a table, the ratios, one JSON line); progress goes to stderr.
 */
import { runBench } from './cli.js';
import { parseClusterOptions, usage } from './cluster-options.js';
import { clusterJson, clusterReport } from './cluster-report.js';
import { runCluster } from './cluster-rounds.js';

runBench(parseClusterOptions, usage, async (options) => {
  const results = await runCluster(options);
  process.stdout.write(
    `\n${clusterReport(options, results)}\n\n${JSON.stringify(clusterJson(options, results))}\n`,
  );
});
