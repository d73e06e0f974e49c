/**
 * The chat page in a real browser: Chromium driven by playwright-core, each user in a browser
 * context of their own (their own cookies, so their own session), against herald started
 * in-process by `startHerald()` from `herald/testing` and the backend on a free port. herald's
 * recording tells which connection did what; its fault injection drops the pages' sockets.
 *
 * Run with `npm run build && node --test dist/examples/chat/`. It needs Chromium (Debian:
 * `apt-get install chromium`; elsewhere set CHROMIUM to its path), never downloads a browser,
 * and is skipped, saying why, without one.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startHerald, type TestHerald } from 'herald/testing';
import type { Message } from './messages.js';
import { startChatServer, type ChatServer } from './server.js';
import { Visitor } from './visitor.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (Debian: apt-get install chromium; or set CHROMIUM)`;

/** A page signed in as a user, and the socket id herald gave its connection. */
interface Tab {
  readonly page: Page;
  readonly socketId: string;
}

describe('the chat in Chromium', { skip }, () => {
  let herald: TestHerald;
  let chat: ChatServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    herald = await startHerald({ record: true });
    browser = await chromium.launch({
      executablePath,
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

  beforeEach(async () => {
    chat = await startChatServer({
      port: 0,
      pusher: herald.pusherOptions,
      pusherJs: herald.pusherJsOptions,
    });
  });

  afterEach(async () => {
    // Closing the contexts closes their pages' connections; the reset clears what is left.
    for (const context of contexts.splice(0)) await context.close();
    await chat.stop();
    await herald.reset();
  });

  after(async () => {
    await browser.close();
    await herald.stop();
  });

  const lastSeq = () => herald.events().at(-1)?.seq ?? 0;

  /** Waits for herald's record of `kind` matching `match`; its `seq` and socket id. */
  async function recorded(
    kind: 'subscribed' | 'signed_in',
    match: { after?: number; userId?: string; socketId?: string } = {},
  ): Promise<{ seq: number; socketId: string }> {
    const channel = kind === 'subscribed' ? { channel: 'presence-chat' } : {};
    const record = await herald.waitFor({ kind, ...channel, ...match });
    assert.ok(record.kind === kind, `expected ${kind}, got ${record.kind}`);
    return { seq: record.seq, socketId: record.socketId };
  }

  /** Opens the chat in `context` and waits until herald has the page's chat subscription. */
  async function open(context: BrowserContext, name?: string): Promise<Tab> {
    const before = lastSeq();
    const page = await context.newPage();
    await page.goto(chat.url);
    if (name !== undefined) {
      // Nothing of the chat before a name is given.
      await page.getByLabel('Your name').waitFor();
      assert.equal(await page.locator('#chat').isVisible(), false);
      await page.getByLabel('Your name').fill(name);
      await page.getByRole('button', { name: 'Join the chat' }).click();
    }
    const { socketId } = await recorded('subscribed', { after: before });
    // Signed in too, so that herald can close all of a user's tabs.
    await recorded('signed_in', { socketId });
    // The page lists its own user once its subscription succeeded.
    await page.locator('#online li', { hasText: '(you)' }).waitFor();
    return { page, socketId };
  }

  /** A user in a browser context of their own, signed in on a first tab. */
  async function userNamed(name: string): Promise<Tab> {
    const context = await browser.newContext();
    contexts.push(context);
    return open(context, name);
  }

  /** Another tab of the same user: same context, same session cookie, no name asked. */
  const anotherTab = (tab: Tab) => open(tab.page.context());

  async function send(page: Page, text: string): Promise<void> {
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  const messageTexts = (page: Page) => page.locator('#messages li .text').allTextContents();
  const onlineNames = (page: Page) => page.locator('#online li').allTextContents();
  const connectionState = (page: Page) =>
    page.locator('#connection-state').getAttribute('data-state');

  /** What herald recorded as triggered, in order. */
  const triggers = () =>
    herald
      .events({ kind: 'trigger' })
      .flatMap((record) =>
        record.kind === 'trigger'
          ? [{ message: JSON.parse(record.data) as Message, socketId: record.socketId }]
          : [],
      );

  /** Waits until the page says it is connected (pusher-js's `connected` state). */
  const connected = (page: Page) =>
    page.locator('#connection-state[data-state="connected"]').waitFor();

  it('shows a message once for the sender and once for the others', async () => {
    const ann = await userNamed('Ann');
    const bob = await userNamed('Bob');

    await send(ann.page, 'Hello Bob');
    await bob.page.locator('#messages li', { hasText: 'Hello Bob' }).waitFor();
    await send(bob.page, 'Hi Ann');
    // Each connection gets its events in order: once Bob's reply is on a page, whatever came
    // before it is there too.
    for (const { page } of [ann, bob]) {
      await page.locator('#messages li', { hasText: 'Hi Ann' }).waitFor();
      assert.deepEqual(await messageTexts(page), ['Hello Bob', 'Hi Ann']);
    }
    // Why once: each page sent its socket id, and each trigger left exactly that connection out.
    assert.deepEqual(
      triggers().map(({ message, socketId }) => [message.text, socketId]),
      [
        ['Hello Bob', ann.socketId],
        ['Hi Ann', bob.socketId],
      ],
    );
  });

  it('lists who is online, a user with two tabs once, and drops a user whose pages close', async () => {
    const ann = await userNamed('Ann');
    const bob = await userNamed('Bob');
    await bob.page.locator('#online li[data-user-id="Ann"]').waitFor();
    await ann.page.locator('#online li[data-user-id="Bob"]').waitFor();
    assert.deepEqual(await onlineNames(ann.page), ['Ann (you)', 'Bob']);
    assert.deepEqual(await onlineNames(bob.page), ['Ann', 'Bob (you)']);

    const annAgain = await anotherTab(ann);
    assert.deepEqual(await onlineNames(annAgain.page), ['Ann (you)', 'Bob']);
    assert.deepEqual(await herald.members('presence-chat'), [
      { id: 'Ann', info: { name: 'Ann' } },
      { id: 'Bob', info: { name: 'Bob' } },
    ]);

    // One of Ann's tabs closes: she is still online.
    await annAgain.page.close();
    await herald.waitFor({ kind: 'disconnected', socketId: annAgain.socketId });
    assert.deepEqual(herald.events({ kind: 'member_removed' }), []);
    assert.deepEqual(await onlineNames(bob.page), ['Ann', 'Bob (you)']);

    // Her last one closes: she is gone from Bob's list.
    await ann.page.close();
    await bob.page.locator('#online li[data-user-id="Ann"]').waitFor({ state: 'detached' });
    assert.deepEqual(await onlineNames(bob.page), ['Bob (you)']);
    const removed = herald.events({ kind: 'member_removed' });
    assert.deepEqual(
      removed.map((record) => record.kind === 'member_removed' && record.userId),
      ['Ann'],
    );
  });

  it('shows "typing…" to the others only, at most one event a second from a page', async () => {
    const ann = await userNamed('Ann');
    const annAgain = await anotherTab(ann);
    const bob = await userNamed('Bob');

    // Date.now() stands still on Ann's first tab (timers still run), so the page's throttle
    // sees every keystroke at the same moment until the test moves the clock.
    const start = Date.now();
    await ann.page.clock.setFixedTime(start);
    // Watched while typing: the indicator goes 3 s after the last typing event.
    const bobSees = bob.page.locator('#typing', { hasText: /^Ann is typing…$/ }).waitFor();
    await ann.page.getByLabel('Message', { exact: true }).pressSequentially('Hello there');
    await bobSees;
    await ann.page.clock.setFixedTime(start + 999);
    await ann.page.getByLabel('Message', { exact: true }).press('!');
    await ann.page.clock.setFixedTime(start + 1000);
    await ann.page.getByLabel('Message', { exact: true }).press('?');
    const [first] = herald.events({ kind: 'client_event', socketId: ann.socketId });
    assert.ok(first?.kind === 'client_event');
    assert.equal(first.event, 'client-typing');
    const second = await herald.waitFor({
      kind: 'client_event',
      socketId: ann.socketId,
      after: first.seq,
    });
    // A connection's events are recorded in order: one more from the burst would come before.
    assert.deepEqual(
      herald.events({ kind: 'client_event', socketId: ann.socketId }).map(({ seq }) => seq),
      [first.seq, second.seq],
    );

    // Ann sees Bob typing, on both tabs, and never herself, though her other tab got her
    // events: with her own, the line would read "Ann and Bob are typing…".
    const annSees = [ann, annAgain].map(({ page }) =>
      page.locator('#typing', { hasText: /^Bob is typing…$/ }).waitFor(),
    );
    await bob.page.getByLabel('Message', { exact: true }).press('H');
    await Promise.all(annSees);

    // Ann's message ends her "typing…" on Bob's page with it.
    await ann.page.getByRole('button', { name: 'Send' }).click();
    await bob.page.locator('#messages li', { hasText: 'Hello there!?' }).waitFor();
    assert.equal(await bob.page.locator('#typing').textContent(), '');
  });

  it('reconnects both pages after herald drops their sockets, and keeps working', async () => {
    const ann = await userNamed('Ann');
    const bob = await userNamed('Bob');
    const dropped = lastSeq();

    // 4100: pusher-js retries every second. herald refuses the retries (with 4100 too) until
    // both pages have shown that they are not connected, then lets them back in.
    herald.refuseConnections(60_000);
    assert.equal(herald.disconnectAll({ code: 4100 }), 2);
    await Promise.all(
      [ann, bob].map(({ page }) =>
        page.locator('#connection-state:not([data-state="connected"])').waitFor(),
      ),
    );
    herald.refuseConnections(0);
    await Promise.all([ann, bob].map(({ page }) => connected(page)));
    const first = await recorded('subscribed', { after: dropped });
    await recorded('subscribed', { after: first.seq });
    const bobNow = await recorded('signed_in', { userId: 'Bob', after: dropped });
    await bob.page.locator('#online li[data-user-id="Ann"]').waitFor();

    await send(bob.page, 'Still there?');
    await ann.page.locator('#messages li', { hasText: 'Still there?' }).waitFor();
    assert.deepEqual(await messageTexts(bob.page), ['Still there?']);
    // The exclusion follows the page to its new connection.
    assert.notEqual(bobNow.socketId, bob.socketId);
    assert.deepEqual(
      triggers().map(({ socketId }) => socketId),
      [bobNow.socketId],
    );
  });

  it('shows a message posted over plain HTTP live, as curl would post it', async () => {
    const ann = await userNamed('Ann');
    const bob = await userNamed('Bob');

    const carol = await Visitor.signedIn(chat.url, 'Carol');
    const posted = await carol.json('POST', '/messages', { text: 'Posted from a script' });
    assert.equal(posted.status, 201);
    for (const { page } of [ann, bob]) {
      const item = page.locator('#messages li', { hasText: 'Posted from a script' });
      await item.waitFor();
      assert.equal(await item.locator('strong').textContent(), 'Carol');
    }
  });

  it('offers Reconnect when the connection was closed for good, and reconnects', async () => {
    const ann = await userNamed('Ann');
    const bob = await userNamed('Bob');

    // 4009, as the REST API's terminate_connections closes: pusher-js does not retry.
    await herald.disconnectUser('Ann');
    await ann.page.locator('#connection-state[data-state="disconnected"]').waitFor();
    await bob.page.locator('#online li[data-user-id="Ann"]').waitFor({ state: 'detached' });
    assert.equal(await connectionState(bob.page), 'connected');

    await ann.page.getByRole('button', { name: 'Reconnect' }).click();
    await connected(ann.page);
    await bob.page.locator('#online li[data-user-id="Ann"]').waitFor();
    assert.equal(await ann.page.getByRole('button', { name: 'Reconnect' }).isVisible(), false);
  });
});
