import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelStringToSign, signToken } from '../../src/protocol/auth-signature.js';
import type { Connection } from '../../src/core/connection.js';
import { SharedFrame } from '../../src/core/transport.js';
import {
  createTestHub,
  type FakeTransport,
  type TestHub,
  type TestHubOptions,
  type WireFrame,
} from '../helpers/fake-transport.js';

interface Peer {
  transport: FakeTransport;
  connection: Connection;
}

/** Connects `count` peers, all subscribed to `channel` (signed when it needs auth). */
function setup(channel = 'private-chat', count = 2, options: TestHubOptions = {}) {
  const t = createTestHub(options);
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = t.connect();
    subscribe(t, peer, channel);
    peer.transport.clear();
    peers.push(peer);
  }
  return { t, peers };
}

function subscribe(t: TestHub, peer: Peer, channel: string) {
  const auth = signToken(t.app, channelStringToSign(peer.connection.socketId, channel));
  t.receive(peer.connection, { event: 'pusher:subscribe', data: { auth, channel } });
  assert.equal(peer.transport.last?.event, 'pusher_internal:subscription_succeeded');
}

function assertRejected(frame: WireFrame | undefined, code: number | null, message: RegExp) {
  assert.equal(frame?.event, 'pusher:error');
  const data = frame.data as { code: unknown; message: string };
  assert.equal(typeof data, 'object', 'pusher:error data is an object');
  assert.equal(data.code, code);
  assert.match(data.message, message);
}

const clientEvent = (
  channel: string | undefined,
  data: unknown = { typing: true },
  event = 'client-typing',
) => ({ event, ...(channel === undefined ? {} : { channel }), data });

describe('client events: delivery', () => {
  test('relayed to the other subscribers, never echoed to the sender', () => {
    const { t, peers } = setup('private-chat', 3);
    const [sender, a, b] = peers as [Peer, Peer, Peer];
    t.receive(sender.connection, clientEvent('private-chat'));
    assert.deepEqual(sender.transport.frames, []);
    for (const peer of [a, b]) {
      assert.deepEqual(peer.transport.texts, [
        '{"event":"client-typing","channel":"private-chat","data":"{\\"typing\\":true}"}',
      ]);
    }
    assert.ok(a.transport.frames[0] instanceof SharedFrame);
    assert.equal(a.transport.frames[0], b.transport.frames[0]);
  });

  test('object data is stringified, string data relayed as is', () => {
    const { t, peers } = setup();
    const [sender, receiver] = peers as [Peer, Peer];
    const exact = '{"typing": true,  "who":"\\u00e9"}';
    t.receive(sender.connection, clientEvent('private-chat', exact));
    t.receive(sender.connection, clientEvent('private-chat', 'plain text'));
    t.receive(sender.connection, clientEvent('private-chat', { n: [1, 2] }));
    t.receive(sender.connection, clientEvent('private-chat', 5));
    assert.deepEqual(
      receiver.transport.parsed.map((f) => f.data),
      [exact, 'plain text', '{"n":[1,2]}', '5'],
    );
  });

  test('no user_id on private channels', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, clientEvent('private-chat'));
    assert.equal('user_id' in peers[1]!.transport.last!, false);
  });

  test('private-cache- channels accept client events', () => {
    const { t, peers } = setup('private-cache-chat');
    t.receive(peers[0]!.connection, clientEvent('private-cache-chat'));
    assert.equal(peers[1]!.transport.last?.event, 'client-typing');
  });

  test('only subscribers of that channel receive it', () => {
    const { t, peers } = setup();
    const outsider = t.connect();
    subscribe(t, outsider, 'private-other');
    outsider.transport.clear();
    t.receive(peers[0]!.connection, clientEvent('private-chat'));
    assert.deepEqual(outsider.transport.frames, []);
  });

  test('the client_event lifecycle event carries the relayed data', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, clientEvent('private-chat', { a: 1 }));
    const emitted = t.events.filter((e) => e.name === 'client_event').map((e) => e.event);
    assert.deepEqual(emitted, [
      {
        appId: t.app.id,
        socketId: peers[0]!.connection.socketId,
        channel: 'private-chat',
        event: 'client-typing',
        data: '{"a":1}',
        userId: undefined,
      },
    ]);
  });
});

