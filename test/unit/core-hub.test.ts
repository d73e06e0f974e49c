import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedFrame } from '../../src/core/transport.js';
import { closeMessage } from '../../src/protocol/errors.js';
import { createTestHub, dataOf, flush, type FakeTransport } from '../helpers/fake-transport.js';

function assertRefused(transport: FakeTransport, code: number) {
  assert.deepEqual(transport.parsed, [
    {
      event: 'pusher:error',
      data: { code, message: closeMessage[code as keyof typeof closeMessage] },
    },
  ]);
  assert.deepEqual(transport.closes, [
    { code, reason: closeMessage[code as keyof typeof closeMessage] },
  ]);
  assert.deepEqual(transport.sentAfterClose, []);
}

describe('Hub.open', () => {
  test('connection_established is the first frame, with a socket id and activity_timeout', () => {
    const t = createTestHub({ activityTimeout: 90 });
    const { transport, connection } = t.open();
    assert.ok(connection);
    assert.equal(transport.frames.length, 1);
    assert.equal(typeof transport.frames[0], 'string');
    const frame = transport.parsed[0]!;
    assert.equal(frame.event, 'pusher:connection_established');
    assert.equal(typeof frame.data, 'string');
    assert.deepEqual(dataOf(frame), { socket_id: connection.socketId, activity_timeout: 90 });
    assert.match(connection.socketId, /^\d+\.\d+$/);
    assert.equal(transport.closed, false);
    assert.equal(connection.app, t.app);
    assert.equal(t.hub.localConnectionCount(t.app.id), 1);
    assert.deepEqual(t.events, [
      { name: 'connection_opened', event: { appId: t.app.id, socketId: connection.socketId } },
    ]);
  });

  test('socket ids differ between connections', () => {
    const t = createTestHub();
    const ids = new Set(Array.from({ length: 50 }, () => t.connect().connection.socketId));
    assert.equal(ids.size, 50);
  });

  test('the configured path prefix is honoured', () => {
    const t = createTestHub({ path: '/ws' });
    assert.ok(t.open('/ws/app/app-key?protocol=7').connection);
    assertRefused(t.open('/app/app-key?protocol=7').transport, 4005);
  });

  test('4001 for an unknown app key', () => {
    const t = createTestHub();
    const { transport, connection } = t.open('/app/nope?protocol=7');
    assert.equal(connection, undefined);
    assertRefused(transport, 4001);
    assert.deepEqual(t.events, [
      {
        name: 'connection_refused',
        event: { appKey: 'nope', code: 4001, reason: closeMessage[4001] },
      },
    ]);
  });

  test('4003 for a disabled app', () => {
    const t = createTestHub({ apps: [{ enabled: false }] });
    const { transport, connection } = t.open();
    assert.equal(connection, undefined);
    assertRefused(transport, 4003);
  });

  test('4004 beyond maxConnections, counted per app; a freed slot is reusable', () => {
    const t = createTestHub({ apps: [{ maxConnections: 2 }, {}] });
    const first = t.connect();
    t.connect();
    const { transport, connection } = t.open();
    assert.equal(connection, undefined);
    assertRefused(transport, 4004);
    // Another app is not affected by this app's quota.
    assert.ok(t.open(`/app/${t.apps[1]!.key}?protocol=7`).connection);
    first.connection.closed(1000, '');
    assert.ok(t.open().connection);
  });

  test('4005 for other paths, 4006/4007/4008 for bad protocols', () => {
    const t = createTestHub();
    assertRefused(t.open('/nope?protocol=7').transport, 4005);
    assertRefused(t.open('/app/app-key?protocol=abc').transport, 4006);
    assertRefused(t.open('/app/app-key?protocol=7.1').transport, 4006);
    assertRefused(t.open('/app/app-key?protocol=3').transport, 4007);
    assertRefused(t.open('/app/app-key?protocol=8').transport, 4007);
    assertRefused(t.open('/app/app-key').transport, 4008);
    assert.equal(t.hub.localConnectionCount(t.app.id), 0);
    assert.deepEqual(
      t.events.map((e) => e.name === 'connection_refused' && e.event.code),
      [4005, 4006, 4006, 4007, 4007, 4008],
    );
  });

  test('allowMissingProtocol accepts a connection without ?protocol=', () => {
    const t = createTestHub({ allowMissingProtocol: true });
    const { transport, connection } = t.open('/app/app-key');
    assert.ok(connection);
    assert.equal(transport.parsed[0]!.event, 'pusher:connection_established');
  });

  test('stopAccepting refuses new connections with 4200 and keeps the open ones', () => {
    const t = createTestHub();
    const open = t.connect();
    t.hub.stopAccepting();
    const { transport, connection } = t.open();
    assert.equal(connection, undefined);
    assertRefused(transport, 4200);
    assert.equal(open.transport.closed, false);
    assert.equal(open.connection.open, true);
  });
});

