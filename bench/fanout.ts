/**
 * Fan-out benchmark: subscribers on one channel or many, triggers through the HTTP API as fast
 * as deliveries keep up (or at a fixed rate), herald against a minimal `ws` server in the same
 * run; or herald with and without a stalled reader. See bench/README.md.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { runBench } from './cli.js';
import { runFanout } from './fanout-rounds.js';
import { parseOptions, usage } from './options.js';
import { jsonSummary, report } from './report.js';

runBench(parseOptions, usage, async (options) => {
  const run = await runFanout(options);
  process.stdout.write(
    `\n${report(options, run)}\n\n${JSON.stringify(jsonSummary(options, run))}\n`,
  );
});
