/**
 * The examples of examples/ run as their READMEs say — `node --test examples/<name>/` in a
 * process of their own — so what users copy keeps working: the in-process suite of a tiny app
 * (startHerald, recording, reset, fault injection) and the browser page under Chromium driven
 * through the control API. Each must pass every test it has and exit on its own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From dist/test/e2e/ to the package root.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** `node --test examples/{name}/`; rejects if it is still running after `ms`. */
function runExample(name: string, ms = 60_000): Promise<{ code: number | null; output: string }> {
  // Without the runner's NODE_TEST_CONTEXT, which makes a nested `node --test` skip its files.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', `examples/${name}/`], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`examples/${name} still running after ${ms} ms:\n${output}`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The runner's closing counts (`# pass 4`). */
function counts(output: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [, name, value] of output.matchAll(/^# (tests|pass|fail|skipped|todo) (\d+)$/gm)) {
    found[name!] = Number(value);
  }
  return found;
}

describe('examples', () => {
  it('node-app: the notifier suite passes against startHerald', async () => {
    const { code, output } = await runExample('node-app');
    assert.equal(code, 0, output);
    assert.deepEqual(counts(output), { tests: 4, pass: 4, fail: 0, skipped: 0, todo: 0 }, output);
  });

  it(
    'browser: the page passes under Chromium, driven through the control API',
    { skip: existsSync(chromium) ? false : `no Chromium at ${chromium} (.ci/run installs it)` },
    async () => {
      const { code, output } = await runExample('browser');
      assert.equal(code, 0, output);
      assert.deepEqual(counts(output), { tests: 3, pass: 3, fail: 0, skipped: 0, todo: 0 }, output);
    },
  );
});
