/**
 * Client events end to end (PROTOCOL.md §2.8): relayed on private channels to the other
 * subscribers with `data` as a string, never echoed; every rejection is a `pusher:error` on a
 * connection that stays open (code null, or 4301 for the rate limit) and relays nothing.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import PusherServer from 'pusher';
import { createHerald, type Herald } from '../../src/herald.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLog } from '../../src/core/log.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import { PusherJsClients, eventsOf, nextEvent, subscribe } from '../helpers/pusher-js.js';

const APP = { key: 'app-key', secret: 'app-secret' };

/** A private-style subscription token (§4.1), signed here rather than by herald's own code. */
const authFor = (client: RawClient, channel: string) =>
  `${APP.key}:${createHmac('sha256', APP.secret).update(`${client.socketId}:${channel}`).digest('hex')}`;

/** Subscribes a raw client, signing when the channel needs it. */
async function join(client: RawClient, channel: string): Promise<void> {
  await client.subscribe(channel, channel.startsWith('private-') ? authFor(client, channel) : '');
}

const isClientEvent = (frame: ServerFrame) => frame.event.startsWith('client-');

/** The `pusher:error` a rejection must produce: code `code`, the connection still open. */
async function assertRejected(sender: RawClient, code: number | null): Promise<void> {
  const error = await sender.nextEvent('pusher:error');
  const data = error.data as { code: unknown; message: unknown };
  assert.equal(data.code, code, `pusher:error code (message: ${String(data.message)})`);
  assert.equal(typeof data.message, 'string');
  await sender.roundTrip();
  assert.equal(sender.closedWith, undefined, 'the connection stays open');
}

