/**
 * What every bench entry point shares: option errors and `--help`, and server processes stopped
 * by PID on an error or Ctrl-C. Results go to stdout, progress to stderr.
 */
import { describePinning, usePinning, type PinSetting } from './pinning.js';
import { killAll, type ServerKind } from './server-process.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A numeric option from its raw text; `fallback` when absent, {@link UsageError} when out of range. */
export function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got ${raw}`);
  }
  return value;
}

export function parsePin(raw: string | undefined): PinSetting {
  if (raw === undefined || raw === 'auto' || raw === 'off') return raw ?? 'auto';
  throw new UsageError(`--pin must be auto or off, got ${raw}`);
}

/** `--only`: one server alone, or (undefined) both, the baseline first. */
export function parseServers(raw: string | undefined): readonly ServerKind[] {
  if (raw === undefined) return ['baseline', 'herald'];
  if (raw === 'herald' || raw === 'baseline') return [raw];
  throw new UsageError(`--only must be herald or baseline, got ${raw}`);
}

export function parseRedisUrl(raw: string | undefined): string {
  const url = raw ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\//.test(url)) {
    throw new UsageError(`--redis-url must be a redis:// or rediss:// URL, got ${url}`);
  }
  return url;
}

/**
 * Parses the options (`undefined` means `--help`: prints `usage`), pins the processes as
 * `options.pin` says, then runs `main`. A bad option prints the error and the usage and exits 2;
 * a failed run stops every server process and exits 1.
 */
export function runBench<T extends object>(
  parse: (argv: readonly string[], env: NodeJS.ProcessEnv) => T | undefined,
  usage: string,
  main: (options: T) => Promise<void>,
): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.stderr.write(`\ninterrupted (${signal}); server processes stopped\n`);
      process.exit(130);
    });
  }
  let options: T | undefined;
  try {
    options = parse(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    )) {
      throw error;
    }
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === undefined) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  // Benches that pin nothing (one process measured at a time, memory or churn) leave it out.
  const { pin } = options as { readonly pin?: PinSetting };
  if (pin !== undefined) {
    usePinning(pin);
    process.stderr.write(`${describePinning()}\n`);
  }
  main(options).catch((error: unknown) => {
    killAll();
    process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
