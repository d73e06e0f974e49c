/**
 * Recording and waiting through `startHerald({ record: true })`, with the real clients: the
 * `pusher` SDK triggers, pusher-js subscribes, sends client events and disconnects, a receiver
 * answers webhooks — and the test reads it all back, in order, and waits for what comes later.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { lifecycleNames } from '../../src/core/lifecycle.js';
import { startHerald, WaitError } from '../../src/testing/index.js';
import {
  PusherJsClients,
  nextEvent,
  subscribe,
  waitForState,
  type PusherJs,
} from '../helpers/pusher-js.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(options: Parameters<typeof startHerald>[0] = {}) {
  const herald = await startHerald({ record: true, ...options });
  const sdk = new PusherServer(herald.pusherOptions);
  const clients = new PusherJsClients(herald, { authorizer: sdk });
  cleanups.push(
    () => herald.stop(),
    () => clients.disconnectAll(),
  );
  return { herald, sdk, clients };
}

const socketIdOf = (pusher: PusherJs) => pusher.connection.socket_id;

describe('startHerald({ record: true })', () => {
  it('records a trigger per channel with the data byte for byte, and the excluded socket', async () => {
    const { herald, sdk, clients } = await setup();
    const pusher = await clients.connect();
    await sdk.trigger(['orders', 'audit'], 'order-shipped', { id: 7, note: 'é/😀' });
    await sdk.trigger('orders', 'quiet', 'plain text', { socket_id: socketIdOf(pusher) });

    const triggers = herald.events({ kind: 'trigger' });
    assert.deepEqual(
      triggers.map((record) => [record.kind === 'trigger' && record.channel, record.seq > 0]),
      [
        ['orders', true],
        ['audit', true],
        ['orders', true],
      ],
    );
    const [first, , excluded] = triggers;
    assert.ok(first?.kind === 'trigger' && excluded?.kind === 'trigger');
    assert.equal(first.event, 'order-shipped');
    assert.equal(first.data, JSON.stringify({ id: 7, note: 'é/😀' }));
    assert.equal(first.socketId, undefined);
    assert.equal(excluded.data, 'plain text');
    assert.equal(excluded.socketId, socketIdOf(pusher));
    assert.deepEqual(
      herald.events({ channel: 'orders', event: 'quiet' }).map((record) => record.seq),
      [excluded.seq],
    );
  });

  it('records connections, subscriptions, client events, failures and disconnections in order', async () => {
    const { herald, clients } = await setup();
    const alice = await clients.connect();
    const bob = await clients.connect();
    const room = await subscribe(alice, 'private-room');
    await subscribe(bob, 'private-room');
    room.trigger('client-typing', { typing: true });
    await herald.waitFor({ kind: 'client_event', channel: 'private-room' });
    const refused = clients.create({
      authorizer: new PusherServer({ ...herald.pusherOptions, secret: 'wrong' }),
    });
    await waitForState(refused, 'connected');
    refused.subscribe('private-room');
    await herald.waitFor({ kind: 'subscription_failed', socketId: socketIdOf(refused) });
    alice.unsubscribe('private-room');
    await herald.waitFor({ kind: 'unsubscribed', socketId: socketIdOf(alice) });
    const aliceId = socketIdOf(alice);
    alice.disconnect();
    const closed = await herald.waitFor({ kind: 'disconnected', socketId: aliceId });

    const ofAlice = herald.events({ socketId: aliceId }).map((record) => record.kind);
    assert.deepEqual(ofAlice, [
      'connected',
      'subscribed',
      'client_event',
      'unsubscribed',
      'disconnected',
    ]);
    const clientEvent = herald.events({ kind: 'client_event' })[0];
    assert.ok(clientEvent?.kind === 'client_event');
    assert.equal(clientEvent.event, 'client-typing');
    assert.equal(clientEvent.data, '{"typing":true}');
    const failure = herald.events({ kind: 'subscription_failed' })[0];
    assert.ok(failure?.kind === 'subscription_failed');
    assert.equal(failure.status, 401);
    assert.equal(failure.type, 'AuthError');
    // pusher-js closes with 1000 when the app calls disconnect().
    assert.ok(closed.kind === 'disconnected');
    assert.equal(closed.code, 1000);
    const seqs = herald.events().map((record) => record.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'each seq once');
  });

  it('waitFor resolves with a trigger that comes later, as pusher-js receives it', async () => {
    const { herald, sdk, clients } = await setup();
    const pusher = await clients.connect();
    const channel = await subscribe(pusher, 'news');
    const waited = herald.waitFor({ channel: 'news', event: 'flash' });
    const received = nextEvent(channel, 'flash');
    await sdk.trigger('news', 'flash', { n: 1 });
    const record = await waited;
    assert.ok(record.kind === 'trigger');
    assert.equal(record.data, '{"n":1}');
    assert.deepEqual(await received, { n: 1 });
  });

  it('waitFor resolves with a record made before it was called', async () => {
    const { herald, clients } = await setup();
    const pusher = await clients.connect();
    const record = await herald.waitFor({ kind: 'connected' });
    assert.ok(record.kind === 'connected');
    assert.equal(record.socketId, socketIdOf(pusher));
  });

  it('waitFor rejects after its timeout with a message listing what was recorded', async () => {
    const { herald, sdk } = await setup();
    await sdk.trigger('news', 'other', { n: 2 });
    const error = await herald.waitFor({ channel: 'news', event: 'flash' }, { timeout: 50 }).then(
      () => assert.fail('resolved'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof WaitError);
    assert.match(
      error.message,
      /^waitFor\(\{"channel":"news","event":"flash"\}\): nothing matched within 50 ms; recorded 1:\n {2}#1 trigger news other \{"n":2\}$/,
    );
  });

  it('records each webhook attempt with the status the receiver answered', async () => {
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.close());
    receiver.plan(500, 200);
    const { herald, clients } = await setup({
      webhookUrl: [receiver.url],
      webhookBatchMs: 0,
      webhookRetryDelayMs: 10,
    });
    const pusher = await clients.connect();
    await subscribe(pusher, 'hooked');
    const delivered = await herald
      .waitFor({ kind: 'webhook', event: 'channel_occupied' })
      .then(() => herald.waitFor((record) => record.kind === 'webhook' && record.status === 200));
    const attempts = herald.events({ kind: 'webhook', channel: 'hooked' });
    assert.deepEqual(
      attempts.map((record) => record.kind === 'webhook' && [record.attempt, record.status]),
      [
        [1, 500],
        [2, 200],
      ],
    );
    assert.ok(delivered.kind === 'webhook');
    assert.equal(delivered.url, receiver.url);
    assert.deepEqual(delivered.events, [{ name: 'channel_occupied', channel: 'hooked' }]);
  });

  it('a webhook URL that does not answer is recorded with the error and no status', async () => {
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.close());
    receiver.answerWith('reset');
    const { herald, clients } = await setup({
      webhookUrl: [receiver.url],
      webhookBatchMs: 0,
      webhookRetryWindowMs: 0,
    });
    const pusher = await clients.connect();
    await subscribe(pusher, 'hooked');
    const record = await herald.waitFor({ kind: 'webhook' });
    assert.ok(record.kind === 'webhook');
    assert.equal(record.status, undefined);
    assert.equal(typeof record.error, 'string');
    assert.ok(record.error!.length > 0);
  });

  it('keeps at most recordLimit records', async () => {
    const { herald, sdk } = await setup({ recordLimit: 3 });
    for (let i = 1; i <= 5; i++) await sdk.trigger('c', `e${i}`, '');
    assert.deepEqual(
      herald.events().map((record) => record.kind === 'trigger' && record.event),
      ['e3', 'e4', 'e5'],
    );
    assert.equal(herald.server.recorder?.dropped, 2);
  });
});

describe('recording off (the default)', () => {
  it('attaches no listener at all, so the hub builds no event for it', async () => {
    // Metrics listen too (on by default); off here so that only the recorder is in question.
    const herald = await startHerald({ metrics: false });
    cleanups.push(() => herald.stop());
    assert.equal(herald.server.recorder, undefined);
    for (const name of lifecycleNames) {
      assert.equal(herald.server.lifecycle.has(name), false, name);
    }
    assert.throws(
      () => herald.events(),
      /Recording is off: start with startHerald\(\{ record: true \}\)/,
    );
    assert.throws(() => herald.waitFor({ kind: 'trigger' }), /Recording is off/);
  });

  it('record: true listens to every lifecycle event but the fan-out counts', async () => {
    const herald = await startHerald({ record: true, metrics: false });
    cleanups.push(() => herald.stop());
    for (const name of lifecycleNames) {
      // `delivered` (one per broadcast, for metrics) is not recorded.
      assert.equal(herald.server.lifecycle.has(name), name !== 'delivered', name);
    }
  });
});
