import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelStringToSign, signToken } from '../../src/protocol/auth-signature.js';
import { hmacSha256Hex } from '../../src/protocol/hmac.js';
import { createTestHub, dataOf, flush, type WireFrame } from '../helpers/fake-transport.js';

const subscribe = (channel: string, auth?: string, channelData?: string) => ({
  event: 'pusher:subscribe',
  data: {
    ...(auth === undefined ? {} : { auth }),
    channel,
    ...(channelData === undefined ? {} : { channel_data: channelData }),
  },
});

function assertSucceeded(frame: WireFrame | undefined, channel: string) {
  assert.deepEqual(frame, {
    event: 'pusher_internal:subscription_succeeded',
    channel,
    data: '{}',
  });
}

function assertSubscriptionError(
  frame: WireFrame | undefined,
  channel: string,
  expected: { type: string; status: number; error: string | RegExp },
) {
  assert.equal(frame?.event, 'pusher:subscription_error');
  assert.equal(frame.channel, channel);
  const data = dataOf(frame) as { type: string; status: number; error: string };
  assert.deepEqual(Object.keys(data).sort(), ['error', 'status', 'type']);
  assert.equal(data.type, expected.type);
  assert.equal(data.status, expected.status);
  if (typeof expected.error === 'string') assert.equal(data.error, expected.error);
  else assert.match(data.error, expected.error);
}

describe('subscribe: public', () => {
  test('pusher-js’s public subscribe (auth "") succeeds with data "{}"', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, '{"event":"pusher:subscribe","data":{"auth":"","channel":"my-channel"}}');
    assert.deepEqual(transport.texts, [
      '{"event":"pusher_internal:subscription_succeeded","channel":"my-channel","data":"{}"}',
    ]);
    assert.ok(connection.subscribedTo('my-channel'));
  });

  test('an irrelevant auth on a public channel is ignored', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('my-channel', 'garbage'));
    assertSucceeded(transport.last, 'my-channel');
  });

  test('cache- channels are public', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('cache-prices'));
    assertSucceeded(transport.parsed[0], 'cache-prices');
  });

  test('a subscribe with data as a JSON string works', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:subscribe', data: JSON.stringify({ channel: 'a' }) });
    assertSucceeded(transport.last, 'a');
  });
});

