/**
 * The debug console in a real browser: Chromium (driven by playwright-core) opens `/console` of
 * a herald started with `startHerald()`, while real pusher-js clients and the `pusher` SDK make
 * things happen, and the test reads the page as a person would — by roles, labels and text.
 * Screenshots of the page are kept in test-artifacts/ (and written to docs/console.png for the
 * README when HERALD_UPDATE_SCREENSHOTS=1).
 *
 * It needs Chromium (Debian: `apt-get install chromium`; elsewhere set CHROMIUM to its path)
 * and never downloads a browser of its own; without one the tests are skipped, saying so.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import PusherServer from 'pusher';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HeraldOptions } from '../../src/config/schema.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import {
  PusherJsClients,
  nextEvent,
  statesOf,
  subscribe,
  type PusherJs,
  type PusherJsClientOptions,
} from '../helpers/pusher-js.js';
import { post, send } from '../helpers/rest.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath} (.ci/run installs it)`;
// From dist/test/e2e/ to the package root.
const root = new URL('../../../', import.meta.url);
const artifacts = new URL('test-artifacts/', root);

let browser: Browser | undefined;
let cleanups: Array<() => Promise<unknown> | unknown> = [];

before(async () => {
  if (skip !== false) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
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

after(() => browser?.close());

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(options: HeraldOptions = {}) {
  const herald = await startHerald({ console: true, ...options });
  const sdk = new PusherServer(herald.pusherOptions);
  const clients = new PusherJsClients(herald, { authorizer: sdk });
  cleanups.push(
    () => herald.stop(),
    () => clients.disconnectAll(),
  );
  return { herald, sdk, clients };
}

/** A fresh browser context (no cookies) with one page, closed after the test. */
async function newPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser!.newContext({ viewport });
  cleanups.push(() => context.close());
  return context.newPage();
}

/** Opens the console and waits until its live feed is connected. */
async function openConsole(page: Page, herald: TestHerald, path = '/console'): Promise<void> {
  await page.goto(`${herald.url}${path}`);
  await page.locator('#feed-state[data-state="live"]').waitFor();
}

/** The log rows of one kind with `text` in them (shown or hidden by a filter). */
const row = (page: Page, kind: string, text: string) =>
  page.locator(`#log > li[data-kind="${kind}"]`, { hasText: text });

interface Row {
  readonly seq: number;
  readonly kind: string;
  readonly text: string;
  readonly shown: boolean;
}

/**
 * The parts of a DOM element these tests read in the page (this project compiles without the
 * DOM library: the functions passed to `evaluate` run in Chromium, typed only as far as used).
 */
interface PageElement {
  readonly id: string;
  readonly hidden: boolean;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  readonly labels?: { readonly length: number } | null;
}

/** Every row of the log, oldest first (the page shows the newest on top). */
async function logRows(page: Page): Promise<Row[]> {
  const rows = await page.locator('#log > li').evaluateAll((items) =>
    (items as unknown as PageElement[]).map((item) => ({
      seq: Number(item.dataset.seq),
      kind: item.dataset.kind ?? '',
      text: item.textContent ?? '',
      shown: !item.hidden,
    })),
  );
  return rows.reverse();
}

/** Authorizes presence subscriptions as `userId` with `{ name }` as its user_info. */
function presenceAs(sdk: PusherServer, userId: string, name: string): PusherJsClientOptions {
  return {
    authorizer: ({ socketId, channelName }, callback) =>
      callback(
        null,
        sdk.authorizeChannel(socketId, channelName, { user_id: userId, user_info: { name } }),
      ),
  };
}

const socketIdOf = (pusher: PusherJs) => pusher.connection.socket_id;

