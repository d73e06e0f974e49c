/**
 * Idle-memory benchmark: what one idle, subscribed connection costs herald in RSS, next to a
 * minimal `ws` server in the same run. See bench/README.md; `runIdleMemory` runs it from code.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { parseIdleMemoryOptions, usage, type IdleMemoryOptions } from './idle-memory-options.js';
import { idleMemoryJson, idleMemoryReport } from './idle-memory-report.js';
import { runIdleMemory } from './idle-memory-run.js';
import { UsageError } from './cli.js';
import { killAll } from './server-process.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.stderr.write(`\ninterrupted (${signal}); server processes stopped\n`);
    process.exit(130);
  });
}

let options: IdleMemoryOptions | undefined;
try {
  options = parseIdleMemoryOptions(process.argv.slice(2), process.env);
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
  runIdleMemory(options, (line) => process.stderr.write(`${line}\n`)).then(
    (result) =>
      process.stdout.write(`\n${idleMemoryReport(result)}\n\n${idleMemoryJson(result)}\n`),
    (error: unknown) => {
      killAll();
      process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