describe('subscribe: private and encrypted', () => {
  for (const channel of [
    'private-orders',
    'private-cache-orders',
    'private-encrypted-orders',
    'private-encrypted-cache-orders',
  ]) {
    test(`${channel}: a valid signature succeeds`, () => {
      const t = createTestHub();
      const { transport, connection } = t.connect();
      const auth = signToken(t.app, channelStringToSign(connection.socketId, channel));
      t.receive(connection, subscribe(channel, auth));
      assertSucceeded(transport.parsed[0], channel);
      assert.ok(connection.subscribedTo(channel));
    });
  }

  test('a signature over channel_data is accepted on a private channel (pusher-http-node)', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const channelData = '{"user_id":"1"}';
    const auth = signToken(
      t.app,
      channelStringToSign(connection.socketId, 'private-x', channelData),
    );
    t.receive(connection, subscribe('private-x', auth, channelData));
    assertSucceeded(transport.last, 'private-x');
  });

  test('each invalid auth → subscription_error, no subscription, connection open', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const channel = 'private-orders';
    const { socketId } = connection;
    const wrongSocket = hmacSha256Hex(t.app.secret, `9.9:${channel}`);
    const cases: Array<[string | undefined, string | RegExp]> = [
      [undefined, /^Auth info required to subscribe to private-orders\. Failed part: auth /],
      ['', /^Auth info required to subscribe to private-orders\. Failed part: auth /],
      ['no-colon', /^Invalid format: auth must have the format key:signature\. Failed part: auth /],
      [`other-key:${wrongSocket}`, /^Invalid key in subscription auth data: 'other-key'\. /],
      [
        `${t.app.key}:${wrongSocket}`,
        `Invalid signature: Expected HMAC SHA256 hex digest of ${socketId}:${channel}, but got ${wrongSocket}. ` +
          `Failed part: signature (after ":"): it is not the HMAC-SHA256, with this app's secret, ` +
          `of the string to sign "${socketId}:${channel}" (socket_id:channel); the auth endpoint ` +
          `must sign exactly that, with this connection's socket_id ${socketId} and the secret of ` +
          `the app whose key is '${t.app.key}'.`,
      ],
      [
        signToken({ key: t.app.key, secret: 'wrong' }, `${socketId}:${channel}`),
        /^Invalid signature: Expected HMAC SHA256 hex digest of /,
      ],
      // Signed for another channel.
      [signToken(t.app, `${socketId}:private-other`), /^Invalid signature/],
    ];
    for (const [auth, error] of cases) {
      transport.clear();
      t.receive(connection, subscribe(channel, auth));
      assert.equal(transport.frames.length, 1);
      assertSubscriptionError(transport.last, channel, { type: 'AuthError', status: 401, error });
    }
    assert.equal(transport.closed, false);
    assert.equal(connection.channelCount, 0);
    assert.equal(t.names().filter((n) => n === 'subscription_failed').length, cases.length);
    assert.equal(t.names().includes('subscribed'), false);
    // The connection still works.
    transport.clear();
    t.receive(connection, subscribe(channel, signToken(t.app, `${socketId}:${channel}`)));
    assertSucceeded(transport.last, channel);
  });

  test('encrypted channels check auth like private ones', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('private-encrypted-x', ''));
    assertSubscriptionError(transport.last, 'private-encrypted-x', {
      type: 'AuthError',
      status: 401,
      error: /^Auth info required to subscribe to private-encrypted-x\. Failed part: auth /,
    });
  });

  test('a token signed for another connection’s socket id is refused', () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    const auth = signToken(t.app, `${a.connection.socketId}:private-x`);
    t.receive(b.connection, subscribe('private-x', auth));
    assertSubscriptionError(b.transport.last, 'private-x', {
      type: 'AuthError',
      status: 401,
      error: /^Invalid signature/,
    });
  });

  test('subscription_failed carries the details', () => {
    const t = createTestHub();
    const { connection } = t.connect();
    t.receive(connection, subscribe('private-x'));
    const failed = t.events.find((e) => e.name === 'subscription_failed');
    assert.deepEqual(failed?.event, {
      appId: t.app.id,
      socketId: connection.socketId,
      channel: 'private-x',
      type: 'AuthError',
      status: 401,
      error:
        'Auth info required to subscribe to private-x. Failed part: auth (missing): send the ' +
        '"auth" your auth endpoint returns, "<app key>:<signature>".',
    });
  });
});

describe('subscribe: invalid names', () => {
  for (const channel of ['', 'a b', 'a:b', 'é', '#private', '#server-to-user-', 'a'.repeat(165)]) {
    test(`${JSON.stringify(channel.length > 20 ? `${channel.slice(0, 10)}…` : channel)} → InvalidChannel 400`, () => {
      const t = createTestHub();
      const { transport, connection } = t.connect();
      t.receive(connection, subscribe(channel));
      assertSubscriptionError(transport.last, channel, {
        type: 'InvalidChannel',
        status: 400,
        error: `Invalid channel name: ${channel}`,
      });
      assert.equal(transport.closed, false);
      assert.equal(connection.channelCount, 0);
    });
  }

  test('the app’s maxChannelNameLength is the limit', () => {
    const t = createTestHub({ apps: [{ maxChannelNameLength: 200 }] });
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('a'.repeat(200)));
    assertSucceeded(transport.last, 'a'.repeat(200));
    t.receive(connection, subscribe('a'.repeat(201)));
    assert.equal(transport.last?.event, 'pusher:subscription_error');
  });

  test('the name is validated before auth', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('private-a b'));
    assertSubscriptionError(transport.last, 'private-a b', {
      type: 'InvalidChannel',
      status: 400,
      error: 'Invalid channel name: private-a b',
    });
  });

  test('#server-to-user- without signin → AuthError 403', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('#server-to-user-42', ''));
    assertSubscriptionError(transport.last, '#server-to-user-42', {
      type: 'AuthError',
      status: 403,
      error: 'Cannot subscribe to #server-to-user-42',
    });
  });

  test('a subscribe without a channel → pusher:error code null', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:subscribe', data: { auth: '' } });
    assert.deepEqual(transport.parsed, [
      { event: 'pusher:error', data: { code: null, message: 'Missing parameter: data.channel' } },
    ]);
    assert.equal(transport.closed, false);
  });
});