describe('the debug console', { skip }, () => {
  it('logs a connection, its subscription, a REST trigger and a client event in order', async () => {
    const { herald, sdk, clients } = await setup();
    const page = await newPage();
    await openConsole(page, herald);
    // The only app: /console goes straight to its page.
    assert.equal(new URL(page.url()).pathname, '/console/apps/app-id');

    const alice = await clients.connect();
    const bob = await clients.connect();
    const room = await subscribe(alice, 'private-room');
    const bobsRoom = await subscribe(bob, 'private-room');
    await sdk.trigger('private-room', 'order-shipped', { id: 7 });
    room.trigger('client-typing', { typing: true });
    await nextEvent(bobsRoom, 'client-typing');
    // 4200: pusher-js reconnects at once. (After a 4000–4099 close pusher-js closes its own
    // socket once more and waits 30 s for an answer that never comes, holding the test up.)
    const bobsFirstSocket = socketIdOf(bob);
    herald.disconnect(bobsFirstSocket, { code: 4200 });
    await statesOf(bob).next((state) => state === 'connected', 'connected again');
    const mallory = clients.create({
      authorizer: new PusherServer({ ...herald.pusherOptions, secret: 'not-the-secret' }),
    });
    mallory.subscribe('private-room');

    await row(page, 'disconnected', bobsFirstSocket).waitFor();
    const rows = await logRows(page);
    const at = (kind: string, ...parts: string[]) => {
      const index = rows.findIndex(
        (r) => r.kind === kind && parts.every((p) => r.text.includes(p)),
      );
      assert.ok(index >= 0, `no ${kind} row with ${parts.join(', ')} in ${JSON.stringify(rows)}`);
      return index;
    };
    const order = [
      at('connected', socketIdOf(alice)),
      at('subscribed', 'private-room', socketIdOf(alice)),
      at('api_message', 'private-room', 'order-shipped', '{"id":7}'),
      at('client_event', 'private-room', 'client-typing', socketIdOf(alice), '{"typing":true}'),
      at('disconnected', bobsFirstSocket, '4200'),
      at('connected', socketIdOf(bob)),
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'rows in the order things happened',
    );
    assert.deepEqual(
      rows.map((r) => r.seq),
      rows.map((r) => r.seq).sort((a, b) => a - b),
    );
    await row(page, 'channel_occupied', 'private-room').waitFor();
    await row(page, 'subscription_failed', 'private-room').waitFor();
    const failed = await row(page, 'subscription_failed', 'private-room').textContent();
    assert.ok(failed!.includes(socketIdOf(mallory)), failed!);
  });

  it('sends an event from the event creator, by keyboard, that a pusher-js subscriber receives', async () => {
    const { herald, clients } = await setup({ record: true });
    const listener = await clients.connect();
    const news = await subscribe(listener, 'news');
    const alerts = await subscribe(listener, 'alerts');
    const page = await newPage();
    await openConsole(page, herald);

    await page.getByRole('textbox', { name: 'Channels' }).focus();
    await page.keyboard.type('news, alerts');
    await page.keyboard.press('Tab');
    await page.keyboard.type('greeting');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('{"hello": "world"}');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Send');
    await page.keyboard.press('Enter');

    assert.deepEqual(await nextEvent(news, 'greeting'), { hello: 'world' });
    assert.deepEqual(await nextEvent(alerts, 'greeting'), { hello: 'world' });
    await page.getByRole('status').filter({ hasText: 'Sent greeting to news alerts.' }).waitFor();
    // Through the REST trigger path: recorded as a trigger, with the data as typed.
    const recorded = await herald.waitFor({ kind: 'trigger', channel: 'news', event: 'greeting' });
    assert.ok(recorded.kind === 'trigger');
    assert.equal(recorded.data, '{"hello": "world"}');
    // One row per channel, as the REST API records a trigger.
    await row(page, 'api_message', 'alerts').waitFor();
    assert.equal(await row(page, 'api_message', 'greeting').count(), 2);
  });

  it('refuses invalid JSON, channel and event names with the server’s own error text', async () => {
    const { herald } = await setup();
    const page = await newPage();
    await openConsole(page, herald);
    const channels = page.getByRole('textbox', { name: 'Channels' });
    const name = page.getByRole('textbox', { name: 'Event name' });
    const data = page.getByRole('textbox', { name: 'Data (JSON)' });
    const alert = page.locator('#send-error');
    const send = async () => {
      await page.getByRole('button', { name: 'Send' }).click();
      await alert.waitFor();
      return alert.textContent();
    };

    const badJson = '{"hello": }';
    let parseError = '';
    try {
      JSON.parse(badJson);
    } catch (error) {
      parseError = (error as Error).message;
    }
    await channels.fill('news');
    await name.fill('greeting');
    await data.fill(badJson);
    assert.equal(await send(), `Invalid JSON in data: ${parseError}`);

    // What the REST API itself answers for the same mistakes, byte for byte.
    const rest = async (body: object) => (await post(herald, '/events', body)).body.trim();
    await data.fill('{}');
    await channels.fill('bad!channel');
    const badChannel = await rest({ name: 'greeting', data: '{}', channels: ['bad!channel'] });
    assert.equal(badChannel, 'Invalid channel name: bad!channel');
    assert.equal(await send(), badChannel);

    await channels.fill('news');
    await name.fill('pusher:greeting');
    const reserved = await rest({ name: 'pusher:greeting', data: '{}', channels: ['news'] });
    assert.match(reserved, /reserved/);
    assert.equal(await send(), reserved);

    await channels.fill('');
    await name.fill('greeting');
    assert.equal(await send(), await rest({ name: 'greeting', data: '{}', channels: [] }));
    assert.equal(await row(page, 'api_message', 'greeting').count(), 0, 'nothing was sent');
  });

  it('filters the log by channel, event name, socket id and kind', async () => {
    const { herald, sdk, clients } = await setup();
    const page = await newPage();
    await openConsole(page, herald);
    const pusher = await clients.connect();
    await subscribe(pusher, 'alpha');
    await subscribe(pusher, 'beta');
    await sdk.trigger('alpha', 'first', {});
    await sdk.trigger('beta', 'second', {});
    await row(page, 'api_message', 'second').waitFor();

    const shown = async () => (await logRows(page)).filter((r) => r.shown);
    const channel = page.getByRole('searchbox', { name: 'Channel' });
    await channel.fill('alpha');
    let rows = await shown();
    assert.ok(rows.length >= 3, JSON.stringify(rows));
    assert.ok(rows.every((r) => r.text.includes('alpha') && !r.text.includes('beta')));
    assert.equal(await row(page, 'api_message', 'second').isHidden(), true);

    await page.getByLabel('Kind').selectOption({ label: 'API message' });
    rows = await shown();
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['api_message'],
    );
    assert.ok(rows[0]!.text.includes('first'));

    await channel.fill('');
    await page.getByLabel('Kind').selectOption({ label: 'All kinds' });
    await page.getByRole('searchbox', { name: 'Event name' }).fill('SECOND');
    rows = await shown();
    assert.deepEqual(
      rows.map((r) => [r.kind, r.text.includes('second')]),
      [['api_message', true]],
    );

    await page.getByRole('searchbox', { name: 'Event name' }).fill('');
    await page.getByRole('searchbox', { name: 'Socket id' }).fill(socketIdOf(pusher));
    rows = await shown();
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['connected', 'subscribed', 'subscribed'],
    );

    await page.getByRole('searchbox', { name: 'Socket id' }).fill('no-such-socket');
    await page.getByText('No row matches the filters.').waitFor();
    await page.getByRole('searchbox', { name: 'Socket id' }).fill('');
    const all = await logRows(page);
    assert.ok(all.every((r) => r.shown));
    await page
      .locator('#log-count', { hasText: `${all.length} of ${all.length} rows shown` })
      .waitFor();
  });

  it('holds new rows while paused and shows them on resume; Clear empties the log', async () => {
    const { herald, sdk } = await setup();
    const page = await newPage();
    await openConsole(page, herald);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Paused' }).waitFor();
    for (const name of ['held-1', 'held-2', 'held-3']) await sdk.trigger('news', name, {});

    // The rows reached the page (it counts them) but are not in the log.
    await page.locator('#log-count', { hasText: 'Paused: 3 new events held' }).waitFor();
    assert.equal(await page.locator('#log > li', { hasText: 'held-' }).count(), 0);

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').filter({ hasText: 'Resumed: 3 held events added.' }).waitFor();
    const held = (await logRows(page)).filter((r) => r.text.includes('held-'));
    assert.deepEqual(
      held.map((r) => r.text.match(/held-\d/)![0]),
      ['held-1', 'held-2', 'held-3'],
    );
    assert.equal(await page.getByRole('button', { name: 'Pause' }).count(), 1);

    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await page.locator('#log > li').count(), 0);
    await page.getByText('Nothing yet: events appear here as they happen.').waitFor();
    await sdk.trigger('news', 'after-clear', {});
    await row(page, 'api_message', 'after-clear').waitFor();
    assert.equal(await page.locator('#log > li').count(), 1);
  });

  it('keeps at most consoleRows rows, and a page opened late shows the recent history', async () => {
    const { herald, sdk } = await setup({ consoleRows: 10 });
    for (let i = 0; i < 25; i++) await sdk.trigger('news', `event-${i}`, {});
    const page = await newPage();
    await openConsole(page, herald);
    await row(page, 'api_message', 'event-24').waitFor();
    const names = async () =>
      (await logRows(page)).map((r) => r.text.match(/event-\d+/)?.[0] ?? r.kind);
    assert.deepEqual(
      await names(),
      Array.from({ length: 10 }, (_, i) => `event-${15 + i}`),
    );

    for (let i = 25; i < 30; i++) await sdk.trigger('news', `event-${i}`, {});
    await row(page, 'api_message', 'event-29').waitFor();
    assert.deepEqual(
      await names(),
      Array.from({ length: 10 }, (_, i) => `event-${20 + i}`),
    );
    await page
      .locator('#log-count', { hasText: '10 of 10 rows shown (at most 10 kept)' })
      .waitFor();
  });

  it('lists the occupied channels with their connections and the presence members', async () => {
    const { herald, sdk, clients } = await setup();
    const alice = await clients.connect(presenceAs(sdk, 'alice', 'Alice'));
    const bob = await clients.connect(presenceAs(sdk, 'bob', 'Bob'));
    await subscribe(alice, 'presence-room');
    await subscribe(bob, 'presence-room');
    await subscribe(alice, 'news');
    await subscribe(bob, 'news');
    const page = await newPage();
    await openConsole(page, herald);

    const channel = (name: string) => page.locator(`#channel-list > li[data-channel="${name}"]`);
    await channel('presence-room').filter({ hasText: '2 connections, 2 members' }).waitFor();
    const members = await channel('presence-room').locator('.members li').allTextContents();
    assert.deepEqual(members, ['alice {"name":"Alice"}', 'bob {"name":"Bob"}']);
    assert.equal(await channel('news').textContent(), 'news 2 connections');
    await page.getByText('2 occupied channels').waitFor();

    // The list follows what happens, without a reload.
    bob.disconnect();
    await channel('presence-room').filter({ hasText: '1 connection, 1 member' }).waitFor();
    await row(page, 'member_removed', 'bob').waitFor();
    assert.deepEqual(await channel('presence-room').locator('.members li').allTextContents(), [
      'alice {"name":"Alice"}',
    ]);
  });

  it('asks for a sign-in when a console token is set, and never sends a secret to the page', async () => {
    const token = 'console-token-for-the-test';
    const apps = [
      { id: 'one', key: 'key-one', secret: 'secret-of-app-one' },
      { id: 'two', key: 'key-two', secret: 'secret-of-app-two' },
    ];
    const { herald } = await setup({ consoleToken: token, apps });
    const page = await newPage();
    const bodies: Array<Promise<string>> = [];
    page.on('response', (response) => {
      // The feed never ends; everything else is read whole.
      if (!response.url().endsWith('/feed')) bodies.push(response.text().catch(() => ''));
    });
    const unsigned = await fetch(`${herald.url}/console/api/apps/one/feed`);
    assert.equal(unsigned.status, 401);
    assert.equal((await unsigned.text()).trim(), 'Sign in to use the console');

    await page.goto(`${herald.url}/console`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('App key').fill('key-one');
    await page.getByLabel('App secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong app key or secret' }).waitFor();

    await page.getByLabel('App secret').fill('secret-of-app-one');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in for app one only: its page, directly.
    await page.locator('#feed-state[data-state="live"]').waitFor();
    assert.equal(new URL(page.url()).pathname, '/console/apps/one');
    const [cookie, ...others] = await page.context().cookies();
    assert.equal(others.length, 0);
    assert.deepEqual(
      [cookie!.name, cookie!.httpOnly, cookie!.sameSite, cookie!.path],
      ['herald_console', true, 'Strict', '/console'],
    );
    assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read it');
    assert.equal(
      await page.evaluate(() => fetch('/console/api/apps/two/channels').then((r) => r.status)),
      403,
    );
    await page.goto(`${herald.url}/console/apps/two`);
    await page.getByText('There is no app two in this console for this sign-in.').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(
      await page.evaluate(() => fetch('/console/api/apps/one/channels').then((r) => r.status)),
      401,
    );

    await page.getByLabel('Console token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The token opens every app: the list of both.
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    assert.deepEqual(await page.locator('#app-list a').allTextContents(), ['one', 'two']);
    await page.getByRole('link', { name: 'two' }).click();
    await page.locator('#feed-state[data-state="live"]').waitFor();
    assert.equal(await page.getByLabel('App secret').inputValue(), '');

    const read = await Promise.all(bodies);
    assert.ok(read.length >= 8, `${read.length} responses read`);
    const everything = [...read, await page.content()].join('\n');
    for (const secret of [token, 'secret-of-app-one', 'secret-of-app-two']) {
      assert.ok(!everything.includes(secret), `${secret} reached the page`);
    }
  });

  it('is not served with console: false, and listens to nothing then', async () => {
    // Metrics off too: they listen to the same events.
    const { herald } = await setup({ console: false, metrics: false });
    const response = await fetch(`${herald.url}/console`);
    assert.equal(response.status, 404);
    assert.equal(herald.server.lifecycle.has('connection_opened'), false);
    const on = await setup({ metrics: false });
    assert.equal(on.herald.server.lifecycle.has('connection_opened'), true);
    // startHerald() leaves it off unless asked, like the recording.
    const plain = await startHerald();
    cleanups.push(() => plain.stop());
    assert.equal((await fetch(`${plain.url}/console`)).status, 404);
  });

  it('lets herald stop at once while a page is open', { timeout: 20_000 }, async () => {
    // A stop that waited for the page's feed would take the whole minute.
    const { herald } = await setup({ shutdownTimeout: 60_000 });
    const page = await newPage();
    await openConsole(page, herald);
    await herald.stop();
    await page.locator('#feed-state:not([data-state="live"])').waitFor();
  });

  it('reads well at 1280x800 and at a phone’s 390x844 (screenshots in test-artifacts/)', async () => {
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.close());
    const { herald, sdk, clients } = await setup({
      vacateDelayMs: 0,
      webhookBatchMs: 0,
      apps: [
        {
          id: 'shop',
          key: 'shop-key',
          secret: 'shop-secret',
          webhooks: [{ url: receiver.url, events: ['channel_occupied', 'member_added'] }],
        },
      ],
    });
    const page = await newPage();
    await openConsole(page, herald);
    const alice = await clients.connect(presenceAs(sdk, 'alice', 'Alice'));
    const bob = await clients.connect(presenceAs(sdk, 'bob', 'Bob'));
    const room = await subscribe(alice, 'presence-support');
    await subscribe(bob, 'presence-support');
    await subscribe(bob, 'private-orders');
    await sdk.trigger('private-orders', 'order-shipped', { orderId: 7, carrier: 'DHL' });
    room.trigger('client-typing', { typing: true });
    await page.getByRole('textbox', { name: 'Channels' }).fill('private-orders');
    await page.getByRole('textbox', { name: 'Event name' }).fill('order-delivered');
    await page.getByRole('textbox', { name: 'Data (JSON)' }).fill('{"orderId": 7}');
    await page.getByRole('button', { name: 'Send' }).click();
    await row(page, 'api_message', 'order-delivered').waitFor();
    await row(page, 'webhook', 'member_added').first().waitFor();
    await page.locator('#channel-list li', { hasText: '2 members' }).waitFor();

    // Every form control has a label; nothing scrolls sideways.
    const unlabelled = await page
      .locator('input, select, textarea')
      .evaluateAll((controls) =>
        (controls as unknown as PageElement[])
          .filter((c) => c.labels?.length === 0)
          .map((c) => c.id),
      );
    assert.deepEqual(unlabelled, []);
    mkdirSync(artifacts, { recursive: true });
    const wide = fileURLToPath(new URL('console-1280x800.png', artifacts));
    await page.screenshot({ path: wide });
    const side = await page.getByRole('heading', { name: 'Send an event' }).boundingBox();
    const log = await page.getByRole('heading', { name: 'Event log' }).boundingBox();
    assert.ok(side!.x > log!.x + 400, 'the event creator sits beside the log');
    if (process.env.HERALD_UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: fileURLToPath(new URL('docs/console.png', root)) });
    }

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.equal(overflow, 0, 'no horizontal scrolling at 390 px');
    const narrowSide = await page.getByRole('heading', { name: 'Send an event' }).boundingBox();
    const narrowLog = await page.getByRole('heading', { name: 'Event log' }).boundingBox();
    assert.ok(narrowSide!.y > narrowLog!.y, 'the event creator comes below the log');
    await page.screenshot({ path: fileURLToPath(new URL('console-390x844.png', artifacts)) });
    await page.screenshot({
      path: fileURLToPath(new URL('console-390x844-full.png', artifacts)),
      fullPage: true,
    });
  });
});

