/** Cache channels (PROTOCOL.md §2.12, §8) on the hub, over fake transports and a manual clock. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestHub, flush, type TestHub } from '../helpers/fake-transport.js';

const channel = 'cache-prices';

const trigger = (t: TestHub, name: string, data: string, channels = [channel], socketId?: string) =>
  t.hub.trigger(t.app, { name, data, channels, ...(socketId === undefined ? {} : { socketId }) });

const succeeded = (name: string) =>
  `{"event":"pusher_internal:subscription_succeeded","channel":"${name}","data":"{}"}`;

/** A new connection subscribed to `name`, after the cache answered. */
async function subscriber(t: TestHub, name = channel) {
  const peer = t.connect();
  t.subscribe(peer.connection, name);
  await flush();
  return peer;
}

describe('cache channels: on subscribe', () => {
  test('a new subscriber gets the last triggered event right after subscription_succeeded', async () => {
    const t = createTestHub();
    await trigger(t, 'price', '{"eur":1}');
    await trigger(t, 'price', '{"eur":2}');
    const { transport } = await subscriber(t);
    assert.deepEqual(transport.texts, [
      succeeded(channel),
      '{"event":"price","channel":"cache-prices","data":"{\\"eur\\":2}"}',
    ]);
    assert.equal(t.names().includes('cache_miss'), false);
  });

  test('the last event is kept whatever its name; data is kept byte for byte', async () => {
    const t = createTestHub();
    await trigger(t, 'price', '1');
    const data = '{"a": 1,  "b":"\\/é"}';
    await trigger(t, 'App\\Events\\Other', data);
    const { transport } = await subscriber(t);
    assert.deepEqual(transport.parsed[1], { event: 'App\\Events\\Other', channel, data });
  });

  test('nothing cached → pusher:cache_miss and the lifecycle cache_miss', async () => {
    const t = createTestHub();
    const { transport, connection } = await subscriber(t);
    assert.deepEqual(transport.texts, [
      succeeded(channel),
      '{"event":"pusher:cache_miss","channel":"cache-prices"}',
    ]);
    assert.deepEqual(
      t.events.filter((e) => e.name === 'cache_miss').map((e) => e.event),
      [{ appId: t.app.id, channel, socketId: connection.socketId }],
    );
  });

  test('current subscribers get a trigger once, live; nothing is replayed to them', async () => {
    const t = createTestHub();
    const early = await subscriber(t);
    early.transport.clear();
    await trigger(t, 'price', '1');
    await flush();
    assert.deepEqual(early.transport.parsed, [{ event: 'price', channel, data: '1' }]);
  });

  test('a duplicate subscribe does not send the cached event again', async () => {
    const t = createTestHub();
    await trigger(t, 'price', '1');
    const { transport, connection } = await subscriber(t);
    transport.clear();
    t.subscribe(connection, channel);
    await flush();
    assert.deepEqual(transport.texts, [succeeded(channel)]);
  });

  for (const name of ['private-cache-orders', 'private-encrypted-cache-orders']) {
    test(`${name}: same behaviour after an authorized subscribe`, async () => {
      const t = createTestHub();
      const miss = await subscriber(t, name);
      assert.deepEqual(miss.transport.parsed[1], { event: 'pusher:cache_miss', channel: name });
      await trigger(t, 'e', 'd', [name]);
      const hit = await subscriber(t, name);
      assert.deepEqual(hit.transport.parsed, [
        { event: 'pusher_internal:subscription_succeeded', channel: name, data: '{}' },
        { event: 'e', channel: name, data: 'd' },
      ]);
    });
  }

  test('presence-cache-: the cached event follows the presence subscription_succeeded', async () => {
    const t = createTestHub();
    const name = 'presence-cache-room';
    await trigger(t, 'e', 'd', [name]);
    const peer = t.connect();
    t.subscribe(peer.connection, name, '{"user_id":"1"}');
    await flush();
    assert.deepEqual(
      peer.transport.parsed.map((f) => f.event),
      ['pusher_internal:subscription_succeeded', 'e'],
    );
    assert.match(String(peer.transport.parsed[0]?.data), /"presence"/);
  });

  test('channels without the cache prefix store nothing and send no cache_miss', async () => {
    const t = createTestHub();
    await trigger(t, 'e', 'd', ['prices', 'private-prices', 'presence-prices']);
    for (const name of ['prices', 'private-prices', 'presence-prices', 'xcache-prices']) {
      assert.equal(await t.hub.cached(t.app.id, name), undefined);
    }
    const { transport } = await subscriber(t, 'prices');
    assert.deepEqual(transport.texts, [succeeded('prices')]);
    assert.equal(t.names().includes('cache_miss'), false);
  });

  test('a trigger to several channels caches on the cache channels among them', async () => {
    const t = createTestHub();
    await trigger(t, 'e', 'd', ['prices', channel]);
    assert.equal((await t.hub.cached(t.app.id, channel))?.data, 'd');
    assert.equal(await t.hub.cached(t.app.id, 'prices'), undefined);
  });
});