describe('duplicate subscribe', () => {
  test('answers subscription_succeeded again and changes nothing', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('news'));
    await flush();
    t.receive(connection, subscribe('news'));
    await flush();
    assert.equal(transport.parsed.length, 2);
    assertSucceeded(transport.parsed[0], 'news');
    assertSucceeded(transport.parsed[1], 'news');
    assert.deepEqual(
      t.names().filter((n) => n !== 'connection_opened'),
      ['subscribed', 'channel_occupied'],
    );
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'news'), 1);
    // One unsubscribe is enough to leave.
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    await flush();
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'news'), 0);
    assert.equal(t.names().at(-1), 'channel_vacated');
  });

  test('a duplicate private subscribe with a bad token is refused and keeps the subscription', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(
      connection,
      subscribe('private-x', signToken(t.app, `${connection.socketId}:private-x`)),
    );
    t.receive(connection, subscribe('private-x', 'bad'));
    assert.equal(transport.last?.event, 'pusher:subscription_error');
    assert.ok(connection.subscribedTo('private-x'));
    await flush();
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'private-x'), 1);
  });
});

describe('unsubscribe', () => {
  test('removes the subscription, sends nothing, stops delivery', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('news'));
    transport.clear();
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    assert.deepEqual(transport.frames, []);
    assert.equal(connection.subscribedTo('news'), false);
    await t.hub.trigger(t.app, { name: 'e', data: 'd', channels: ['news'] });
    assert.deepEqual(transport.frames, []);
  });

  test('unsubscribing from an unknown channel is ignored silently', async () => {
    const t = createTestHub();
    const other = t.connect();
    const { transport, connection } = t.connect();
    t.receive(other.connection, subscribe('news'));
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'never' } });
    await flush();
    assert.deepEqual(transport.frames, []);
    assert.equal(transport.closed, false);
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'news'), 1);
    assert.equal(t.names().includes('unsubscribed'), false);
  });

  test('the channel stays occupied until its last subscriber leaves', async () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    t.receive(a.connection, subscribe('news'));
    t.receive(b.connection, subscribe('news'));
    await flush();
    t.receive(a.connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    await flush();
    assert.equal(t.names().includes('channel_vacated'), false);
    b.transport.clear();
    await t.hub.trigger(t.app, { name: 'e', data: 'd', channels: ['news'] });
    assert.equal(b.transport.frames.length, 1);
    t.receive(b.connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    await flush();
    assert.equal(t.names().filter((n) => n === 'channel_vacated').length, 1);
    assert.equal(t.names().filter((n) => n === 'channel_occupied').length, 1);
  });
});

