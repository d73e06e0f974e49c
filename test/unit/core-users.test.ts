/** User authentication (PROTOCOL.md §2.10, §2.11, §5.8) on the hub, over fake transports. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signToken, userStringToSign } from '../../src/protocol/auth-signature.js';
import type { Connection } from '../../src/core/connection.js';
import {
  createTestHub,
  dataOf,
  flush,
  type FakeTransport,
  type TestHub,
  type WireFrame,
} from '../helpers/fake-transport.js';

interface Peer {
  readonly transport: FakeTransport;
  readonly connection: Connection;
}

/** Connects, signs in (watching `watchlist`), waits for the index, then forgets the frames. */
async function signedIn(t: TestHub, id: string, watchlist?: string[]): Promise<Peer> {
  const peer = t.connect();
  t.signin(peer.connection, watchlist === undefined ? { id } : { id, watchlist });
  await flush();
  assert.equal(peer.transport.parsed[0]?.event, 'pusher:signin_success');
  peer.transport.clear();
  return peer;
}

function assertError(frame: WireFrame | undefined, code: number | null, message: string | RegExp) {
  assert.equal(frame?.event, 'pusher:error');
  const data = frame.data as { code: unknown; message: string };
  assert.equal(data.code, code);
  if (typeof message === 'string') assert.equal(data.message, message);
  else assert.match(data.message, message);
}

type WatchEvents = Array<{ name: string; user_ids: string[] }>;

/** The `events` of every watchlist frame a transport received, in order. */
const watchEvents = (transport: FakeTransport): WatchEvents[] =>
  transport.named('pusher_internal:watchlist_events').map((frame) => {
    assert.equal(frame.channel, undefined, 'watchlist events are connection-level');
    return (dataOf(frame) as { events: WatchEvents }).events;
  });

const signinFrame = (auth: string | undefined, userData: string | undefined) => ({
  event: 'pusher:signin',
  data: {
    ...(auth === undefined ? {} : { auth }),
    ...(userData === undefined ? {} : { user_data: userData }),
  },
});

