/** `pusher_internal:subscription_count` (PROTOCOL.md §2.13) on the hub, with a manual clock. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/core/connection.js';
import {
  createTestHub,
  dataOf,
  flush,
  type FakeTransport,
  type TestHub,
} from '../helpers/fake-transport.js';

interface Peer {
  readonly transport: FakeTransport;
  readonly connection: Connection;
}

const counting = () => createTestHub({ apps: [{ subscriptionCount: true }] });

/** The counts a connection was told, in order. */
const counts = (transport: FakeTransport, channel = 'news') =>
  transport.named('pusher_internal:subscription_count').map((frame) => {
    assert.equal(frame.channel, channel);
    return (dataOf(frame) as { subscription_count: number }).subscription_count;
  });

/** Subscribes `count` new connections one after the other, each after the last was counted. */
async function subscribers(t: TestHub, count: number, channel = 'news'): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = t.connect();
    t.subscribe(peer.connection, channel);
    peers.push(peer);
    await flush();
  }
  return peers;
}

const clearAll = (peers: readonly Peer[]) => peers.forEach((peer) => peer.transport.clear());

describe('subscription counts', () => {
  test('off by default: no count frames, no lifecycle event', async () => {
    const t = createTestHub();
    const peers = await subscribers(t, 3);
    t.unsubscribe(peers[0]!.connection, 'news');
    await flush();
    for (const peer of peers) assert.deepEqual(counts(peer.transport), []);
    assert.equal(t.names().includes('subscription_count'), false);
  });

  test('on: every join and leave announces the count to every subscriber', async () => {
    const t = counting();
    const [a] = await subscribers(t, 1);
    assert.deepEqual(a!.transport.texts, [
      '{"event":"pusher_internal:subscription_succeeded","channel":"news","data":"{}"}',
      '{"event":"pusher_internal:subscription_count","channel":"news","data":"{\\"subscription_count\\":1}"}',
    ]);
    const [b] = await subscribers(t, 1);
    assert.deepEqual(counts(a!.transport), [1, 2]);
    assert.deepEqual(counts(b!.transport), [2]);
    t.unsubscribe(a!.connection, 'news');
    await flush();
    assert.deepEqual(counts(a!.transport), [1, 2], 'the leaver is told nothing');
    assert.deepEqual(counts(b!.transport), [2, 1]);
    b!.connection.closed(1006, '');
    await flush();
    assert.deepEqual(
      t.events.filter((e) => e.name === 'subscription_count').map((e) => e.event),
      [
        { appId: t.app.id, channel: 'news', count: 1 },
        { appId: t.app.id, channel: 'news', count: 2 },
        { appId: t.app.id, channel: 'news', count: 1 },
      ],
      'the channel vacated: nobody to tell',
    );
  });

  test('a disconnect announces the new count to the remaining subscribers', async () => {
    const t = counting();
    const [a, b, c] = await subscribers(t, 3);
    clearAll([a!, b!, c!]);
    c!.connection.closed(1006, '');
    await flush();
    assert.deepEqual(counts(a!.transport), [2]);
    assert.deepEqual(counts(b!.transport), [2]);
  });

  test('a duplicate subscribe changes no count and announces nothing', async () => {
    const t = counting();
    const [a] = await subscribers(t, 1);
    a!.transport.clear();
    t.subscribe(a!.connection, 'news');
    await flush();
    assert.deepEqual(counts(a!.transport), []);
  });

  test('private, encrypted and cache channels are counted', async () => {
    for (const channel of ['private-x', 'private-encrypted-x', 'cache-x', 'private-cache-x']) {
      const t = counting();
      const [a] = await subscribers(t, 2, channel);
      assert.deepEqual(counts(a!.transport, channel), [1, 2], channel);
    }
  });

  test('not for presence channels', async () => {
    const t = counting();
    const peers = [t.connect(), t.connect()];
    peers.forEach((peer, i) => t.subscribe(peer.connection, 'presence-room', `{"user_id":"${i}"}`));
    await flush();
    t.unsubscribe(peers[1]!.connection, 'presence-room');
    await flush();
    for (const peer of peers) {
      assert.deepEqual(peer.transport.named('pusher_internal:subscription_count'), []);
    }
    assert.equal(t.names().includes('subscription_count'), false);
  });

  test('not for #server-to-user- channels', async () => {
    const t = counting();
    const peers = [t.connect(), t.connect()];
    for (const peer of peers) {
      t.signin(peer.connection, { id: '42' });
      t.subscribe(peer.connection, '#server-to-user-42');
    }
    await flush();
    for (const peer of peers) {
      assert.deepEqual(peer.transport.named('pusher_internal:subscription_count'), []);
    }
    assert.equal(t.names().includes('subscription_count'), false);
  });

  test('the setting is per app', async () => {
    const t = createTestHub({ apps: [{ subscriptionCount: true }, {}] });
    const on = t.connect();
    const off = t.connect(`/app/${t.apps[1]!.key}?protocol=7`);
    t.subscribe(on.connection, 'news');
    t.subscribe(off.connection, 'news');
    await flush();
    assert.deepEqual(counts(on.transport), [1]);
    assert.deepEqual(counts(off.transport), []);
  });
});