describe('cache channels: what is stored', () => {
  test('client events are never cached', async () => {
    const t = createTestHub();
    const name = 'private-cache-chat';
    const sender = await subscriber(t, name);
    t.receive(sender.connection, { event: 'client-typing', channel: name, data: { on: true } });
    assert.equal(await t.hub.cached(t.app.id, name), undefined);
    const late = await subscriber(t, name);
    assert.deepEqual(late.transport.parsed[1], { event: 'pusher:cache_miss', channel: name });
  });

  test('a client event after a trigger does not replace the cached trigger', async () => {
    const t = createTestHub();
    const name = 'private-cache-chat';
    const sender = await subscriber(t, name);
    await trigger(t, 'server', 's', [name]);
    t.receive(sender.connection, { event: 'client-x', channel: name, data: 'c' });
    const late = await subscriber(t, name);
    assert.deepEqual(late.transport.parsed[1], { event: 'server', channel: name, data: 's' });
  });

  test('the socket_id exclusion affects delivery only: the event is still cached', async () => {
    const t = createTestHub();
    const excluded = await subscriber(t);
    excluded.transport.clear();
    await trigger(t, 'price', '7', [channel], excluded.connection.socketId);
    await flush();
    assert.deepEqual(excluded.transport.frames, []);
    const late = await subscriber(t);
    assert.deepEqual(late.transport.parsed[1], { event: 'price', channel, data: '7' });
  });

  test('a subscriber arriving between the cache write and the publish gets the event', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    // trigger() writes the cache synchronously and publishes once the write has resolved.
    const triggered = trigger(t, 'price', '1');
    t.subscribe(connection, channel);
    await triggered;
    await flush();
    const events = transport.named('price');
    // At least once: live and from the cache (a duplicate is the price of never missing it).
    assert.ok(events.length >= 1);
    for (const frame of events) assert.deepEqual(frame, { event: 'price', channel, data: '1' });
    assert.deepEqual(transport.named('pusher:cache_miss'), []);
  });

  test('the cache outlives the channel’s occupancy', async () => {
    const t = createTestHub();
    const first = await subscriber(t);
    await trigger(t, 'price', '1');
    t.unsubscribe(first.connection, channel);
    await flush();
    assert.ok(t.names().includes('channel_vacated'));
    const late = await subscriber(t);
    assert.deepEqual(late.transport.parsed[1], { event: 'price', channel, data: '1' });
  });

  test('apps have separate caches', async () => {
    const t = createTestHub({ apps: [{}, {}] });
    await trigger(t, 'price', '1');
    const other = t.connect(`/app/${t.apps[1]!.key}?protocol=7`);
    t.subscribe(other.connection, channel);
    await flush();
    assert.deepEqual(other.transport.parsed[1], { event: 'pusher:cache_miss', channel });
  });
});

describe('cache channels: expiry', () => {
  test('the entry lives cacheTtl seconds after the last trigger, then a miss', async () => {
    const t = createTestHub({ apps: [{ cacheTtl: 60 }] });
    const triggeredAt = t.clock.now();
    await trigger(t, 'price', '1');
    assert.deepEqual(await t.hub.cached(t.app.id, channel), {
      event: 'price',
      data: '1',
      expiresAt: triggeredAt + 60_000,
    });
    t.clock.advance(59_999);
    const before = await subscriber(t);
    assert.deepEqual(before.transport.parsed[1], { event: 'price', channel, data: '1' });
    t.clock.advance(1);
    const after = await subscriber(t);
    assert.deepEqual(after.transport.parsed[1], { event: 'pusher:cache_miss', channel });
    assert.equal(await t.hub.cached(t.app.id, channel), undefined);
  });

  test('a new trigger restarts the ttl', async () => {
    const t = createTestHub({ apps: [{ cacheTtl: 60 }] });
    await trigger(t, 'price', '1');
    t.clock.advance(50_000);
    await trigger(t, 'price', '2');
    t.clock.advance(50_000);
    const late = await subscriber(t);
    assert.deepEqual(late.transport.parsed[1], { event: 'price', channel, data: '2' });
  });

  test('the default ttl is 1800 s', async () => {
    const t = createTestHub();
    await trigger(t, 'price', '1');
    t.clock.advance(1_799_000);
    assert.equal((await t.hub.cached(t.app.id, channel))?.data, '1');
    t.clock.advance(1000);
    assert.equal(await t.hub.cached(t.app.id, channel), undefined);
  });
});
