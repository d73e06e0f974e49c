/**
 * The report suite's output, generic over its entries: a Markdown table (one row per entry,
 * one per scenario not run) and the same as JSON. A scenario only has to produce entries.
 */
import type { Machine } from './machine.js';
import { machineLine } from './machine.js';
import { round3 } from './stats.js';

/** herald's ratio must be at least (`>=`) or at most (`<=`) `ratio`. Reported, never asserted. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly ratio: number;
}

/** One row: a measure of herald next to the same measure of its reference, in the same run. */
export interface ReportEntry {
  /** What is measured, with its unit: `deliveries/s`, `p99 ms`, `KiB per connection`. */
  readonly measure: string;
  readonly herald: number;
  /** The reference's value: the baseline's, unless `reference` names another set-up. */
  readonly baseline: number | undefined;
  /** What the baseline column holds when it is not the minimal server (e.g. herald alone). */
  readonly reference?: string;
  /** Decimals to print both values with (0 for rates, 2 for milliseconds). */
  readonly decimals: number;
  readonly target?: Target;
}

export type ScenarioStatus = 'measured' | 'skipped' | 'failed';

export interface ScenarioReport {
  readonly id: string;
  readonly title: string;
  readonly status: ScenarioStatus;
  readonly entries: readonly ReportEntry[];
  /** Why it was not measured (skipped, failed), or what the numbers need said. */
  readonly note?: string;
  /** Median CPU of other processes during its slices, in cores (Linux only). */
  readonly otherCpu?: number | undefined;
  /** Wall time the scenario took, in seconds. */
  readonly seconds?: number;
  /** The scenario's own summary (its bench's JSON line). */
  readonly details?: unknown;
}

export interface SuiteReport {
  readonly startedAt: string;
  readonly minutes: number;
  readonly machine: Machine;
  /** Load averages when the run ended. */
  readonly loadAverageAfter: readonly number[];
  readonly pinning: string;
  readonly settings: Record<string, unknown>;
  readonly scenarios: readonly ScenarioReport[];
}

const ratioOf = (entry: ReportEntry) =>
  entry.baseline === undefined || entry.baseline === 0 ? undefined : entry.herald / entry.baseline;

function verdict(entry: ReportEntry): string {
  const ratio = ratioOf(entry);
  if (entry.target === undefined || ratio === undefined) return '';
  const met = entry.target.op === '>=' ? ratio >= entry.target.ratio : ratio <= entry.target.ratio;
  return met ? 'PASS' : 'MISSED';
}

function value(number: number | undefined, decimals: number): string {
  if (number === undefined) return '—';
  return number.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

const cell = (text: string) => text.replaceAll('|', '\\|');
const pct = (cores: number | undefined) =>
  cores === undefined ? '' : `${Math.round(cores * 100)}%`;
/** Other processes' CPU (in cores) above which a scenario's slices count as disturbed. */
const NOISY_OTHER_CPU = 0.3;

function rows(scenario: ScenarioReport): string[][] {
  if (scenario.status !== 'measured') {
    const why = scenario.status === 'failed' ? 'failed' : 'not run';
    return [[scenario.title, '', '', '', '', '', `${why}: ${scenario.note ?? ''}`, '']];
  }
  return scenario.entries.map((entry, i) => {
    const ratio = ratioOf(entry);
    const reference = entry.reference === undefined ? '' : ` (${entry.reference})`;
    return [
      i === 0 ? scenario.title : '',
      entry.measure,
      value(entry.herald, entry.decimals),
      `${value(entry.baseline, entry.decimals)}${reference}`,
      ratio === undefined ? '—' : `${ratio.toFixed(2)}x`,
      entry.target === undefined ? '' : `${entry.target.op} ${entry.target.ratio}x`,
      verdict(entry),
      i === 0 ? pct(scenario.otherCpu) : '',
    ];
  });
}

export function markdown(report: SuiteReport): string {
  const header = [
    'Scenario',
    'Measure',
    'herald',
    'baseline',
    'ratio',
    'target',
    'verdict',
    'other CPU',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    // Labels and the verdict (which may be a sentence) left, numbers right.
    `| ${header.map((_, i) => (i < 2 || i === 6 ? '---' : '---:')).join(' | ')} |`,
    ...report.scenarios.flatMap(rows).map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  const notes = report.scenarios
    .filter((s) => s.status === 'measured' && s.note !== undefined)
    .map((s) => `- ${s.title}: ${s.note}`);
  const noisy = report.scenarios
    .filter((s) => (s.otherCpu ?? 0) > NOISY_OTHER_CPU)
    .map((s) => s.title);
  if (noisy.length > 0) {
    notes.push(
      `- warning: other processes took more than ${pct(NOISY_OTHER_CPU)} of a core during ` +
        `${noisy.join(', ')}: those numbers are noisy, rerun on a quiet machine.`,
    );
  }
  const load = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(', ');
  return [
    `Machine: ${machineLine(report.machine)}.`,
    `Load average ${load(report.machine.loadAverage)} before the run, ` +
      `${load(report.loadAverageAfter)} after; processes ${report.pinning}.`,
    `Run of ${report.startedAt}, ${report.minutes.toFixed(1)} minutes.`,
    '',
    ...lines,
    ...(notes.length === 0 ? [] : ['', ...notes]),
  ].join('\n');
}

/** The same report as data: every entry with its ratio and verdict computed. */
export function json(report: SuiteReport): unknown {
  return {
    ...report,
    scenarios: report.scenarios.map((scenario) => ({
      ...scenario,
      entries: scenario.entries.map((entry) => {
        const ratio = ratioOf(entry);
        return {
          ...entry,
          ratio: ratio === undefined ? null : round3(ratio),
          verdict: verdict(entry) || null,
        };
      }),
    })),
  };
}