/** The first `count` entries of a feed (its `id:` and data), then the request is dropped. */
function readFeed(
  url: string,
  headers: Record<string, string>,
  count: number,
): Promise<Array<{ id: string; entry: { seq: number; kind: string; event?: string } }>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`feed answered ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const events = [...text.matchAll(/^id: (\S+)\ndata: (.*)$/gm)].map(([, id, data]) => ({
          id: id!,
          entry: JSON.parse(data!) as { seq: number; kind: string; event?: string },
        }));
        if (events.length >= count) {
          resolve(events.slice(0, count));
          req.destroy();
        }
      });
    });
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

describe('the debug console over HTTP', () => {
  it('resumes a feed after the Last-Event-ID a reconnecting page sends', async () => {
    const { herald, sdk } = await setup();
    for (const name of ['one', 'two', 'three']) await sdk.trigger('news', name, {});
    const feed = `${herald.url}/console/api/apps/app-id/feed`;
    const all = await readFeed(feed, {}, 3);
    assert.deepEqual(
      all.map(({ entry }) => [entry.seq, entry.kind, entry.event]),
      [
        [1, 'api_message', 'one'],
        [2, 'api_message', 'two'],
        [3, 'api_message', 'three'],
      ],
    );
    const resumed = readFeed(feed, { 'last-event-id': all[1]!.id }, 2);
    await sdk.trigger('news', 'four', {});
    assert.deepEqual(
      (await resumed).map(({ entry }) => entry.event),
      ['three', 'four'],
    );
    // An id of another server run (herald restarted) gets the whole history.
    const restarted = await readFeed(feed, { 'last-event-id': 'other-run.3' }, 1);
    assert.equal(restarted[0]!.entry.event, 'one');
  });

  it('refuses other host names, other origins and non-JSON posts', async () => {
    const { herald } = await setup();
    const path = '/console/api/apps/app-id/events';
    const body = JSON.stringify({ channels: ['news'], name: 'e', data: '{}' });
    const rebound = await send(herald.url, 'GET', '/console/api/session', {
      headers: { host: `rebound.example:${herald.port}` },
    });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /loopback host names only/);
    const crossSite = await send(herald.url, 'POST', path, {
      body,
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.body, /Cross-origin console request from http:\/\/evil.example/);
    const form = await send(herald.url, 'POST', path, {
      body: 'channels=news&name=e&data=%7B%7D',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const ok = await send(herald.url, 'POST', path, { body });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { sent: { channels: ['news'], name: 'e' } });
  });

  it('answers unknown paths, apps and methods with their status', async () => {
    const { herald } = await setup();
    const status = async (method: string, path: string) =>
      (await send(herald.url, method, path)).status;
    assert.equal(await status('GET', '/console/nope.txt'), 404);
    assert.equal(await status('GET', '/console/api/nope'), 404);
    assert.equal(await status('GET', '/console/api/apps/no-such-app/channels'), 404);
    assert.equal(await status('DELETE', '/console'), 405);
    assert.equal(await status('GET', '/console/api/apps/app-id/events'), 405);
    assert.equal(await status('GET', '/console/api/apps/%E0%A4%A/channels'), 400);
    const head = await send(herald.url, 'HEAD', '/console/console.js');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(String(head.headers['content-security-policy']), /script-src 'self'/);
  });
});
