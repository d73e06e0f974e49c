/**
 * Runs a `herald` command that prints and exits (`client-config`), keeping stdout whole: the
 * helpers of cli.ts read stdout as JSON log lines, which printed JSON is not.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// From dist/test/helpers/ to the package root.
const bin = fileURLToPath(new URL('../../../bin/herald.js', import.meta.url));

export interface Printed {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/herald.js ...args` with the environment less HERALD_* and PUSHER_*, plus `env`. */
export function printHerald(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Printed> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(HERALD|PUSHER)_/.test(name)) clean[name] = value;
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...clean, ...env }, timeout: 10_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
