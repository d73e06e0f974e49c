/**
 * The benchmark report: every scenario in one run with reduced defaults, herald against the
 * minimal `ws` server measured in the same run, as a Markdown table on stdout and in
 * `.bench/report.md`, and as JSON in `.bench/report.json`. See bench/README.md, "The report".
 *
 *   npm run bench:report
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runBench } from './cli.js';
import { describeMachine } from './machine.js';
import { describePinning } from './pinning.js';
import { parseSuiteOptions, usage, type SuiteOptions } from './suite-options.js';
import { json, markdown, type ScenarioReport } from './suite-report.js';
import { scenarios, SkipScenario, type Scenario } from './suite-scenarios.js';

const ids = scenarios.map((scenario) => scenario.id);

async function measure(scenario: Scenario, options: SuiteOptions): Promise<ScenarioReport> {
  const { id, title } = scenario;
  process.stderr.write(`\n== ${title} (${id}) ==\n`);
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  try {
    const outcome = await scenario.run(options);
    return { id, title, status: 'measured', ...outcome, seconds: seconds() };
  } catch (error) {
    const skipped = error instanceof SkipScenario;
    const message = (error as Error).message;
    process.stderr.write(`${skipped ? 'skipped' : 'FAILED'}: ${message}\n`);
    if (!skipped) process.stderr.write(`${(error as Error).stack}\n`);
    return {
      id,
      title,
      status: skipped ? 'skipped' : 'failed',
      entries: [],
      note: message,
      seconds: seconds(),
    };
  }
}

runBench(
  (argv, env) => parseSuiteOptions(argv, env, ids),
  usage,
  async (options) => {
    const wanted = (id: string) => options.only.length === 0 || options.only.includes(id);
    const machine = describeMachine();
    const pinning = describePinning();
    process.stderr.write(`load average ${machine.loadAverage.join(' ')}\n`);
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const reports: ScenarioReport[] = [];
    for (const scenario of scenarios.filter((s) => wanted(s.id))) {
      reports.push(await measure(scenario, options));
    }
    const { out, ...settings } = options;
    const report = {
      startedAt,
      minutes: (performance.now() - started) / 60_000,
      machine,
      loadAverageAfter: loadavg().map((load) => Math.round(load * 100) / 100),
      pinning,
      settings,
      scenarios: reports,
    };
    const text = markdown(report);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(json(report), null, 2)}\n`);
    const markdownFile = out.replace(/\.json$/, '') + '.md';
    writeFileSync(markdownFile, `${text}\n`);
    process.stdout.write(`\n${text}\n\nwritten: ${out}, ${markdownFile}\n`);
    if (reports.some((r) => r.status === 'failed')) process.exitCode = 1;
  },
);