describe('client events: rejections (pusher:error code null, connection open)', () => {
  test('on a public channel', () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    for (const peer of [a, b]) subscribe(t, peer, 'news');
    b.transport.clear();
    a.transport.clear();
    t.receive(a.connection, clientEvent('news'));
    assertRejected(a.transport.last, null, /only private and presence channels/);
    assert.equal(a.transport.last?.channel, 'news');
    assert.deepEqual(b.transport.frames, []);
    assert.equal(a.transport.closed, false);
  });

  test('on cache- (public) channels', () => {
    const { t, peers } = setup('cache-news');
    t.receive(peers[0]!.connection, clientEvent('cache-news'));
    assertRejected(peers[0]!.transport.last, null, /only private and presence/);
    assert.deepEqual(peers[1]!.transport.frames, []);
  });

  test('on encrypted channels', () => {
    for (const channel of ['private-encrypted-chat', 'private-encrypted-cache-chat']) {
      const { t, peers } = setup(channel);
      t.receive(peers[0]!.connection, clientEvent(channel));
      assertRejected(peers[0]!.transport.last, null, /not allowed on encrypted channels/);
      assert.deepEqual(peers[1]!.transport.frames, []);
    }
  });

  test('when the sender is not subscribed (hosted Pusher’s wording)', () => {
    const { t, peers } = setup();
    const outsider = t.connect();
    t.receive(outsider.connection, clientEvent('private-chat'));
    assertRejected(
      outsider.transport.last,
      null,
      /^Cannot broadcast client event \(connection not subscribed to channel private-chat\)$/,
    );
    for (const peer of peers) assert.deepEqual(peer.transport.frames, []);
  });

  test('after the sender unsubscribed', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, {
      event: 'pusher:unsubscribe',
      data: { channel: 'private-chat' },
    });
    t.receive(peers[0]!.connection, clientEvent('private-chat'));
    assertRejected(peers[0]!.transport.last, null, /not subscribed/);
    assert.deepEqual(peers[1]!.transport.frames, []);
  });

  test('when the app has clientEvents off', () => {
    const { t, peers } = setup('private-chat', 2, { apps: [{ clientEvents: false }] });
    t.receive(peers[0]!.connection, clientEvent('private-chat'));
    assertRejected(peers[0]!.transport.last, null, /not enabled for this app/);
    assert.deepEqual(peers[1]!.transport.frames, []);
  });

  test('data over maxClientEventBytes (in UTF-8 bytes)', () => {
    const { t, peers } = setup('private-chat', 2, { apps: [{ maxClientEventBytes: 100 }] });
    const [sender, receiver] = peers as [Peer, Peer];
    t.receive(sender.connection, clientEvent('private-chat', 'x'.repeat(100)));
    assert.equal(receiver.transport.parsed.length, 1, '100 bytes are allowed');
    t.receive(sender.connection, clientEvent('private-chat', 'x'.repeat(101)));
    assertRejected(sender.transport.last, null, /larger than 100 bytes/);
    // 51 two-byte characters are 102 bytes, though only 51 characters.
    t.receive(sender.connection, clientEvent('private-chat', 'é'.repeat(51)));
    assertRejected(sender.transport.last, null, /larger than 100 bytes/);
    assert.equal(receiver.transport.parsed.length, 1);
  });

  test('the default data limit is 10 KB', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, clientEvent('private-chat', 'x'.repeat(10_240)));
    assert.equal(peers[1]!.transport.parsed.length, 1);
    t.receive(peers[0]!.connection, clientEvent('private-chat', 'x'.repeat(10_241)));
    assertRejected(peers[0]!.transport.last, null, /larger than 10240 bytes/);
  });

  test('event names longer than 200 characters', () => {
    const { t, peers } = setup();
    const ok = `client-${'x'.repeat(193)}`;
    t.receive(peers[0]!.connection, clientEvent('private-chat', {}, ok));
    assert.equal(peers[1]!.transport.last?.event, ok);
    t.receive(peers[0]!.connection, clientEvent('private-chat', {}, `${ok}x`));
    assertRejected(peers[0]!.transport.last, null, /event name longer than 200/);
    assert.equal(peers[1]!.transport.parsed.length, 1);
  });

  test('a missing channel', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, clientEvent(undefined));
    assertRejected(peers[0]!.transport.last, null, /missing channel/);
  });

  test('every rejection leaves the connection usable', () => {
    const { t, peers } = setup();
    t.receive(peers[0]!.connection, clientEvent('news'));
    t.receive(peers[0]!.connection, clientEvent('private-chat'));
    assert.equal(peers[0]!.transport.closed, false);
    assert.equal(peers[1]!.transport.last?.event, 'client-typing');
  });
});

