/**
 * Subscription counts end to end (PROTOCOL.md §2.2 step 9, §2.13): with the app's
 * `subscriptionCount` on, every change of a non-presence channel's connection count reaches its
 * subscribers (pusher-js: `pusher:subscription_count`, `channel.subscriptionCount`); never on
 * presence or user channels, never with the option off; above 100 subscribers at most once per
 * 5 s, on a clock the test drives.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { ManualClock, startHerald, type TestHerald } from '../../src/testing/index.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import { PusherJsClients, eventsOf, nextEvent, subscribe } from '../helpers/pusher-js.js';
import {
  closeOnServer,
  disconnectOnServer,
  framesBefore,
  rawSignin,
  signedSubscribe,
  subscribeAnswer,
  triggerMarker,
} from '../helpers/auth.js';

const APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;
const COUNT_EVENT = 'pusher_internal:subscription_count';

const isCount = (frame: ServerFrame) => frame.event === COUNT_EVENT;
const countOf = (frame: ServerFrame) =>
  (JSON.parse(frame.data as string) as { subscription_count: number }).subscription_count;

describe('subscription counts, app option on (§2.13)', () => {
  // Starts at the real time so the SDK's REST timestamps stay inside the server's window.
  const clock = new ManualClock(Date.now());
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let pusherJs: PusherJsClients;
  let channels = 0;
  const fresh = (base: string) => `${base}-${++channels}`;

  /** Subscribes a raw client (signed for private channels) and waits for success. */
  async function join(client: RawClient, channel: string): Promise<void> {
    const data = channel.startsWith('private-')
      ? signedSubscribe(sdk, client, channel)
      : { auth: '', channel };
    const answer = await subscribeAnswer(client, data);
    assert.equal(answer.event, 'pusher_internal:subscription_succeeded', JSON.stringify(answer));
  }

  /** The next subscription count `client` receives on `channel`. */
  async function nextCount(client: RawClient, channel: string): Promise<number> {
    return countOf(await client.nextEvent(COUNT_EVENT, channel));
  }

  /** Counts `client` got on `channel` up to a marker triggered now. */
  async function countsUntilMarker(client: RawClient, channel: string): Promise<number[]> {
    const marker = await triggerMarker(sdk, channel);
    const frames = await framesBefore(client, (f) => f.event === marker, marker);
    return frames.filter(isCount).map(countOf);
  }

  before(async () => {
    herald = await startHerald(
      { activityTimeout: 3600, apps: [{ ...APP, subscriptionCount: true }] },
      { clock },
    );
    sdk = new PusherServer(herald.pusherOptions);
    raw = new RawClients(herald);
    pusherJs = new PusherJsClients(herald, { authorizer: sdk });
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  it('pusher-js: pusher:subscription_count and channel.subscriptionCount follow joins and leaves', async () => {
    const channel = fresh('room');
    const lifecycle = herald.server.lifecycle;
    const first = await pusherJs.connect();
    const watched = await subscribe(first, channel);
    assert.deepEqual(await nextEvent(watched, 'pusher:subscription_count'), {
      subscription_count: 1,
    });
    assert.equal(watched.subscriptionCount, 1);

    const second = await pusherJs.connect();
    const joined = await subscribe(second, channel);
    for (const seen of [watched, joined]) {
      assert.deepEqual(await nextEvent(seen, 'pusher:subscription_count'), {
        subscription_count: 2,
      });
      assert.equal(seen.subscriptionCount, 2);
    }

    second.unsubscribe(channel);
    assert.deepEqual(await nextEvent(watched, 'pusher:subscription_count'), {
      subscription_count: 1,
    });

    const third = await pusherJs.connect();
    await subscribe(third, channel);
    assert.deepEqual(await nextEvent(watched, 'pusher:subscription_count'), {
      subscription_count: 2,
    });
    await disconnectOnServer(lifecycle, third);
    assert.deepEqual(await nextEvent(watched, 'pusher:subscription_count'), {
      subscription_count: 1,
    });
    assert.equal(watched.subscriptionCount, 1);
  });

  it('wire: the count frame follows subscription_succeeded, data a JSON string', async () => {
    const channel = fresh('wire');
    const client = await raw.connect();
    await join(client, channel);
    assert.deepEqual(await client.nextEvent(COUNT_EVENT, channel), {
      event: COUNT_EVENT,
      channel,
      data: '{"subscription_count":1}',
    });
  });

  it('counts private and cache channels too', async () => {
    for (const channel of [fresh('private-count'), fresh('cache-count')]) {
      const first = await raw.connect();
      await join(first, channel);
      assert.equal(await nextCount(first, channel), 1);
      const second = await raw.connect();
      await join(second, channel);
      assert.equal(await nextCount(first, channel), 2);
      assert.equal(await nextCount(second, channel), 2);
    }
  });

  it('never on presence channels', async () => {
    const channel = fresh('presence-count');
    const clients: RawClient[] = [];
    for (const userId of ['1', '2']) {
      const client = await raw.connect();
      const answer = await subscribeAnswer(
        client,
        signedSubscribe(sdk, client, channel, { user_id: userId }),
      );
      assert.equal(answer.event, 'pusher_internal:subscription_succeeded');
      clients.push(client);
    }
    await closeOnServer(herald.server.lifecycle, clients.pop()!);
    assert.deepEqual(await countsUntilMarker(clients[0]!, channel), []);
  });

  it('never on a user channel', async () => {
    const client = await raw.connect();
    const signed = await rawSignin(client, sdk.authenticateUser(client.socketId, { id: 'cat' }));
    assert.equal(signed.event, 'pusher:signin_success');
    await join(client, '#server-to-user-cat');
    await sdk.sendToUser('cat', 'marker', {});
    const before = await framesBefore(client, (f) => f.event === 'marker', 'marker');
    assert.deepEqual(before.filter(isCount), []);
  });

  it('above 100 subscribers: at most one count per 5 s, the held change sent once they pass', async () => {
    const channel = fresh('crowd');
    const observer = await raw.connect();
    await join(observer, channel);
    const others: RawClient[] = [];
    // Up to 101 every change is announced; the first above 100 too, as it starts the window.
    for (let i = 0; i < 100; i++) {
      const client = await raw.connect();
      await join(client, channel);
      others.push(client);
    }
    assert.deepEqual(
      await countsUntilMarker(observer, channel),
      Array.from({ length: 101 }, (_, i) => i + 1),
    );

    const held = await raw.connect();
    await join(held, channel);
    assert.deepEqual(await countsUntilMarker(observer, channel), [], '102 held back');

    clock.advance(5000);
    assert.equal(await nextCount(observer, channel), 102, 'sent once 5 s have passed');

    // Back at 100, every change is announced again at once.
    await closeOnServer(herald.server.lifecycle, held);
    await closeOnServer(herald.server.lifecycle, others.pop()!);
    assert.deepEqual(await countsUntilMarker(observer, channel), [100]);
  });
});

describe('subscription counts, app option off (default)', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let pusherJs: PusherJsClients;

  before(async () => {
    herald = await startHerald();
    sdk = new PusherServer(herald.pusherOptions);
    raw = new RawClients(herald);
    pusherJs = new PusherJsClients(herald);
  });
  after(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
    await herald.stop();
  });

  it('sends no subscription counts', async () => {
    const channel = 'quiet';
    const first = await raw.connect();
    await first.subscribe(channel, '');
    const pusher = await pusherJs.connect();
    const seen = await subscribe(pusher, channel);
    const second = await raw.connect();
    await second.subscribe(channel, '');
    await closeOnServer(herald.server.lifecycle, second);

    const marker = await triggerMarker(sdk, channel);
    const frames = await framesBefore(first, (f) => f.event === marker, marker);
    assert.deepEqual(frames.filter(isCount), []);
    await nextEvent(seen, marker);
    assert.deepEqual(
      eventsOf(seen).items.filter((e) => e.event === 'pusher:subscription_count'),
      [],
    );
    assert.equal(seen.subscriptionCount ?? null, null);
  });
});
