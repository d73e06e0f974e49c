/**
 * Idle-memory benchmark: what one idle, subscribed connection costs herald in RSS, next to a
 * minimal `ws` server in the same run. See bench/README.md; `runIdleMemory` runs it from code.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { parseIdleMemoryOptions, usage } from './idle-memory-options.js';
import { idleMemoryJson, idleMemoryReport } from './idle-memory-report.js';
import { runIdleMemory } from './idle-memory-run.js';
import { runBench } from './cli.js';

runBench(parseIdleMemoryOptions, usage, async (options) => {
  const result = await runIdleMemory(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\n${idleMemoryReport(result)}\n\n${idleMemoryJson(result)}\n`);
});