describe('client events: rate limit', () => {
  test('10 within a second pass; the 11th gets 4301 and the connection stays open', () => {
    const { t, peers } = setup();
    const [sender, receiver] = peers as [Peer, Peer];
    for (let i = 0; i < 10; i++) {
      t.receive(sender.connection, clientEvent('private-chat', { i }));
      t.clock.advance(10);
    }
    assert.equal(receiver.transport.parsed.length, 10);
    assert.deepEqual(sender.transport.frames, []);
    t.receive(sender.connection, clientEvent('private-chat', { i: 10 }));
    assert.deepEqual(sender.transport.parsed, [
      {
        event: 'pusher:error',
        channel: 'private-chat',
        data: { code: 4301, message: 'Client event rejected due to rate limit' },
      },
    ]);
    assert.equal(receiver.transport.parsed.length, 10);
    assert.equal(sender.transport.closed, false);
    assert.equal(sender.connection.open, true);
  });

  test('1000 ms after a burst, events are accepted again', () => {
    const { t, peers } = setup();
    const [sender, receiver] = peers as [Peer, Peer];
    for (let i = 0; i < 11; i++) t.receive(sender.connection, clientEvent('private-chat', { i }));
    assert.equal(receiver.transport.parsed.length, 10);
    t.clock.advance(999);
    t.receive(sender.connection, clientEvent('private-chat'));
    assert.equal(receiver.transport.parsed.length, 10, 'still inside the window at 999 ms');
    t.clock.advance(1);
    for (let i = 0; i < 10; i++) t.receive(sender.connection, clientEvent('private-chat', { i }));
    assert.equal(receiver.transport.parsed.length, 20);
    t.receive(sender.connection, clientEvent('private-chat'));
    assert.equal(receiver.transport.parsed.length, 20);
  });

  test('the window slides: each event frees its slot exactly 1000 ms later', () => {
    const { t, peers } = setup();
    const [sender, receiver] = peers as [Peer, Peer];
    // One event every 100 ms fills the window at t = 0…900.
    for (let i = 0; i < 10; i++) {
      t.receive(sender.connection, clientEvent('private-chat', { i }));
      t.clock.advance(100);
    }
    // t = 1000: the event of t = 0 has left the window, the one of t = 100 has not.
    t.receive(sender.connection, clientEvent('private-chat', { i: 10 }));
    t.receive(sender.connection, clientEvent('private-chat', { i: 11 }));
    assert.equal(receiver.transport.parsed.length, 11);
    assert.equal((sender.transport.last?.data as { code: number }).code, 4301);
    t.clock.advance(100);
    t.receive(sender.connection, clientEvent('private-chat', { i: 12 }));
    assert.equal(receiver.transport.parsed.length, 12);
    assert.deepEqual(
      receiver.transport.parsed.map((f) => (JSON.parse(f.data as string) as { i: number }).i),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12],
    );
  });

  test('rejected events do not use up the budget', () => {
    const { t, peers } = setup();
    const [sender, receiver] = peers as [Peer, Peer];
    for (let i = 0; i < 20; i++) t.receive(sender.connection, clientEvent('news'));
    for (let i = 0; i < 10; i++) t.receive(sender.connection, clientEvent('private-chat'));
    assert.equal(receiver.transport.parsed.length, 10);
  });

  test('the limit is per connection and configurable per app', () => {
    const { t, peers } = setup('private-chat', 3, { apps: [{ clientEventRateLimit: 2 }] });
    const [a, b, c] = peers as [Peer, Peer, Peer];
    for (let i = 0; i < 3; i++) t.receive(a.connection, clientEvent('private-chat'));
    for (let i = 0; i < 2; i++) t.receive(b.connection, clientEvent('private-chat'));
    const errors = (peer: Peer) => peer.transport.parsed.filter((f) => f.event === 'pusher:error');
    assert.deepEqual(
      errors(a).map((f) => (f.data as { code: number }).code),
      [4301],
    );
    assert.deepEqual(errors(b), []);
    assert.equal(c.transport.parsed.length, 4);
  });
});