describe('client events (§2.8)', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let pusherJs: PusherJsClients;

  /** Triggers `fence` on `channel` and returns what `receiver` got on it before the fence. */
  async function beforeFence(receiver: RawClient, channel: string): Promise<ServerFrame[]> {
    receiver.skipAll();
    const start = receiver.frames.length;
    await sdk.trigger(channel, 'fence', {});
    await receiver.nextEvent('fence', channel);
    return receiver.frames.slice(start, receiver.frames.length - 1);
  }

  before(async () => {
    herald = await startHerald({ key: APP.key, secret: APP.secret });
    // With a master key the SDK can also put a fence event on the encrypted channel.
    sdk = new PusherServer({
      ...herald.pusherOptions,
      encryptionMasterKeyBase64: randomBytes(32).toString('base64'),
    });
    raw = new RawClients(herald);
    pusherJs = new PusherJsClients(herald, { authorizer: sdk });
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  it('pusher-js trigger reaches the other subscribers as {a:1}, data a string on the wire, never echoed', async () => {
    const [sender, receiver] = await Promise.all([pusherJs.connect(), pusherJs.connect()]);
    const sent = await subscribe(sender, 'private-chat');
    const received = await subscribe(receiver, 'private-chat');
    const wire = await raw.connect();
    await join(wire, 'private-chat');

    const got = nextEvent(received, 'client-typing');
    assert.equal(sent.trigger('client-typing', { a: 1 }), true);
    assert.deepEqual(await got, { a: 1 });
    const frame = await wire.nextEvent('client-typing', 'private-chat');
    assert.deepEqual(frame, { event: 'client-typing', channel: 'private-chat', data: '{"a":1}' });

    // The receiver answers; the sender's first client event must be that answer, not its own.
    received.trigger('client-reply', { ok: true });
    const first = await eventsOf(sent).next((e) => e.event.startsWith('client-'), 'a client event');
    assert.equal(first.event, 'client-reply');
    assert.deepEqual(first.data, { ok: true });
  });

  it('relays string data unchanged and never echoes to the sender', async () => {
    const sender = await raw.connect();
    const receiver = await raw.connect();
    await join(sender, 'private-strings');
    await join(receiver, 'private-strings');

    for (const data of ['plain text', '{"a": 1}', '{"url":"http:\\/\\/x"}']) {
      sender.send({ event: 'client-note', channel: 'private-strings', data });
      const frame = await receiver.nextEvent('client-note', 'private-strings');
      assert.equal(frame.data, data);
    }
    await sender.roundTrip();
    assert.deepEqual(sender.frames.filter(isClientEvent), [], 'nothing echoed to the sender');
  });

  it('accepts data of exactly 10 KB', async () => {
    const sender = await raw.connect();
    const receiver = await raw.connect();
    await join(sender, 'private-edge');
    await join(receiver, 'private-edge');
    const data = 'x'.repeat(10_240);
    sender.send({ event: 'client-edge', channel: 'private-edge', data });
    const frame = await receiver.nextEvent('client-edge', 'private-edge');
    assert.equal(frame.data, data);
  });

  // [what, channel the receiver listens on, sender subscribes too, the frame the sender sends]
  const rejections: ReadonlyArray<readonly [string, string, boolean, Record<string, unknown>]> = [
    ['on a public channel', 'public-room', true, { channel: 'public-room', data: { a: 1 } }],
    [
      'on an encrypted channel',
      'private-encrypted-room',
      true,
      { channel: 'private-encrypted-room', data: { a: 1 } },
    ],
    [
      'from a connection not subscribed',
      'private-closed',
      false,
      { channel: 'private-closed', data: {} },
    ],
    [
      'with data over 10 KB (string)',
      'private-big',
      true,
      { channel: 'private-big', data: 'x'.repeat(10_241) },
    ],
    [
      'with data over 10 KB (object)',
      'private-big-object',
      true,
      { channel: 'private-big-object', data: { blob: 'x'.repeat(10_240) } },
    ],
    [
      'with a name over 200 characters',
      'private-long-name',
      true,
      { channel: 'private-long-name', data: {}, event: `client-${'x'.repeat(194)}` },
    ],
    ['without a channel', 'private-nowhere', true, { data: {} }],
  ];

  for (const [what, channel, senderJoins, frame] of rejections) {
    it(`rejects a client event ${what}: pusher:error code null, no relay, still open`, async () => {
      const sender = await raw.connect();
      const receiver = await raw.connect();
      await join(receiver, channel);
      if (senderJoins) await join(sender, channel);

      sender.send({ event: 'client-x', ...frame });
      await assertRejected(sender, null);
      assert.deepEqual((await beforeFence(receiver, channel)).filter(isClientEvent), []);
    });
  }

  describe('with clientEvents: false', () => {
    let off: TestHerald;
    let offRaw: RawClients;

    before(async () => {
      off = await startHerald({ key: APP.key, secret: APP.secret, clientEvents: false });
      offRaw = new RawClients(off);
    });
    afterEach(() => offRaw.closeAll());
    after(() => off.stop());

    it('rejects client events with pusher:error code null and relays nothing', async () => {
      const offSdk = new PusherServer(off.pusherOptions);
      const sender = await offRaw.connect();
      const receiver = await offRaw.connect();
      await join(sender, 'private-room');
      await join(receiver, 'private-room');

      sender.send({ event: 'client-x', channel: 'private-room', data: {} });
      await assertRejected(sender, null);

      await offSdk.trigger('private-room', 'fence', {});
      await receiver.nextEvent('fence', 'private-room');
      assert.deepEqual(receiver.frames.filter(isClientEvent), []);
    });
  });
});

describe('client event rate limit (§2.8, §9)', () => {
  // A manual clock: the one-second window cannot slide while the burst is in flight.
  const clock = new ManualClock(Date.now());
  let server: Herald;
  let raw: RawClients;

  before(async () => {
    server = createHerald({ host: '127.0.0.1', port: 0 }, { clock, log: silentLog });
    const { websocket } = await server.start();
    raw = new RawClients(websocket);
  });
  afterEach(() => raw.closeAll());
  after(() => server.stop());

  it('relays exactly 10 of 11 events sent at once, answers one pusher:error 4301 and never closes', async () => {
    const sender = await raw.connect();
    const receiver = await raw.connect();
    await join(sender, 'private-rate');
    await join(receiver, 'private-rate');
    sender.skipAll();

    for (let i = 0; i < 11; i++) {
      sender.send({ event: 'client-burst', channel: 'private-rate', data: { i } });
    }
    const error = await sender.nextEvent('pusher:error');
    assert.equal((error.data as { code: unknown }).code, 4301);
    await sender.roundTrip();
    const errors = sender.frames.filter((f) => f.event === 'pusher:error');
    assert.equal(errors.length, 1, `exactly one rejection: ${sender.texts.join(' | ')}`);
    assert.equal(sender.closedWith, undefined);

    // A second later the window has room again; this event is the receiver's fence.
    clock.advance(1000);
    sender.send({ event: 'client-after', channel: 'private-rate', data: {} });
    await receiver.nextEvent('client-after', 'private-rate');
    const burst = receiver.frames.filter((f) => f.event === 'client-burst');
    assert.deepEqual(
      burst.map((f) => f.data),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `{"i":${i}}`),
      'the first ten were relayed, in order',
    );
    assert.equal(sender.closedWith, undefined);
  });
});
