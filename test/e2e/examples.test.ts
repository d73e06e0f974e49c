/**
 * The examples of examples/ run as their READMEs say — `node --test examples/<name>/` in a
 * process of their own (for the TypeScript chat, its compiled tests in dist/) — so what users
 * copy keeps working: the in-process suite of a tiny app (startHerald, recording, reset, fault
 * injection), the browser page under Chromium driven through the control API, and the chat's
 * backend and two-user browser suites. Each must pass every test it has and exit on its own;
 * `npm run example:chat` must start and print the page's URL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// From dist/test/e2e/ to the package root.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** `node --test {dir}/`; rejects if it is still running after `ms`. */
function runExample(dir: string, ms = 60_000): Promise<{ code: number | null; output: string }> {
  // Without the runner's NODE_TEST_CONTEXT, which makes a nested `node --test` skip its files.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', `${dir}/`], {
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
      reject(new Error(`${dir} still running after ${ms} ms:\n${output}`));
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
    const { code, output } = await runExample('examples/node-app');
    assert.equal(code, 0, output);
    assert.deepEqual(counts(output), { tests: 4, pass: 4, fail: 0, skipped: 0, todo: 0 }, output);
  });

  it(
    'browser: the page passes under Chromium, driven through the control API',
    { skip: existsSync(chromium) ? false : `no Chromium at ${chromium} (.ci/run installs it)` },
    async () => {
      const { code, output } = await runExample('examples/browser');
      assert.equal(code, 0, output);
      assert.deepEqual(counts(output), { tests: 3, pass: 3, fail: 0, skipped: 0, todo: 0 }, output);
    },
  );

  it('chat: the backend suite and two users in Chromium pass (the browser part skipped without it)', async () => {
    const { code, output } = await runExample('dist/examples/chat', 180_000);
    assert.equal(code, 0, output);
    // Without Chromium the browser suite is skipped as a whole, with its reason, and its six
    // tests are not counted.
    const tests = existsSync(chromium) ? 17 : 11;
    assert.deepEqual(counts(output), { tests, pass: tests, fail: 0, skipped: 0, todo: 0 }, output);
  });

  it('chat: `npm run example:chat` starts herald and the chat, prints the URL, stops on SIGTERM', async () => {
    const scripts = (
      JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const [command, ...args] = scripts['example:chat']!.split(' ');
    assert.equal(command, 'node');
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const printed: Record<string, string> = {};
      for await (const line of createInterface({ input: child.stdout })) {
        const [, name, url] = /^(chat|herald): .*?(http:\/\/127\.0\.0\.1:\d+\/?)/.exec(line) ?? [];
        if (name !== undefined) printed[name] = url!;
        if (printed.chat !== undefined && printed.herald !== undefined) break;
      }
      // Keep reading so the pipe never fills up.
      child.stdout.resume();
      assert.ok(printed.chat !== undefined && printed.herald !== undefined, 'both URLs printed');
      const page = await fetch(printed.chat!);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Chat<\/title>/);
      const config = (await (await fetch(new URL('/config.json', printed.chat))).json()) as {
        options: { wsPort: number };
      };
      assert.equal(config.options.wsPort, Number(new URL(printed.herald!).port));
      assert.equal((await fetch(new URL('/ready', printed.herald))).status, 200);
    } finally {
      process.kill(child.pid!, 'SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
