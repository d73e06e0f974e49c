/**
 * The page in a real browser (Chromium driven by playwright-core) against a real herald, the
 * way a Capybara, Laravel Dusk or Playwright suite runs it: herald is a separate process started
 * with `--dev`, and the test talks to it over HTTP only — the control API resets it between
 * tests, waits for what the page did and drops its connection on purpose.
 *
 * Run with `node --test examples/browser/`. It needs Chromium (Debian: `apt-get install
 * chromium`; elsewhere set CHROMIUM to its path) and never downloads a browser of its own.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher';
import { chromium } from 'playwright-core';

// In your project: `npx herald start --dev --port 6001` (or a Procfile line, see docs/testing.md).
const heraldBin = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const pusherJsBrowserBuild = createRequire(import.meta.url).resolve(
  'pusher-js/dist/web/pusher.min.js',
);

let herald; // { process, url }
let site; // the static server
let siteUrl;
let context; // the browser
let page;
let pusher; // the app's server side
let userDataDir;

/** `herald start --dev` on a free port; its first log line (JSON) says where it listens. */
async function startHeraldProcess() {
  const child = spawn(process.execPath, [heraldBin, 'start', '--dev', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const { api } = JSON.parse(line);
    if (api !== undefined) {
      // Keep reading so the pipe never fills up.
      child.stdout.resume();
      return { process: child, url: api };
    }
  }
  throw new Error('herald exited before it listened');
}

/** The control API: `/__herald/…` of the running herald. */
async function control(method, path, body) {
  const response = await fetch(`${herald.url}/__herald${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json.error ?? ''}`);
  return json;
}

/** Serves the page, pusher-js's browser build and the client config herald reported. */
function serveSite(clientConfig) {
  const files = {
    '/': ['text/html', readFileSync(here('index.html'))],
    '/app.js': ['text/javascript', readFileSync(here('app.js'))],
    '/pusher.min.js': ['text/javascript', readFileSync(pusherJsBrowserBuild)],
    '/config.json': ['application/json', JSON.stringify(clientConfig)],
  };
  const server = createServer((req, res) => {
    const file = files[req.url];
    if (file === undefined) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  herald = await startHeraldProcess();
  const clientConfig = await control('GET', '/client-config');
  pusher = new Pusher(clientConfig.pusher);
  site = await serveSite(clientConfig);
  siteUrl = `http://127.0.0.1:${site.address().port}/`;
  userDataDir = mkdtempSync(join(tmpdir(), 'herald-example-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  site?.close();
  if (herald !== undefined) {
    const exited = new Promise((resolve) => herald.process.once('exit', resolve));
    herald.process.kill('SIGTERM');
    await exited;
  }
});

beforeEach(async () => {
  // Whatever the test before left connected is closed (and stays closed), every channel and
  // recorded event is gone.
  await control('POST', '/reset');
  page = await context.newPage();
});

afterEach(() => page.close());

/** Opens the page and waits until herald has its subscription: triggering earlier would race. */
async function openPage() {
  await page.goto(siteUrl);
  const { event } = await control('GET', '/wait?kind=subscribed&channel=notifications');
  await page.locator('#state', { hasText: 'connected' }).waitFor();
  return event; // { socket_id, seq, … }
}

describe('the notifications page', () => {
  it('shows each message the server sends', async () => {
    await openPage();
    await pusher.trigger('notifications', 'message', { text: 'Your order shipped' });
    await pusher.trigger('notifications', 'message', { text: 'It arrives Monday' });
    await page.locator('#messages li').nth(1).waitFor();
    assert.deepEqual(await page.locator('#messages li').allTextContents(), [
      'Your order shipped',
      'It arrives Monday',
    ]);
  });

  it('says it is reconnecting while the connection is down, and catches up after', async () => {
    const subscribed = await openPage();
    // 4100: pusher-js waits a second before it reconnects, long enough to see the notice.
    await control('POST', '/disconnect', { socket_id: subscribed.socket_id, code: 4100 });
    await page.locator('#offline').waitFor({ state: 'visible' });
    await control('GET', `/wait?kind=subscribed&channel=notifications&after=${subscribed.seq}`);
    await page.locator('#offline').waitFor({ state: 'hidden' });

    await pusher.trigger('notifications', 'message', { text: 'Back online' });
    await page.locator('#messages li', { hasText: 'Back online' }).waitFor();
  });

  it('starts from a clean herald: nothing of the tests before is left', async () => {
    const { events } = await control('GET', '/events');
    assert.deepEqual(events, []);
    const { channels } = await control('GET', '/channels');
    assert.deepEqual(channels, {});
    await openPage();
    const { channels: now } = await control('GET', '/channels');
    assert.deepEqual(now, { notifications: { subscription_count: 1 } });
  });
});
