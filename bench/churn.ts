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
import { UsageError } from './cli.js';
import { killAll } from './server-process.js';

export { churnDefaults, churnJson, churnReport, runChurn, verdict };
export type { ChurnOptions, ChurnResult, ChurnSample, ChurnVerdict };

async function main(argv: readonly string[]): Promise<void> {
  let options: ChurnOptions | undefined;
  try {
    options = parseChurnOptions(argv, process.env);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!(error instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS'))) throw error;
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === undefined) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.stderr.write(`\ninterrupted (${signal}); server process stopped\n`);
      process.exit(130);
    });
  }
  process.stderr.write(
    `churn: ${options.cycles} cycles, ${options.concurrency} at a time, against herald\n`,
  );
  const result = await runChurn(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\n${churnReport(result)}\n\n${churnJson(result)}\n`);
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    killAll();
    process.stderr.write(`\nchurn failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
