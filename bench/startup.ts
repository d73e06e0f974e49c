/**
 * Start-up speed, as a test suite pays it:
 *
 * - **CLI**: from spawning `node bin/herald.js start --port 0` (with `--dev` too) to the first
 *   `200` of `GET /ready` — what a Procfile, a CI service or Playwright's `webServer` waits for.
 *   The port is read from the start line, which is logged once the port listens.
 * - **startHerald()**: from the call to the resolved promise, in this process, after a first
 *   call that also pays for loading the server's modules (reported on its own).
 *
 * Each is run several times; the median is the figure, min and max show the spread. Nothing is
 * asserted: timing targets stay out of the test suite (the aim is "well under a second").
 *
 *   npm run bench:startup            # build, then 10 runs of each
 *   node dist/bench/startup.js --runs 20
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// Types only: the module itself is loaded (and timed) in main().
import type { startHerald as StartHeraldFunction } from '../src/testing/index.js';

type StartHerald = typeof StartHeraldFunction;

// From dist/bench/ to the package root.
const bin = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

function ready(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/ready`, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** Milliseconds from spawn to the first 200 of `/ready`; the process is stopped after. */
async function cliOnce(args: readonly string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(HERALD|PUSHER)_/.test(name)) env[name] = value;
  }
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const { api } = JSON.parse(line) as { api?: string };
      if (api === undefined) continue;
      child.stdout.resume();
      const status = await ready(api);
      if (status !== 200) throw new Error(`/ready answered ${status}`);
      return performance.now() - started;
    }
    throw new Error('herald exited before it listened');
  } finally {
    process.kill(child.pid!, 'SIGTERM');
    await exited;
  }
}

async function startHeraldOnce(startHerald: StartHerald): Promise<number> {
  const started = performance.now();
  const herald = await startHerald();
  const elapsed = performance.now() - started;
  await herald.stop();
  return elapsed;
}

function stats(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(10);

function report(label: string, samples: readonly number[]): void {
  const { median, min, max } = stats(samples);
  console.log(`${label.padEnd(44)}${ms(median)}${ms(min)}${ms(max)}`);
}

async function main(): Promise<void> {
  console.log(`herald start-up, ${runs} runs each (node ${process.version})\n`);
  console.log(`${''.padEnd(44)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}`);

  const cli: number[] = [];
  const dev: number[] = [];
  for (let i = 0; i < runs; i++) {
    cli.push(await cliOnce([]));
    dev.push(await cliOnce(['--dev']));
  }
  report('CLI: spawn → GET /ready 200', cli);
  report('CLI --dev: spawn → GET /ready 200', dev);

  const loading = performance.now();
  const { startHerald } = await import('../src/testing/index.js');
  const imported = performance.now() - loading;
  const first = await startHeraldOnce(startHerald);
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await startHeraldOnce(startHerald));
  report('import herald/testing (once)', [imported]);
  report('startHerald(), first call (once)', [first]);
  report('startHerald(): call → resolved', warm);
}

await main();