describe('Hub frames', () => {
  test('pusher:ping → pusher:pong, with or without data', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:ping', data: {} });
    t.receive(connection, '{"event":"pusher:ping"}');
    assert.deepEqual(transport.texts, [
      '{"event":"pusher:pong","data":"{}"}',
      '{"event":"pusher:pong","data":"{}"}',
    ]);
  });

  test('pusher:pong and unknown events get no answer', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:pong', data: {} });
    t.receive(connection, { event: 'pusher:unknown', data: {} });
    t.receive(connection, { event: 'some-event', channel: 'a', data: 'x' });
    assert.deepEqual(transport.frames, []);
    assert.equal(transport.closed, false);
  });

  test('malformed JSON → pusher:error code null, the connection stays open', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, '{not json');
    t.receive(connection, '[]');
    t.receive(connection, '{"data":{}}');
    assert.deepEqual(
      transport.parsed.map((f) => [f.event, (f.data as { code: unknown }).code]),
      [
        ['pusher:error', null],
        ['pusher:error', null],
        ['pusher:error', null],
      ],
    );
    assert.equal(transport.closed, false);
    t.receive(connection, { event: 'pusher:ping' });
    assert.equal(transport.last?.event, 'pusher:pong');
  });

  test('a binary frame → pusher:error, the connection stays open', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    connection.receiveBinary(t.clock.now());
    assert.equal(transport.parsed.length, 1);
    assert.equal(transport.last?.event, 'pusher:error');
    assert.equal((transport.last?.data as { code: unknown }).code, null);
    assert.equal(transport.closed, false);
    assert.equal(connection.open, true);
  });

  test('a signin with a malformed token is refused with pusher:error code null, connection open', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:signin', data: { auth: 'x', user_data: '{}' } });
    assert.equal(transport.last?.event, 'pusher:error');
    assert.equal((transport.last?.data as { code: unknown }).code, null);
    assert.equal(transport.closed, false);
  });

  test('frames received after the connection closed are not handled', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    connection.closed(1006, '');
    t.receive(connection, { event: 'pusher:ping' });
    assert.deepEqual(transport.frames, []);
    assert.deepEqual(transport.sentAfterClose, []);
  });
});