describe('signin', () => {
  test('success echoes user_data byte for byte and records the user', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const userData = '{"id":"42", "user_info":{"name":"Ann"}}';
    t.signin(connection, userData);
    assert.deepEqual(transport.texts, [
      JSON.stringify({
        event: 'pusher:signin_success',
        data: JSON.stringify({ user_data: userData }),
      }),
    ]);
    assert.deepEqual(connection.user, {
      id: '42',
      userInfo: '{"name":"Ann"}',
      watchlist: [],
    });
    assert.deepEqual(
      t.events.filter((e) => e.name === 'signed_in').map((e) => e.event),
      [{ appId: t.app.id, socketId: connection.socketId, userId: '42' }],
    );
  });

  test('each failure → pusher:error code null; the connection stays open and unsigned', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const { socketId } = connection;
    const valid = (userData: string) => signToken(t.app, userStringToSign(socketId, userData));
    const otherSocket = signToken(t.app, userStringToSign('1.1', '{"id":"42"}'));
    const cases: Array<[object, string | RegExp]> = [
      [signinFrame(valid('{"id":"42"}'), undefined), 'Missing parameter: data.user_data'],
      [
        { event: 'pusher:signin', data: { auth: valid('{}'), user_data: { id: '42' } } },
        'Missing parameter: data.user_data',
      ],
      [signinFrame(undefined, '{"id":"42"}'), 'Auth info required to sign in'],
      [signinFrame('', '{"id":"42"}'), 'Auth info required to sign in'],
      [signinFrame('nocolon', '{"id":"42"}'), /^Invalid format/],
      [signinFrame(`other-key:${'0'.repeat(64)}`, '{"id":"42"}'), /^Invalid key/],
      [
        signinFrame(otherSocket, '{"id":"42"}'),
        `Invalid signature: Expected HMAC SHA256 hex digest of ${socketId}::user::{"id":"42"}, but got ${otherSocket.split(':')[1]}. ` +
          `Failed part: signature (after ":"): it is not the HMAC-SHA256, with this app's secret, ` +
          `of the string to sign "${socketId}::user::{\\"id\\":\\"42\\"}" (socket_id::user::user_data); ` +
          `the auth endpoint must sign exactly that, with this connection's socket_id ${socketId} ` +
          `and the secret of the app whose key is '${t.app.key}'.`,
      ],
      // Signed over a different serialization of the same object.
      [signinFrame(valid('{"id": "42"}'), '{"id":"42"}'), /^Invalid signature/],
      [
        signinFrame(valid('{"id":42}'), '{"id":42}'),
        'Invalid user_data: id must be a non-empty string',
      ],
      [
        signinFrame(valid('{"id":""}'), '{"id":""}'),
        'Invalid user_data: id must be a non-empty string',
      ],
      [signinFrame(valid('[1]'), '[1]'), 'Invalid user_data: a JSON object is required'],
      [
        signinFrame(valid('{"id":"1","watchlist":"2"}'), '{"id":"1","watchlist":"2"}'),
        'Invalid user_data: watchlist must be an array of user id strings',
      ],
    ];
    for (const [frame, message] of cases) {
      transport.clear();
      t.receive(connection, frame);
      assert.equal(transport.frames.length, 1, JSON.stringify(frame));
      assertError(transport.last, null, message);
    }
    assert.equal(transport.closed, false);
    assert.equal(connection.user, undefined);
    assert.equal(t.names().includes('signed_in'), false);
    transport.clear();
    t.signin(connection, { id: '42' });
    assert.equal(transport.last?.event, 'pusher:signin_success');
  });

  test('signed in as another id → pusher:error code null, still the first user, open', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42' });
    transport.clear();
    t.signin(connection, { id: '7' });
    assert.equal(transport.frames.length, 1);
    assertError(transport.last, null, 'Connection is already signed in as a different user (42)');
    assert.equal(connection.user?.id, '42');
    assert.equal(transport.closed, false);
  });

  test('the same id again → success again, echoing the new user_data; nothing else changes', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42', watchlist: ['7'] });
    await flush();
    transport.clear();
    const again = '{"id":"42","user_info":{"v":2},"watchlist":["8"]}';
    t.signin(connection, again);
    await flush();
    assert.deepEqual(transport.parsed, [
      { event: 'pusher:signin_success', data: JSON.stringify({ user_data: again }) },
    ]);
    assert.deepEqual(connection.user?.watchlist, ['7']);
    assert.equal(t.names().filter((n) => n === 'signed_in').length, 1);
  });
});

describe('#server-to-user-{id}', () => {
  test('only the connection signed in as that id may subscribe', async () => {
    const t = createTestHub();
    const ann = await signedIn(t, '42');
    const bob = await signedIn(t, '7');
    const anonymous = t.connect();
    t.subscribe(ann.connection, '#server-to-user-42');
    assert.deepEqual(ann.transport.parsed, [
      {
        event: 'pusher_internal:subscription_succeeded',
        channel: '#server-to-user-42',
        data: '{}',
      },
    ]);
    for (const peer of [bob, anonymous]) {
      t.subscribe(peer.connection, '#server-to-user-42');
      assert.deepEqual(peer.transport.parsed, [
        {
          event: 'pusher:subscription_error',
          channel: '#server-to-user-42',
          data: JSON.stringify({
            type: 'AuthError',
            error: 'Cannot subscribe to #server-to-user-42',
            status: 403,
          }),
        },
      ]);
    }
    t.subscribe(ann.connection, '#server-to-user-7');
    assert.equal(ann.transport.last?.event, 'pusher:subscription_error');
  });

  test('events triggered to the user channel reach its subscribed connections', async () => {
    const t = createTestHub();
    const first = await signedIn(t, '42');
    const second = await signedIn(t, '42');
    for (const peer of [first, second]) {
      t.subscribe(peer.connection, '#server-to-user-42');
      peer.transport.clear();
    }
    await t.hub.trigger(t.app, {
      name: 'hello',
      data: '{"x":1}',
      channels: ['#server-to-user-42'],
    });
    for (const peer of [first, second]) {
      assert.deepEqual(peer.transport.parsed, [
        { event: 'hello', channel: '#server-to-user-42', data: '{"x":1}' },
      ]);
    }
  });

  test('a user id that is not a legal channel suffix cannot subscribe (InvalidChannel)', async () => {
    const t = createTestHub();
    const peer = await signedIn(t, 'a b');
    t.subscribe(peer.connection, '#server-to-user-a b');
    assert.equal((dataOf(peer.transport.last) as { type: string }).type, 'InvalidChannel');
  });
});

