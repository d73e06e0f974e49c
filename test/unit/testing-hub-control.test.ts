/**
 * The hub's testing block without sockets: close codes and messages on the fake transport,
 * the refusal window on a manual clock, what reset leaves behind, the close code of a user
 * disconnect as it travels through the broker.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCloseCode, closeMessageOf } from '../../src/protocol/errors.js';
import { createTestHub, flush } from '../helpers/fake-transport.js';

const errorFrames = (texts: string[]) =>
  texts
    .map((text) => JSON.parse(text) as { event: string; data: unknown })
    .filter((f) => f.event === 'pusher:error');

describe('close codes for fault injection', () => {
  it('accepts the table and 4000–4999, with a generic message for codes not in the table', () => {
    assert.equal(closeMessageOf(4009), 'Connection is unauthorized');
    assert.equal(closeMessageOf(4567), 'Closed by the server');
    for (const code of [3999, 5000, 1000, 4100.5, Number.NaN]) {
      assert.throws(() => checkCloseCode(code), RangeError, String(code));
    }
  });

  it('disconnect sends pusher:error with the code and message, then closes with them', () => {
    const test = createTestHub();
    const { transport, connection } = test.connect();
    assert.equal(test.hub.disconnect(connection.socketId, 4321, undefined, 'why not'), true);
    assert.deepEqual(errorFrames(transport.texts), [
      { event: 'pusher:error', data: { code: 4321, message: 'why not' } },
    ]);
    assert.deepEqual(transport.closes, [{ code: 4321, reason: 'why not' }]);
    assert.equal(connection.open, false);
    assert.equal(test.hub.disconnect(connection.socketId), false, 'gone now');
  });

  it('disconnect only looks in the given app', () => {
    const test = createTestHub({ apps: [{}, {}] });
    const { connection } = test.connect();
    assert.equal(test.hub.disconnect(connection.socketId, 4200, 'app-2'), false);
    assert.equal(connection.open, true);
  });

  it('an invalid code throws before anything is closed', () => {
    const test = createTestHub();
    const { connection } = test.connect();
    assert.throws(() => test.hub.disconnectAll(1000), RangeError);
    assert.throws(() => test.hub.disconnect(connection.socketId, 5000, undefined, 'x'), RangeError);
    assert.equal(connection.open, true);
  });

  it('connections() lists socket ids, channels and the signed-in user', () => {
    const test = createTestHub();
    const { connection } = test.connect();
    test.subscribe(connection, 'news');
    test.signin(connection, { id: 'u1' });
    assert.deepEqual(test.hub.connections(), [
      {
        appId: test.app.id,
        socketId: connection.socketId,
        channels: ['news'],
        userId: 'u1',
      },
    ]);
    assert.deepEqual(test.hub.connections('other-app'), []);
  });
});

describe('refuseConnections', () => {
  it("refuses from now until the window ends on the hub's clock, then accepts", () => {
    const test = createTestHub();
    const until = test.hub.refuseConnections(1000);
    assert.equal(until, test.clock.now() + 1000);
    const refused = test.open();
    assert.equal(refused.connection, undefined);
    assert.deepEqual(refused.transport.closes, [{ code: 4100, reason: 'Over capacity' }]);
    test.clock.advance(999);
    assert.equal(test.open().connection, undefined);
    test.clock.advance(1);
    assert.notEqual(test.open().connection, undefined, 'the window has ended');
    const refusal = test.events.find((recorded) => recorded.name === 'connection_refused');
    assert.deepEqual(refusal?.event, { appKey: test.app.key, code: 4100, reason: 'Over capacity' });
  });

  it('0 ends it at once', () => {
    const test = createTestHub();
    test.hub.refuseConnections(60_000, 4567);
    assert.deepEqual(test.open().transport.closes, [
      { code: 4567, reason: 'Closed by the server' },
    ]);
    test.hub.refuseConnections(0);
    assert.notEqual(test.open().connection, undefined);
  });
});

describe('disconnectUser', () => {
  it('carries the code through the broker to every connection of the user', async () => {
    const test = createTestHub();
    const a = test.connect();
    const b = test.connect();
    const other = test.connect();
    test.signin(a.connection, { id: 'u1' });
    test.signin(b.connection, { id: 'u1' });
    test.signin(other.connection, { id: 'u2' });
    await test.hub.disconnectUser(test.app, 'u1', 4150);
    await flush();
    assert.deepEqual(a.transport.closes, [{ code: 4150, reason: 'Closed by the server' }]);
    assert.deepEqual(b.transport.closes, [{ code: 4150, reason: 'Closed by the server' }]);
    assert.deepEqual(other.transport.closes, []);
  });

  it('defaults to 4009, as terminate_connections', async () => {
    const test = createTestHub();
    const a = test.connect();
    test.signin(a.connection, { id: 'u1' });
    await test.hub.terminateUser(test.app, 'u1');
    await flush();
    assert.deepEqual(a.transport.closes, [{ code: 4009, reason: 'Connection is unauthorized' }]);
  });
});

describe('reset', () => {
  it('closes everything with the code, ends a refusal and empties the stores and caches', async () => {
    const test = createTestHub({ apps: [{ subscriptionCount: false }] });
    const { connection, transport } = test.connect();
    test.subscribe(connection, 'news');
    test.subscribe(connection, 'presence-room', JSON.stringify({ user_id: 'ann' }));
    await flush();
    await test.hub.trigger(test.app, { name: 'price', data: '1', channels: ['cache-prices'] });
    test.hub.refuseConnections(60_000);

    await test.hub.reset(4099, 'reset');
    assert.deepEqual(transport.closes, [{ code: 4099, reason: 'reset' }]);
    assert.deepEqual([...(await test.hub.occupiedChannels(test.app.id))], []);
    assert.deepEqual(await test.hub.members(test.app.id, 'presence-room'), []);
    assert.equal(await test.hub.cached(test.app.id, 'cache-prices'), undefined);
    assert.notEqual(test.open().connection, undefined, 'no longer refusing');
  });
});
