/**
 * Cache channels end to end (PROTOCOL.md §2.12, §3.2, §5.6, §8): for each of the four cache
 * prefixes, the last REST event reaches a new subscriber right after `subscription_succeeded`
 * (to that connection only), an empty cache is a `pusher:cache_miss`, client events are never
 * cached, and the entry expires after the app's `cacheTtl` on a clock the test drives.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import PusherServer from 'pusher';
import { ManualClock, startHerald, type TestHerald } from '../../src/testing/index.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import { eventsOf, nextEvent, subscribe } from '../helpers/pusher-js.js';
import {
  AuthClients,
  framesBefore,
  itemsBefore,
  signedSubscribe,
  subscribeAnswer,
  triggerMarker,
} from '../helpers/auth.js';

const APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;
const TTL_S = 60;
const PREFIXES = ['cache-', 'private-cache-', 'private-encrypted-cache-', 'presence-cache-'];
const MEMBER = { user_id: 'u1' } as const;

describe('cache channels', () => {
  // The TTL is checked by moving this clock; it starts at the real time so the SDK's REST
  // timestamps stay inside the server's 600 s window.
  const clock = new ManualClock(Date.now());
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let clients: AuthClients;
  let channels = 0;
  const fresh = (prefix: string, base: string) => `${prefix}${base}-${++channels}`;

  /** A raw subscription to any cache channel (signed where needed); returns its answer. */
  async function rawSubscribe(client: RawClient, channel: string): Promise<ServerFrame> {
    const data = channel.startsWith('cache-')
      ? { auth: '', channel }
      : signedSubscribe(sdk, client, channel, channel.startsWith('presence-') ? MEMBER : undefined);
    const answer = await subscribeAnswer(client, data);
    assert.equal(answer.event, 'pusher_internal:subscription_succeeded', JSON.stringify(answer));
    return answer;
  }

  /** The frame the server sent right after `answer` on the same connection. */
  async function frameAfter(client: RawClient, answer: ServerFrame): Promise<ServerFrame> {
    const index = client.frames.indexOf(answer);
    if (client.frames.length <= index + 1) {
      await client.next((f) => f.channel === answer.channel, `what follows ${answer.event}`);
    }
    return client.frames[index + 1]!;
  }

  async function cacheInfo(channel: string, info = 'cache'): Promise<unknown> {
    const response = await sdk.get({ path: `/channels/${channel}`, params: { info } });
    return response.json();
  }

  before(async () => {
    herald = await startHerald(
      // Connections must not go idle on the server while the clock jumps.
      { activityTimeout: 3600, apps: [{ ...APP, cacheTtl: TTL_S }] },
      { clock },
    );
    sdk = new PusherServer({
      ...herald.pusherOptions,
      // Lets the SDK encrypt for private-encrypted-cache- and hand pusher-js its shared_secret.
      encryptionMasterKeyBase64: randomBytes(32).toString('base64'),
    });
    raw = new RawClients(herald);
    clients = new AuthClients(herald, sdk);
  });
  afterEach(async () => {
    clients.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  for (const prefix of PREFIXES) {
    describe(`${prefix}* (§8)`, () => {
      it('pusher-js: a new subscriber gets the cached REST event right after subscription_succeeded', async () => {
        const channel = fresh(prefix, 'hit');
        await sdk.trigger(channel, 'price', { usd: 42 });
        const pusher = await clients.connect({ member: MEMBER });
        const events = eventsOf(pusher.subscribe(channel));
        await events.next((e) => e.event === 'price', 'the cached event');
        assert.deepEqual(
          events.items.map((e) => e.event),
          ['pusher:subscription_succeeded', 'price'],
        );
        assert.deepEqual(events.items[1]!.data, { usd: 42 });
      });

      it('pusher-js: an empty cache is pusher:cache_miss on the channel', async () => {
        const channel = fresh(prefix, 'miss');
        const pusher = await clients.connect({ member: MEMBER });
        const events = eventsOf(pusher.subscribe(channel));
        await events.next((e) => e.event === 'pusher:cache_miss', 'pusher:cache_miss');
        assert.deepEqual(
          events.items.map((e) => e.event),
          ['pusher:subscription_succeeded', 'pusher:cache_miss'],
        );
      });

      it('wire: the cached frame follows subscription_succeeded, data as stored (GET info=cache)', async () => {
        const channel = fresh(prefix, 'wire');
        await sdk.trigger(channel, 'price', { usd: 7 });
        const stored = (await cacheInfo(channel)) as { cache: { data: string } };
        const client = await raw.connect();
        const cached = await frameAfter(client, await rawSubscribe(client, channel));
        assert.deepEqual(cached, { event: 'price', channel, data: stored.cache.data });
        if (!prefix.startsWith('private-encrypted-')) assert.equal(stored.cache.data, '{"usd":7}');

        const missed = fresh(prefix, 'wire-miss');
        const other = await raw.connect();
        assert.deepEqual(await frameAfter(other, await rawSubscribe(other, missed)), {
          event: 'pusher:cache_miss',
          channel: missed,
        });
      });

      it('the last event wins', async () => {
        const channel = fresh(prefix, 'last');
        await sdk.trigger(channel, 'price', { usd: 1 });
        await sdk.trigger(channel, 'price', { usd: 2 });
        const pusher = await clients.connect({ member: MEMBER });
        const joined = await subscribe(pusher, channel);
        assert.deepEqual(await nextEvent(joined, 'price'), { usd: 2 });
        const marker = await triggerMarker(sdk, channel);
        const more = await itemsBefore(eventsOf(joined), (e) => e.event === marker, marker);
        assert.deepEqual(more, [], 'one cached event, not a history');
      });
    });
  }

  describe('what is and is not cached (§2.8, §8)', () => {
    for (const prefix of ['private-cache-', 'presence-cache-']) {
      it(`${prefix}*: client events are relayed but never cached`, async () => {
        const channel = fresh(prefix, 'chat');
        const sender = await clients.connect({ member: { user_id: 'sender' } });
        const receiver = await clients.connect({ member: { user_id: 'receiver' } });
        const sent = await subscribe(sender, channel);
        const received = await subscribe(receiver, channel);
        const relayed = nextEvent(received, 'client-typing');
        assert.equal(sent.trigger('client-typing', { typing: true }), true);
        assert.deepEqual(await relayed, { typing: true });

        const late = await raw.connect();
        assert.equal(
          (await frameAfter(late, await rawSubscribe(late, channel))).event,
          'pusher:cache_miss',
        );

        await sdk.trigger(channel, 'price', { usd: 3 });
        await nextEvent(received, 'price');
        const again = nextEvent(received, 'client-typing');
        sent.trigger('client-typing', { typing: false });
        await again;
        const later = await raw.connect();
        const cached = await frameAfter(later, await rawSubscribe(later, channel));
        assert.deepEqual(cached, { event: 'price', channel, data: '{"usd":3}' });
      });
    }

    it('events of multi-channel and batch triggers are cached on each cache channel', async () => {
      const [a, b, c] = [
        fresh('cache-', 'multi'),
        fresh('private-cache-', 'multi'),
        fresh('cache-', 'batch'),
      ];
      await sdk.trigger([a, b, 'not-cached'], 'price', { usd: 6 });
      await sdk.triggerBatch([{ channel: c, name: 'tick', data: '{"n":1}' }]);
      for (const [channel, event, data] of [
        [a, 'price', '{"usd":6}'],
        [b, 'price', '{"usd":6}'],
        [c, 'tick', '{"n":1}'],
      ] as const) {
        const client = await raw.connect();
        const cached = await frameAfter(client, await rawSubscribe(client, channel));
        assert.deepEqual(cached, { event, channel, data });
      }
    });

    it('an event triggered with socket_id is cached although not delivered to that socket', async () => {
      const channel = fresh('cache-', 'excluded');
      const first = await raw.connect();
      await rawSubscribe(first, channel);
      await sdk.trigger(channel, 'price', { usd: 5 }, { socket_id: first.socketId });
      const second = await raw.connect();
      const cached = await frameAfter(second, await rawSubscribe(second, channel));
      assert.deepEqual(cached, { event: 'price', channel, data: '{"usd":5}' });
      first.skipAll();
      const marker = await triggerMarker(sdk, channel);
      assert.deepEqual(await framesBefore(first, (f) => f.event === marker, marker), []);
    });

    it('the cached event goes to the new subscriber only, not again to the others', async () => {
      const channel = fresh('cache-', 'only-new');
      await sdk.trigger(channel, 'price', { usd: 8 });
      const first = await raw.connect();
      await rawSubscribe(first, channel);
      await first.nextEvent('price', channel);
      const second = await raw.connect();
      await rawSubscribe(second, channel);
      await second.nextEvent('price', channel);
      const marker = await triggerMarker(sdk, channel);
      assert.deepEqual(await framesBefore(first, (f) => f.event === marker, marker), []);
    });
  });

  describe('TTL and GET /channels/{name}?info=cache (§5.6, §8)', () => {
    it('reports data and seconds left, counts down with the clock, expires at cacheTtl', async () => {
      const channel = fresh('cache-', 'ttl');
      assert.deepEqual(await cacheInfo(channel), { occupied: false, cache: null });

      await sdk.trigger(channel, 'price', { usd: 9 });
      assert.deepEqual(await cacheInfo(channel), {
        occupied: false,
        cache: { data: '{"usd":9}', ttl: TTL_S },
      });

      clock.advance(TTL_S * 1000 - 1);
      assert.deepEqual(await cacheInfo(channel), {
        occupied: false,
        cache: { data: '{"usd":9}', ttl: 1 },
      });
      const early = await raw.connect();
      assert.deepEqual(await frameAfter(early, await rawSubscribe(early, channel)), {
        event: 'price',
        channel,
        data: '{"usd":9}',
      });
      assert.deepEqual(await cacheInfo(channel, 'cache,subscription_count'), {
        occupied: true,
        subscription_count: 1,
        cache: { data: '{"usd":9}', ttl: 1 },
      });

      clock.advance(1);
      const late = await raw.connect();
      assert.deepEqual(await frameAfter(late, await rawSubscribe(late, channel)), {
        event: 'pusher:cache_miss',
        channel,
      });
      assert.deepEqual(await cacheInfo(channel), { occupied: true, cache: null });
    });

    it('the cache outlives occupancy', async () => {
      const channel = fresh('private-cache-', 'outlives');
      const client = await raw.connect();
      await rawSubscribe(client, channel);
      await sdk.trigger(channel, 'price', { usd: 4 });
      client.send({ event: 'pusher:unsubscribe', data: { channel } });
      await client.roundTrip();
      assert.deepEqual(await cacheInfo(channel), {
        occupied: false,
        cache: { data: '{"usd":4}', ttl: TTL_S },
      });
    });

    it('info=cache on a channel that is not a cache channel is 400', async () => {
      for (const channel of [
        'prices',
        'private-prices',
        'presence-prices',
        'private-encrypted-prices',
      ]) {
        await assert.rejects(
          sdk.get({ path: `/channels/${channel}`, params: { info: 'cache' } }),
          { status: 400 },
          channel,
        );
      }
    });
  });
});