describe('watchlist', () => {
  test('right after signin_success: who is online and who is offline', async () => {
    const t = createTestHub();
    await signedIn(t, 'b');
    await signedIn(t, 'd');
    const { transport, connection } = t.connect();
    t.signin(connection, { id: 'a', watchlist: ['b', 'c', 'd', 'e'] });
    await flush();
    assert.deepEqual(
      transport.parsed.map((f) => f.event),
      ['pusher:signin_success', 'pusher_internal:watchlist_events'],
    );
    assert.deepEqual(watchEvents(transport), [
      [
        { name: 'online', user_ids: ['b', 'd'] },
        { name: 'offline', user_ids: ['c', 'e'] },
      ],
    ]);
  });

  test('empty lists are left out of the initial status', async () => {
    const t = createTestHub();
    const nobody = t.connect();
    t.signin(nobody.connection, { id: 'a', watchlist: ['x', 'y'] });
    await flush();
    assert.deepEqual(watchEvents(nobody.transport), [[{ name: 'offline', user_ids: ['x', 'y'] }]]);
    await signedIn(t, 'x');
    const all = t.connect();
    t.signin(all.connection, { id: 'b', watchlist: ['x'] });
    await flush();
    assert.deepEqual(watchEvents(all.transport), [[{ name: 'online', user_ids: ['x'] }]]);
  });

  test('no watchlist, or an empty one → no watchlist frame', async () => {
    const t = createTestHub();
    for (const userData of [{ id: 'a' }, { id: 'b', watchlist: [] }]) {
      const { transport, connection } = t.connect();
      t.signin(connection, userData);
      await flush();
      assert.deepEqual(
        transport.parsed.map((f) => f.event),
        ['pusher:signin_success'],
      );
    }
  });

  test('online on a user’s first connection, offline after its last, to every watcher', async () => {
    const t = createTestHub();
    const watcher = await signedIn(t, 'w', ['b']);
    const watcher2 = await signedIn(t, 'w2', ['b', 'z']);
    const bystander = await signedIn(t, 'x');
    const b1 = await signedIn(t, 'b');
    for (const peer of [watcher, watcher2]) {
      assert.deepEqual(watchEvents(peer.transport), [[{ name: 'online', user_ids: ['b'] }]]);
      peer.transport.clear();
    }
    const b2 = await signedIn(t, 'b');
    b1.connection.closed(1000, '');
    await flush();
    assert.deepEqual(watcher.transport.frames, [], 'b stays online through b2');
    b2.connection.closed(1000, '');
    await flush();
    for (const peer of [watcher, watcher2]) {
      assert.deepEqual(watchEvents(peer.transport), [[{ name: 'offline', user_ids: ['b'] }]]);
    }
    assert.deepEqual(bystander.transport.frames, []);
  });

  test('a closed watcher hears nothing more; a user coming back is online again', async () => {
    const t = createTestHub();
    const gone = await signedIn(t, 'w', ['b']);
    const staying = await signedIn(t, 'v', ['b']);
    gone.connection.closed(1000, '');
    const b = await signedIn(t, 'b');
    b.connection.closed(1000, '');
    await flush();
    await signedIn(t, 'b');
    assert.deepEqual(gone.transport.frames, []);
    assert.deepEqual(gone.transport.sentAfterClose, []);
    assert.deepEqual(
      watchEvents(staying.transport).map((events) => events[0]?.name),
      ['online', 'offline', 'online'],
    );
  });

  test('a connection that only subscribed to presence as a user does not make it online', async () => {
    const t = createTestHub();
    const watcher = await signedIn(t, 'w', ['b']);
    const presence = t.connect();
    t.subscribe(presence.connection, 'presence-room', '{"user_id":"b"}');
    await flush();
    assert.deepEqual(watcher.transport.frames, []);
  });

  test('over maxWatchlistSize: the first ids are kept, then pusher:error 4302', async () => {
    const t = createTestHub({ apps: [{ maxWatchlistSize: 2 }] });
    const { transport, connection } = t.connect();
    t.signin(connection, { id: 'a', watchlist: ['b', 'c', 'd'] });
    await flush();
    assert.deepEqual(
      transport.parsed.map((f) => f.event),
      ['pusher:signin_success', 'pusher:error', 'pusher_internal:watchlist_events'],
    );
    assertError(
      transport.parsed[1],
      4302,
      'Watchlist limit exceeded. Only the first 2 user IDs are accepted.',
    );
    assert.equal(transport.closed, false);
    assert.deepEqual(watchEvents(transport), [[{ name: 'offline', user_ids: ['b', 'c'] }]]);
    assert.deepEqual(connection.user?.watchlist, ['b', 'c']);
    transport.clear();
    await signedIn(t, 'd');
    assert.deepEqual(transport.frames, [], 'd was dropped from the watchlist');
    await signedIn(t, 'c');
    assert.deepEqual(watchEvents(transport), [[{ name: 'online', user_ids: ['c'] }]]);
  });

  test('the default limit is 100', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
    t.signin(connection, { id: 'a', watchlist: ids });
    await flush();
    assertError(
      transport.parsed[1],
      4302,
      'Watchlist limit exceeded. Only the first 100 user IDs are accepted.',
    );
    assert.equal(connection.user?.watchlist.length, 100);
    t.signin(t.connect().connection, { id: 'b', watchlist: ids.slice(0, 100) });
    await flush();
    assert.equal(t.names().filter((n) => n === 'signed_in').length, 2);
  });

  test('exactly maxWatchlistSize ids → no 4302', async () => {
    const t = createTestHub({ apps: [{ maxWatchlistSize: 2 }] });
    const { transport, connection } = t.connect();
    t.signin(connection, { id: 'a', watchlist: ['b', 'c'] });
    await flush();
    assert.deepEqual(transport.named('pusher:error'), []);
  });

  test('duplicate ids are watched once', async () => {
    const t = createTestHub();
    const watcher = t.connect();
    t.signin(watcher.connection, { id: 'a', watchlist: ['b', 'c', 'b', 'b'] });
    await flush();
    assert.deepEqual(watcher.connection.user?.watchlist, ['b', 'c']);
    assert.deepEqual(watchEvents(watcher.transport), [[{ name: 'offline', user_ids: ['b', 'c'] }]]);
    watcher.transport.clear();
    await signedIn(t, 'b');
    assert.deepEqual(watchEvents(watcher.transport), [[{ name: 'online', user_ids: ['b'] }]]);
  });

  test('duplicates do not count against the limit', async () => {
    const t = createTestHub({ apps: [{ maxWatchlistSize: 2 }] });
    const { transport, connection } = t.connect();
    t.signin(connection, { id: 'a', watchlist: ['b', 'b', 'c'] });
    await flush();
    assert.deepEqual(connection.user?.watchlist, ['b', 'c']);
    assert.deepEqual(transport.named('pusher:error'), []);
  });

  test('a user watching itself sees itself online, never offline', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: 'a', watchlist: ['a'] });
    await flush();
    // Its own online announcement may arrive as well as the initial status.
    const events = watchEvents(transport).flat();
    assert.ok(events.length > 0);
    assert.deepEqual(
      new Set(events.map((e) => JSON.stringify(e))),
      new Set(['{"name":"online","user_ids":["a"]}']),
    );
  });
});