describe('Hub.trigger', () => {
  test('delivers to every subscriber but socketId, the very same SharedFrame to each', async () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    const c = t.connect();
    const other = t.connect();
    for (const { connection } of [a, b, c]) {
      t.receive(connection, { event: 'pusher:subscribe', data: { auth: '', channel: 'news' } });
    }
    t.receive(other.connection, { event: 'pusher:subscribe', data: { channel: 'other' } });
    for (const { transport } of [a, b, c, other]) transport.clear();

    await t.hub.trigger(t.app, {
      name: 'order-shipped',
      data: '{"id":7}',
      channels: ['news'],
      socketId: c.connection.socketId,
    });
    const frame = a.transport.frames[0];
    assert.ok(frame instanceof SharedFrame);
    assert.equal(frame.text, '{"event":"order-shipped","channel":"news","data":"{\\"id\\":7}"}');
    assert.equal(b.transport.frames[0], frame, 'every subscriber gets the same object');
    assert.equal(a.transport.frames.length, 1);
    assert.equal(b.transport.frames.length, 1);
    assert.deepEqual(c.transport.frames, [], 'the excluded socket gets nothing');
    assert.deepEqual(other.transport.frames, []);
  });

  test('several channels in one trigger; a connection on two of them gets two frames', async () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    t.receive(a.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    t.receive(a.connection, { event: 'pusher:subscribe', data: { channel: 'y' } });
    t.receive(b.connection, { event: 'pusher:subscribe', data: { channel: 'y' } });
    a.transport.clear();
    b.transport.clear();
    await t.hub.trigger(t.app, { name: 'e', data: 'd', channels: ['x', 'y', 'z'] });
    assert.deepEqual(a.transport.parsed, [
      { event: 'e', channel: 'x', data: 'd' },
      { event: 'e', channel: 'y', data: 'd' },
    ]);
    assert.deepEqual(b.transport.parsed, [{ event: 'e', channel: 'y', data: 'd' }]);
  });

  test('data is relayed verbatim, whatever it holds', async () => {
    const t = createTestHub();
    const a = t.connect();
    t.receive(a.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    a.transport.clear();
    const payloads = ['{"a": 1}', 'plain', '{"s":"\\/é\\u00e9"}', '', '123'];
    for (const data of payloads) await t.hub.trigger(t.app, { name: 'e', data, channels: ['x'] });
    assert.deepEqual(
      a.transport.parsed.map((f) => f.data),
      payloads,
    );
  });

  test('an app does not receive another app’s events on a same-named channel', async () => {
    const t = createTestHub({ apps: [{}, {}] });
    const a = t.connect();
    const b = t.connect(`/app/${t.apps[1]!.key}?protocol=7`);
    t.receive(a.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    t.receive(b.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    a.transport.clear();
    b.transport.clear();
    await t.hub.trigger(t.apps[1]!, { name: 'e', data: 'd', channels: ['x'] });
    assert.deepEqual(a.transport.frames, []);
    assert.equal(b.transport.frames.length, 1);
  });

  test('api_message is emitted per channel when someone listens', async () => {
    const t = createTestHub();
    await t.hub.trigger(t.app, { name: 'e', data: 'd', channels: ['x', 'y'], socketId: '1.2' });
    assert.deepEqual(
      t.events.filter((e) => e.name === 'api_message').map((e) => e.event),
      [
        { appId: t.app.id, channel: 'x', event: 'e', data: 'd', socketId: '1.2' },
        { appId: t.app.id, channel: 'y', event: 'e', data: 'd', socketId: '1.2' },
      ],
    );
  });

  test('counts and the channel list reflect subscriptions', async () => {
    const t = createTestHub();
    const a = t.connect();
    const b = t.connect();
    t.receive(a.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    t.receive(b.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    t.receive(b.connection, { event: 'pusher:subscribe', data: { channel: 'yy' } });
    await flush();
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'x'), 2);
    assert.deepEqual(
      await t.hub.occupiedChannels(t.app.id),
      new Map([
        ['x', 2],
        ['yy', 1],
      ]),
    );
    assert.deepEqual(await t.hub.occupiedChannels(t.app.id, 'y'), new Map([['yy', 1]]));
  });
});

describe('Hub.closeAll', () => {
  test('closes every connection with pusher:error 4200 then close 4200', async () => {
    const t = createTestHub({ apps: [{}, {}] });
    const conns = [t.connect(), t.connect(), t.connect(`/app/${t.apps[1]!.key}?protocol=7`)];
    t.receive(conns[0]!.connection, { event: 'pusher:subscribe', data: { channel: 'x' } });
    conns[0]!.transport.clear();
    t.hub.closeAll();
    for (const { transport, connection } of conns) {
      assert.deepEqual(transport.parsed, [
        { event: 'pusher:error', data: { code: 4200, message: closeMessage[4200] } },
      ]);
      assert.deepEqual(transport.closes, [{ code: 4200, reason: closeMessage[4200] }]);
      assert.equal(connection.open, false);
    }
    assert.equal(t.hub.localConnectionCount(t.app.id), 0);
    assert.equal(t.hub.localConnectionCount(t.apps[1]!.id), 0);
    await flush();
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'x'), 0);
    assert.equal(t.names().filter((n) => n === 'connection_closed').length, 3);
    assert.ok(t.names().includes('channel_vacated'));
  });

  test('a closed connection gets nothing more and a second close is a no-op', () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.hub.closeAll();
    connection.terminate(4201);
    connection.send('{"event":"x"}');
    connection.closed(1000, '');
    assert.equal(transport.closes.length, 1);
    assert.deepEqual(transport.sentAfterClose, []);
    assert.equal(t.names().filter((n) => n === 'connection_closed').length, 1);
  });
});