describe('subscription counts above 100 subscribers', () => {
  /** 100 subscribers whose frames are forgotten: the last immediate count is behind them. */
  async function hundred(t: TestHub) {
    const peers = await subscribers(t, 100);
    assert.deepEqual(
      counts(peers[0]!.transport),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    clearAll(peers);
    return peers;
  }

  test('at most once per 5 s; the sweep sends the trailing value after 5 s', async () => {
    const t = counting();
    const peers = await hundred(t);
    const watcher = peers[0]!;
    const more = await subscribers(t, 1);
    assert.deepEqual(counts(watcher.transport), [101], 'the first count above 100 goes out');
    more.push(...(await subscribers(t, 2)));
    t.clock.advance(4999);
    t.hub.sweep();
    await flush();
    assert.deepEqual(counts(watcher.transport), [101], 'held back within 5 s');
    t.clock.advance(1);
    t.hub.sweep();
    await flush();
    assert.deepEqual(counts(watcher.transport), [101, 103], 'the trailing value');
    for (const peer of [...peers, ...more]) assert.equal(counts(peer.transport).at(-1), 103);
    t.hub.sweep();
    t.clock.advance(10_000);
    t.hub.sweep();
    await flush();
    assert.deepEqual(counts(watcher.transport), [101, 103], 'nothing pending, nothing sent');
  });

  test('a change after a quiet 5 s goes out at once', async () => {
    const t = counting();
    const [watcher] = await hundred(t);
    await subscribers(t, 1);
    t.clock.advance(5000);
    await subscribers(t, 1);
    assert.deepEqual(counts(watcher!.transport), [101, 102]);
  });

  test('back to 100 or fewer: announced immediately again', async () => {
    const t = counting();
    const peers = await hundred(t);
    const watcher = peers[0]!;
    const extra = await subscribers(t, 3);
    assert.deepEqual(counts(watcher.transport), [101]);
    for (const peer of extra) {
      t.unsubscribe(peer.connection, 'news');
      await flush();
    }
    // 102 and 101 are held back; 100 is not.
    assert.deepEqual(counts(watcher.transport), [101, 100]);
    t.unsubscribe(peers[99]!.connection, 'news');
    await flush();
    assert.deepEqual(counts(watcher.transport), [101, 100, 99]);
    // The held value is not sent later: the channel is small again.
    t.clock.advance(5000);
    t.hub.sweep();
    await flush();
    assert.deepEqual(counts(watcher.transport), [101, 100, 99]);
  });

  test('the throttle is per channel', async () => {
    const t = counting();
    await hundred(t);
    await subscribers(t, 2);
    const [small] = await subscribers(t, 2, 'small');
    assert.deepEqual(counts(small!.transport, 'small'), [1, 2]);
  });
});