describe('a connection’s own list of channels', () => {
  test('one channel, then several, then none: membership, names and delivery agree', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const deliveredTo = async () => {
      transport.clear();
      await t.hub.trigger(t.app, { name: 'e', data: 'd', channels: ['a', 'b', 'c'] });
      return transport.parsed.map((frame) => frame.channel).sort();
    };
    t.receive(connection, subscribe('a'));
    assert.deepEqual(connection.channelNames(), ['a']);
    assert.equal(connection.subscribedTo('a'), true);
    assert.equal(connection.subscribedTo('b'), false);
    t.receive(connection, subscribe('b'));
    t.receive(connection, subscribe('c'));
    t.receive(connection, subscribe('b'));
    assert.deepEqual(connection.channelNames(), ['a', 'b', 'c']);
    assert.equal(connection.channelCount, 3);
    assert.deepEqual(await deliveredTo(), ['a', 'b', 'c']);
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'a' } });
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'c' } });
    assert.deepEqual(connection.channelNames(), ['b']);
    assert.equal(connection.subscribedTo('a'), false);
    assert.deepEqual(await deliveredTo(), ['b']);
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'b' } });
    assert.equal(connection.channelCount, 0);
    assert.deepEqual(connection.channelNames(), []);
    assert.deepEqual(await deliveredTo(), []);
  });

  test('a disconnect leaves every channel, however many', async () => {
    const t = createTestHub();
    const one = t.connect();
    const many = t.connect();
    t.receive(one.connection, subscribe('a'));
    for (const channel of ['a', 'b', 'c']) t.receive(many.connection, subscribe(channel));
    one.connection.closed(1000, '');
    many.connection.closed(1000, '');
    await flush();
    assert.equal(one.connection.channelCount, 0);
    assert.equal(many.connection.channelCount, 0);
    for (const channel of ['a', 'b', 'c']) {
      assert.equal(await t.hub.subscriptionCount(t.app.id, channel), 0, channel);
    }
    assert.equal(t.names().filter((name) => name === 'unsubscribed').length, 4);
  });
});

describe('lifecycle events', () => {
  test('in order: opened, subscribed, occupied (after a microtask), unsubscribed, vacated, closed', async () => {
    const t = createTestHub();
    const { connection } = t.connect();
    const { socketId } = connection;
    const appId = t.app.id;
    t.receive(connection, subscribe('news'));
    assert.deepEqual(t.names(), ['connection_opened', 'subscribed'], 'occupancy is asynchronous');
    await flush();
    t.receive(connection, { event: 'pusher:unsubscribe', data: { channel: 'news' } });
    await flush();
    connection.closed(1000, 'bye');
    assert.deepEqual(t.events, [
      { name: 'connection_opened', event: { appId, socketId } },
      { name: 'subscribed', event: { appId, socketId, channel: 'news' } },
      { name: 'channel_occupied', event: { appId, channel: 'news', resumed: false } },
      { name: 'unsubscribed', event: { appId, socketId, channel: 'news' } },
      { name: 'channel_vacated', event: { appId, channel: 'news' } },
      { name: 'connection_closed', event: { appId, socketId, code: 1000, reason: 'bye' } },
    ]);
    assert.deepEqual(t.listenerErrors, []);
  });

  test('a peer close runs the disconnect path for every channel', async () => {
    const t = createTestHub();
    const { connection } = t.connect();
    t.receive(connection, subscribe('a'));
    t.receive(connection, subscribe('b'));
    await flush();
    const before = t.events.length;
    connection.closed(1006, '');
    await flush();
    const after = t.names().slice(before);
    assert.deepEqual(after.filter((n) => n !== 'connection_closed').sort(), [
      'channel_vacated',
      'channel_vacated',
      'unsubscribed',
      'unsubscribed',
    ]);
    assert.ok(after.includes('connection_closed'));
    assert.equal(connection.channelCount, 0);
    assert.deepEqual(await t.hub.occupiedChannels(t.app.id), new Map());
    assert.equal(t.hub.localConnectionCount(t.app.id), 0);
  });

  test('a throwing listener does not break the core', () => {
    const t = createTestHub();
    t.hub.lifecycle.on('subscribed', () => {
      throw new Error('listener bug');
    });
    const { transport, connection } = t.connect();
    t.receive(connection, subscribe('news'));
    assertSucceeded(transport.last, 'news');
    assert.equal(t.listenerErrors.length, 1);
  });
});
