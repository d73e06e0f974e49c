/**
 * Churn benchmark: many short connect/subscribe/disconnect cycles against herald in a child
 * process, with its RSS, heap, handles and timers measured along the way. See bench/README.md.
 *
 * As a program: results go to stdout (a table, the verdict, one JSON line), progress to stderr.
 * As a module: `runChurn(options)` resolves with the measurements, `churnReport` and `churnJson`
 * format them, and importing it runs nothing.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { churnDefaults, parseChurnOptions, usage, type ChurnOptions } from './churn-options.js';
import { churnJson, churnReport, verdict, type ChurnVerdict } from './churn-report.js';
import { runChurn, type ChurnResult, type ChurnSample } from './churn-run.js';
import { runBench } from './cli.js';

export { churnDefaults, churnJson, churnReport, runChurn, verdict };
export type { ChurnOptions, ChurnResult, ChurnSample, ChurnVerdict };

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  runBench(parseChurnOptions, usage, async (options) => {
    process.stderr.write(
      `churn: ${options.cycles} cycles, ${options.concurrency} at a time, against herald\n`,
    );
    const result = await runChurn(options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`\n${churnReport(result)}\n\n${churnJson(result)}\n`);
  });
}