describe('terminateUser (§5.8)', () => {
  test('closes with 4009 every connection signed in as the user, and only those', async () => {
    const t = createTestHub();
    const a1 = await signedIn(t, '42');
    const a2 = await signedIn(t, '42');
    const other = await signedIn(t, '7');
    const anonymous = t.connect();
    // Presence membership as 42 is not a signin (docs "Terminating user connections").
    const presenceOnly = t.connect();
    t.subscribe(presenceOnly.connection, 'presence-room', '{"user_id":"42"}');
    await flush();
    presenceOnly.transport.clear();
    await t.hub.terminateUser(t.app, '42');
    for (const peer of [a1, a2]) {
      assert.deepEqual(peer.transport.parsed, [
        { event: 'pusher:error', data: { code: 4009, message: 'Connection is unauthorized' } },
      ]);
      assert.deepEqual(peer.transport.closes, [
        { code: 4009, reason: 'Connection is unauthorized' },
      ]);
      assert.equal(peer.connection.open, false);
    }
    for (const peer of [other, anonymous, presenceOnly]) {
      assert.deepEqual(peer.transport.frames, []);
      assert.equal(peer.transport.closed, false);
    }
    assert.equal(t.hub.localConnectionCount(t.app.id), 3);
    const closed = t.events.filter((e) => e.name === 'connection_closed').map((e) => e.event);
    assert.deepEqual(
      closed.map((e) => [e.socketId, e.code]),
      [
        [a1.connection.socketId, 4009],
        [a2.connection.socketId, 4009],
      ],
    );
  });

  test('runs the disconnect path: offline to watchers, member_removed, vacated', async () => {
    const t = createTestHub();
    const watcher = await signedIn(t, 'w', ['42']);
    const observer = t.connect();
    t.subscribe(observer.connection, 'presence-room', '{"user_id":"o"}');
    const target = await signedIn(t, '42');
    t.subscribe(target.connection, 'presence-room');
    t.subscribe(target.connection, '#server-to-user-42');
    await flush();
    watcher.transport.clear();
    observer.transport.clear();
    await t.hub.terminateUser(t.app, '42');
    await flush();
    assert.deepEqual(watchEvents(watcher.transport), [[{ name: 'offline', user_ids: ['42'] }]]);
    assert.deepEqual(observer.transport.parsed, [
      {
        event: 'pusher_internal:member_removed',
        channel: 'presence-room',
        data: '{"user_id":"42"}',
      },
    ]);
    assert.equal(await t.hub.subscriptionCount(t.app.id, '#server-to-user-42'), 0);
    assert.ok(
      t.events.some(
        (e) => e.name === 'channel_vacated' && e.event.channel === '#server-to-user-42',
      ),
    );
  });

  test('a user signed in again after termination can be terminated again', async () => {
    const t = createTestHub();
    await signedIn(t, '42');
    await t.hub.terminateUser(t.app, '42');
    const again = await signedIn(t, '42');
    await t.hub.terminateUser(t.app, '42');
    assert.deepEqual(
      again.transport.closes.map((c) => c.code),
      [4009],
    );
  });

  test('a user of another app with the same id is not affected; unknown ids are a no-op', async () => {
    const t = createTestHub({ apps: [{}, {}] });
    const here = await signedIn(t, '42');
    const elsewhere = t.connect(`/app/${t.apps[1]!.key}?protocol=7`);
    t.signin(elsewhere.connection, { id: '42' });
    elsewhere.transport.clear();
    await t.hub.terminateUser(t.app, 'nobody');
    assert.equal(here.transport.closed, false);
    await t.hub.terminateUser(t.app, '42');
    assert.equal(here.transport.closed, true);
    assert.equal(elsewhere.transport.closed, false);
    assert.deepEqual(elsewhere.transport.frames, []);
  });
});
