import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeMessage } from '../../src/protocol/errors.js';
import { createTestHub, flush } from '../helpers/fake-transport.js';

const PING = '{"event":"pusher:ping","data":"{}"}';

describe('liveness sweep (PROTOCOL.md §1.5)', () => {
  test('nothing happens before activityTimeout of silence', () => {
    const t = createTestHub({ activityTimeout: 120, pongTimeout: 30 });
    const { transport } = t.connect();
    t.clock.advance(119_999);
    t.hub.sweep();
    assert.deepEqual(transport.frames, []);
    assert.equal(transport.probes, 0);
  });

  test('after activityTimeout of silence the sweep probes once: pusher:ping and a transport ping', () => {
    const t = createTestHub({ activityTimeout: 120, pongTimeout: 30 });
    const { transport } = t.connect();
    t.clock.advance(120_000);
    t.hub.sweep();
    assert.deepEqual(transport.texts, [PING]);
    assert.equal(transport.probes, 1);
    // Further sweeps while the probe is pending do not probe again.
    t.clock.advance(10_000);
    t.hub.sweep();
    assert.deepEqual(transport.texts, [PING]);
    assert.equal(transport.probes, 1);
    assert.equal(transport.closed, false);
  });

  test('no answer pongTimeout after the probe → pusher:error 4201 and close 4201', async () => {
    const t = createTestHub({ activityTimeout: 120, pongTimeout: 30 });
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:subscribe', data: { channel: 'news' } });
    await flush();
    transport.clear();
    t.clock.advance(120_000);
    t.hub.sweep();
    t.clock.advance(29_999);
    t.hub.sweep();
    assert.equal(transport.closed, false);
    t.clock.advance(1);
    t.hub.sweep();
    assert.deepEqual(transport.parsed, [
      { event: 'pusher:ping', data: '{}' },
      { event: 'pusher:error', data: { code: 4201, message: closeMessage[4201] } },
    ]);
    assert.deepEqual(transport.closes, [{ code: 4201, reason: 'Pong reply not received' }]);
    assert.equal(connection.open, false);
    // The disconnect path ran: the subscription is gone and the channel vacated.
    await flush();
    assert.equal(t.hub.localConnectionCount(t.app.id), 0);
    assert.equal(await t.hub.subscriptionCount(t.app.id, 'news'), 0);
    assert.deepEqual(t.names().slice(-3).sort(), [
      'channel_vacated',
      'connection_closed',
      'unsubscribed',
    ]);
    const closed = t.events.find((e) => e.name === 'connection_closed');
    assert.deepEqual(closed?.event, {
      appId: t.app.id,
      socketId: connection.socketId,
      code: 4201,
      reason: 'Pong reply not received',
    });
    // Later sweeps leave it alone.
    t.clock.advance(1_000_000);
    t.hub.sweep();
    assert.deepEqual(transport.sentAfterClose, []);
    assert.equal(transport.closes.length, 1);
  });

  test('any frame received after the probe cancels it', () => {
    const t = createTestHub({ activityTimeout: 120, pongTimeout: 30 });
    const { transport, connection } = t.connect();
    t.clock.advance(120_000);
    t.hub.sweep();
    t.clock.advance(20_000);
    t.receive(connection, { event: 'pusher:pong', data: {} });
    t.clock.advance(20_000);
    t.hub.sweep();
    assert.equal(transport.closed, false);
    // The timer restarted at the pong: the next probe comes 120 s after it.
    t.clock.advance(99_999);
    t.hub.sweep();
    assert.equal(transport.probes, 1);
    t.clock.advance(1);
    t.hub.sweep();
    assert.equal(transport.probes, 2);
  });

  test('malformed frames count as signs of life too', () => {
    const t = createTestHub({ activityTimeout: 10, pongTimeout: 5 });
    const { transport, connection } = t.connect();
    t.clock.advance(10_000);
    t.hub.sweep();
    t.receive(connection, 'garbage');
    t.clock.advance(5_000);
    t.hub.sweep();
    assert.equal(transport.closed, false);
  });

  test('a transport-level pong (alive) or a binary frame cancels the probe', () => {
    const t = createTestHub({ activityTimeout: 10, pongTimeout: 5 });
    const a = t.connect();
    const b = t.connect();
    t.clock.advance(10_000);
    t.hub.sweep();
    a.connection.alive(t.clock.now());
    b.connection.receiveBinary(t.clock.now());
    t.clock.advance(5_000);
    t.hub.sweep();
    assert.equal(a.transport.closed, false);
    assert.equal(b.transport.closed, false);
  });

  test('a client that keeps pinging is never probed', () => {
    const t = createTestHub({ activityTimeout: 120, pongTimeout: 30 });
    const { transport, connection } = t.connect();
    for (let i = 0; i < 20; i++) {
      t.clock.advance(60_000);
      t.receive(connection, { event: 'pusher:ping' });
      t.hub.sweep();
    }
    assert.equal(transport.probes, 0);
    assert.ok(transport.parsed.every((f) => f.event === 'pusher:pong'));
  });

  test('frames the server sends do not count as activity from the peer', async () => {
    const t = createTestHub({ activityTimeout: 10, pongTimeout: 5 });
    const { transport, connection } = t.connect();
    t.receive(connection, { event: 'pusher:subscribe', data: { channel: 'news' } });
    for (let i = 0; i < 15; i++) {
      t.clock.advance(1000);
      await t.hub.trigger(t.app, { name: 'tick', data: String(i), channels: ['news'] });
      t.hub.sweep();
    }
    assert.equal(transport.closes[0]?.code, 4201);
  });

  test('only silent connections are probed', () => {
    const t = createTestHub({ activityTimeout: 10, pongTimeout: 5 });
    const quiet = t.connect();
    t.clock.advance(5_000);
    const chatty = t.connect();
    t.clock.advance(5_000);
    t.hub.sweep();
    assert.equal(quiet.transport.probes, 1);
    assert.equal(chatty.transport.probes, 0);
  });
});
