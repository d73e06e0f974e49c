/**
 * Webhooks end to end (PROTOCOL.md §6): real pusher-js and raw WebSocket clients and the `pusher`
 * SDK against a started herald, and a local receiver that records every request byte for byte.
 * Delays are configured short (batch 10 ms, backoff 20 ms, timeout 200 ms) instead of waited out.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import PusherServer from 'pusher';
import type { ChannelAuthorizationHandler } from 'pusher-js';
import type { AppOptions, HeraldOptions } from '../../src/config/schema.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import type { DeliveryStats } from '../../src/webhooks/index.js';
import { killAll, spawnHerald } from '../helpers/cli.js';
import { PusherJsClients, nextEvent, subscribe, waitForState } from '../helpers/pusher-js.js';
import { RecordingLog } from '../helpers/recording-log.js';
import { connectSubscriber } from '../helpers/subscriber.js';
import {
  WebhookReceiver,
  rawHeaderNames,
  type ReceivedEvent,
  type ReceivedWebhook,
} from '../helpers/webhook-receiver.js';
import { RawClients, WAIT_MS, type RawClient } from '../helpers/ws-client.js';

type WebhookTarget = NonNullable<AppOptions['webhooks']>[number];

const APP = { id: '1', key: 'hook-key', secret: 'hook-secret' };

interface Setup {
  readonly herald: TestHerald;
  readonly receiver: WebhookReceiver;
  readonly sdk: PusherServer;
  readonly log: RecordingLog;
  readonly pusherJs: PusherJsClients;
  readonly raw: RawClients;
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  // Clients first, then the server (its stop flushes webhooks), then the receivers.
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  killAll();
});

async function receiver(label?: string): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(label);
  cleanups.push(() => started.close());
  return started;
}

/**
 * A herald whose one app sends webhooks to `webhooks` (default: one new receiver, all events),
 * with no vacate delay and a 10 ms batch window unless `options` say otherwise.
 */
async function setup(
  options: HeraldOptions & {
    webhooks?: (receiver: WebhookReceiver) => WebhookTarget[];
    subscriptionCount?: boolean;
  } = {},
): Promise<Setup> {
  const { webhooks, subscriptionCount, ...heraldOptions } = options;
  const hooks = await receiver();
  const log = new RecordingLog();
  const herald = await startHerald(
    {
      apps: [
        {
          ...APP,
          subscriptionCount: subscriptionCount ?? false,
          webhooks: webhooks?.(hooks) ?? [{ url: hooks.url }],
        },
      ],
      vacateDelayMs: 0,
      webhookBatchMs: 10,
      webhookRetryDelayMs: 20,
      webhookTimeoutMs: 1000,
      shutdownTimeout: 1000,
      ...heraldOptions,
    },
    { log },
  );
  cleanups.push(() => herald.stop());
  const sdk = new PusherServer(herald.pusherOptions);
  const pusherJs = new PusherJsClients(herald, { authorizer: memberAuthorizer(sdk, 'ann') });
  const raw = new RawClients(herald);
  cleanups.push(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  return { herald, receiver: hooks, sdk, log, pusherJs, raw };
}

/** Signs private channels plainly and presence channels as member `userId`. */
function memberAuthorizer(sdk: PusherServer, userId: string): ChannelAuthorizationHandler {
  return ({ socketId, channelName }, callback) =>
    callback(
      null,
      channelName.startsWith('presence-')
        ? sdk.authorizeChannel(socketId, channelName, { user_id: userId, user_info: {} })
        : sdk.authorizeChannel(socketId, channelName),
    );
}

/** Subscribes a raw client to a public channel, or a private one with a token signed here. */
async function join(client: RawClient, channel: string): Promise<void> {
  const auth = channel.startsWith('private-')
    ? `${APP.key}:${createHmac('sha256', APP.secret).update(`${client.socketId}:${channel}`).digest('hex')}`
    : undefined;
  await client.subscribe(channel, auth);
}

/**
 * The server's webhook counters once `done` holds for them. The receiver records a request
 * before herald has read the answer, so counters are awaited rather than read at once.
 */
async function statsWhen(
  herald: TestHerald,
  done: (stats: DeliveryStats) => boolean,
  what: string,
): Promise<DeliveryStats> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const stats = herald.server.webhooks.stats();
    if (done(stats)) return stats;
    if (Date.now() > deadline)
      throw new Error(`webhook stats never showed ${what}: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const line = (event: ReceivedEvent) => `${event.name} ${event.channel}`;

/** The pusher SDK's own validator (pusher-http-node `WebHook.isValid`). */
function isValid(sdk: PusherServer, request: ReceivedWebhook, rawBody = request.rawBody): boolean {
  return sdk.webhook({ headers: request.headers, rawBody }).isValid();
}

describe('webhooks: the request (§6.1)', () => {
  it('channel_occupied and channel_vacated arrive signed, verified by pusher.webhook(), with exact headers', async () => {
    const { receiver: hooks, sdk, pusherJs } = await setup();
    const client = await pusherJs.connect();
    const before = Date.now();
    await subscribe(client, 'my-channel');
    const request = await hooks.nextRequest();

    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/webhooks');
    assert.equal(isValid(sdk, request), true, 'the SDK validator accepts it');
    assert.equal(isValid(sdk, request, request.rawBody.replace('my-channel', 'my-chann3l')), false);
    assert.deepEqual(
      sdk.webhook({ headers: request.headers, rawBody: request.rawBody }).getEvents(),
      [{ name: 'channel_occupied', channel: 'my-channel' }],
    );
    const expected = createHmac('sha256', APP.secret).update(request.rawBody).digest('hex');
    assert.equal(request.headers['x-pusher-signature'], expected, 'HMAC over the bytes received');
    assert.equal(request.headers['x-pusher-key'], APP.key);
    assert.equal(request.headers['content-type'], 'application/json');
    // PHP's SDK looks the names up case-sensitively: check them as they came over the wire.
    assert.deepEqual(rawHeaderNames(request, 'content-type'), ['Content-Type']);
    assert.deepEqual(rawHeaderNames(request, 'x-pusher-key'), ['X-Pusher-Key']);
    assert.deepEqual(rawHeaderNames(request, 'x-pusher-signature'), ['X-Pusher-Signature']);
    assert.ok(
      request.body.time_ms >= before && request.body.time_ms <= request.receivedAt,
      `time_ms ${request.body.time_ms} is Unix milliseconds of the batch`,
    );

    client.unsubscribe('my-channel');
    const vacated = await hooks.nextRequest();
    assert.deepEqual(vacated.body.events, [{ name: 'channel_vacated', channel: 'my-channel' }]);
    assert.equal(isValid(sdk, vacated), true);
  });

  it('sends the configured extra headers with their capitalisation', async () => {
    const { receiver: hooks, raw } = await setup({
      webhooks: (r) => [{ url: r.url, headers: { 'X-Tenant': 'blue', authorization: 'Bearer t' } }],
    });
    await join(await raw.connect({ key: APP.key }), 'with-headers');
    const request = await hooks.nextRequest();
    assert.deepEqual(rawHeaderNames(request, 'x-tenant'), ['X-Tenant']);
    assert.deepEqual(rawHeaderNames(request, 'authorization'), ['authorization']);
    assert.equal(request.headers['x-tenant'], 'blue');
    assert.equal(request.headers['authorization'], 'Bearer t');
    assert.deepEqual(rawHeaderNames(request, 'x-pusher-signature'), ['X-Pusher-Signature']);
  });
});

describe('webhooks: every event type (§6.3)', () => {
  it('member_added and member_removed with user_id a string', async () => {
    const { receiver: hooks, sdk, pusherJs } = await setup();
    const ann = await pusherJs.connect();
    await subscribe(ann, 'presence-room');
    const bob = await pusherJs.connect({ authorizer: memberAuthorizer(sdk, '42') });
    await subscribe(bob, 'presence-room');
    assert.deepEqual(await hooks.nextEvent('member_added'), {
      name: 'member_added',
      channel: 'presence-room',
      user_id: 'ann',
    });
    assert.deepEqual(await hooks.nextEvent('member_added'), {
      name: 'member_added',
      channel: 'presence-room',
      user_id: '42',
    });
    bob.disconnect();
    assert.deepEqual(await hooks.nextEvent('member_removed'), {
      name: 'member_removed',
      channel: 'presence-room',
      user_id: '42',
    });
    const occupied = hooks.events.items.filter((e) => e.name === 'channel_occupied');
    assert.deepEqual(occupied.map(line), ['channel_occupied presence-room'], 'once per channel');
    ann.disconnect();
    await hooks.nextEvent('member_removed');
    await hooks.nextEvent('channel_vacated', 'presence-room');
  });

  it('client_event: channel, event, data string, socket_id, and user_id on presence only', async () => {
    const { receiver: hooks, pusherJs } = await setup();
    const [sender, other] = await Promise.all([pusherJs.connect(), pusherJs.connect()]);
    const room = await subscribe(sender, 'presence-room');
    const chat = await subscribe(sender, 'private-chat');
    const seenRoom = await subscribe(other, 'presence-room');
    const seenChat = await subscribe(other, 'private-chat');
    const relayedRoom = nextEvent(seenRoom, 'client-typing');
    room.trigger('client-typing', { typing: true });
    await relayedRoom;
    const relayedChat = nextEvent(seenChat, 'client-note');
    chat.trigger('client-note', 'plain text');
    await relayedChat;

    const socketId = sender.connection.socket_id;
    assert.deepEqual(await hooks.nextEvent('client_event', 'presence-room'), {
      name: 'client_event',
      channel: 'presence-room',
      event: 'client-typing',
      data: '{"typing":true}',
      socket_id: socketId,
      user_id: 'ann',
    });
    const onPrivate = await hooks.nextEvent('client_event', 'private-chat');
    assert.deepEqual(onPrivate, {
      name: 'client_event',
      channel: 'private-chat',
      event: 'client-note',
      data: 'plain text',
      socket_id: socketId,
    });
    assert.equal(Object.hasOwn(onPrivate, 'user_id'), false);
  });

  it('cache_miss: once while the cache stays empty, however many subscribers miss', async () => {
    const { receiver: hooks, raw, sdk } = await setup();
    const [first, second, fence] = await Promise.all([
      raw.connect({ key: APP.key }),
      raw.connect({ key: APP.key }),
      raw.connect({ key: APP.key }),
    ]);
    await join(first, 'cache-prices');
    await first.nextEvent('pusher:cache_miss', 'cache-prices');
    await join(second, 'cache-prices');
    await second.nextEvent('pusher:cache_miss', 'cache-prices');
    // The core reports a miss as it sends pusher:cache_miss, so a second webhook would come
    // before this later event.
    await join(fence, 'fence');
    await hooks.nextEvent('channel_occupied', 'fence');
    const misses = hooks.events.items.filter((e) => e.name === 'cache_miss');
    assert.deepEqual(misses, [{ name: 'cache_miss', channel: 'cache-prices' }]);

    await sdk.trigger('cache-prices', 'price', { eur: 1 });
    const third = await raw.connect({ key: APP.key });
    await join(third, 'cache-prices');
    await third.nextEvent('price', 'cache-prices');
    await join(fence, 'fence-2');
    await hooks.nextEvent('channel_occupied', 'fence-2');
    assert.equal(hooks.events.items.filter((e) => e.name === 'cache_miss').length, 1);
  });

  it('subscription_count when the app enables subscriptionCount', async () => {
    const { receiver: hooks, raw } = await setup({ subscriptionCount: true });
    const [a, b] = await Promise.all([
      raw.connect({ key: APP.key }),
      raw.connect({ key: APP.key }),
    ]);
    await join(a, 'counted');
    assert.deepEqual(await hooks.nextEvent('subscription_count'), {
      name: 'subscription_count',
      channel: 'counted',
      subscription_count: 1,
    });
    await join(b, 'counted');
    assert.equal((await hooks.nextEvent('subscription_count')).subscription_count, 2);
    b.terminate();
    assert.equal((await hooks.nextEvent('subscription_count')).subscription_count, 1);
  });

  it('no subscription_count when the app leaves it off', async () => {
    const { receiver: hooks, raw } = await setup();
    const [a, b] = await Promise.all([
      raw.connect({ key: APP.key }),
      raw.connect({ key: APP.key }),
    ]);
    await join(a, 'uncounted');
    await join(b, 'uncounted');
    await join(a, 'fence');
    await hooks.nextEvent('channel_occupied', 'fence');
    assert.equal(hooks.events.items.filter((e) => e.name === 'subscription_count').length, 0);
  });

  it('nothing for #server-to-user- channels', async () => {
    const { receiver: hooks, raw, sdk } = await setup();
    const client = await raw.connect({ key: APP.key });
    const { auth, user_data } = sdk.authenticateUser(client.socketId, { id: 'u1' });
    client.send({ event: 'pusher:signin', data: { auth, user_data } });
    await client.nextEvent('pusher:signin_success');
    await client.subscribe('#server-to-user-u1');
    await join(client, 'fence');
    await hooks.nextEvent('channel_occupied', 'fence');
    assert.deepEqual(hooks.events.items.map(line), ['channel_occupied fence']);
  });
});

describe('webhooks: batching and filters (§6.2)', () => {
  it('events within the window go in one request, in order; later ones in the next', async () => {
    const { receiver: hooks, raw } = await setup({ webhookBatchMs: 300 });
    const client = await raw.connect({ key: APP.key });
    for (const channel of ['a', 'b', 'c']) {
      client.send({ event: 'pusher:subscribe', data: { channel } });
    }
    const first = await hooks.nextRequest();
    assert.deepEqual(first.body.events.map(line), [
      'channel_occupied a',
      'channel_occupied b',
      'channel_occupied c',
    ]);
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'b' } });
    const second = await hooks.nextRequest();
    assert.deepEqual(second.body.events.map(line), ['channel_vacated b']);
    assert.ok(second.body.time_ms >= first.body.time_ms);
  });

  it('a URL with events: [channel_occupied] gets only those; another URL gets everything', async () => {
    const everything = await receiver('everything');
    const { receiver: occupiedOnly, raw } = await setup({
      webhooks: (r) => [{ url: r.url, events: ['channel_occupied'] }, { url: everything.url }],
    });
    const client = await raw.connect({ key: APP.key });
    await join(client, 'filtered');
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'filtered' } });
    await everything.nextEvent('channel_vacated', 'filtered');
    await join(client, 'fence');
    await occupiedOnly.nextEvent('channel_occupied', 'fence');
    await everything.nextEvent('channel_occupied', 'fence');
    assert.deepEqual(occupiedOnly.events.items.map(line), [
      'channel_occupied filtered',
      'channel_occupied fence',
    ]);
    assert.deepEqual(everything.events.items.map(line), [
      'channel_occupied filtered',
      'channel_vacated filtered',
      'channel_occupied fence',
    ]);
  });
});

describe('webhooks: the vacate delay (§6.2)', () => {
  // Long enough for a loopback unsubscribe+resubscribe or reconnect to fit inside it.
  const vacateDelayMs = 1000;

  it('unsubscribe and resubscribe within the delay sends neither vacated nor a new occupied', async () => {
    const { receiver: hooks, raw } = await setup({ vacateDelayMs });
    const client = await raw.connect({ key: APP.key });
    await join(client, 'blink');
    await hooks.nextEvent('channel_occupied', 'blink');
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'blink' } });
    await join(client, 'blink');
    client.send({ event: 'pusher:unsubscribe', data: { channel: 'blink' } });
    await hooks.nextEvent('channel_vacated', 'blink');
    assert.deepEqual(hooks.events.items.map(line), [
      'channel_occupied blink',
      'channel_vacated blink',
    ]);
  });

  it('a pusher-js reconnect within the delay sends nothing for channel or member', async () => {
    const { receiver: hooks, pusherJs } = await setup({ vacateDelayMs });
    const first = await pusherJs.connect();
    await subscribe(first, 'presence-reload');
    await hooks.nextEvent('channel_occupied', 'presence-reload');
    first.disconnect();
    await waitForState(first, 'disconnected');
    // The same user comes back on a new connection, as after a page reload.
    const second = await pusherJs.connect();
    await subscribe(second, 'presence-reload');
    second.disconnect();
    await hooks.nextEvent('channel_vacated', 'presence-reload');
    const names = hooks.events.items.map((e) => e.name).sort();
    assert.deepEqual(names, [
      'channel_occupied',
      'channel_vacated',
      'member_added',
      'member_removed',
    ]);
  });

  it('a member who leaves and rejoins within the delay is neither removed nor re-added', async () => {
    const { receiver: hooks, pusherJs, sdk } = await setup({ vacateDelayMs });
    const stays = await pusherJs.connect({ authorizer: memberAuthorizer(sdk, 'stays') });
    await subscribe(stays, 'presence-blip');
    const leaves = await pusherJs.connect();
    await subscribe(leaves, 'presence-blip');
    await hooks.nextEvent('member_added', 'presence-blip');
    await hooks.nextEvent('member_added', 'presence-blip');
    leaves.unsubscribe('presence-blip');
    await subscribe(leaves, 'presence-blip');
    leaves.disconnect();
    const removed = await hooks.nextEvent('member_removed', 'presence-blip');
    assert.equal(removed['user_id'], 'ann');
    assert.deepEqual(
      hooks.events.items.map((e) => `${e.name} ${String(e['user_id'])}`),
      [
        'member_added stays',
        'channel_occupied undefined',
        'member_added ann',
        'member_removed ann',
      ],
    );
  });
});

describe('webhooks: delivery (§6.2)', () => {
  it('retries after 500s until a 2xx, every attempt the same signed bytes', async () => {
    const { receiver: hooks, raw, herald, sdk } = await setup();
    hooks.plan(500, 500);
    await join(await raw.connect({ key: APP.key }), 'flaky');
    const attempts = [
      await hooks.nextRequest(),
      await hooks.nextRequest(),
      await hooks.nextRequest(),
    ];
    assert.deepEqual(
      attempts.map((a) => a.answer),
      [500, 500, 200],
    );
    for (const attempt of attempts) {
      assert.equal(attempt.rawBody, attempts[0]!.rawBody);
      assert.equal(
        attempt.headers['x-pusher-signature'],
        attempts[0]!.headers['x-pusher-signature'],
      );
      assert.equal(isValid(sdk, attempt), true);
    }
    const stats = await statsWhen(herald, (st) => st.pending === 0, 'the batch delivered');
    assert.equal(stats.delivered, 1);
    assert.equal(stats.failedAttempts, 2);
  });

  it('retries an attempt the receiver does not answer within the timeout', async () => {
    const { receiver: hooks, raw, herald } = await setup({ webhookTimeoutMs: 200 });
    hooks.plan('hang');
    await join(await raw.connect({ key: APP.key }), 'slow');
    const hung = await hooks.nextRequest();
    const retried = await hooks.nextRequest();
    assert.equal(hung.answer, 'hang');
    assert.equal(retried.answer, 200);
    assert.equal(retried.rawBody, hung.rawBody);
    assert.equal(retried.headers['x-pusher-signature'], hung.headers['x-pusher-signature']);
    const stats = await statsWhen(herald, (st) => st.pending === 0, 'the batch delivered');
    assert.equal(stats.failedAttempts, 1);
    assert.equal(stats.delivered, 1);
  });

  it('gives up after the retry window: counted, and one warning logged', async () => {
    const { receiver: hooks, raw, herald, log } = await setup({ webhookRetryWindowMs: 200 });
    hooks.answerWith(500);
    await join(await raw.connect({ key: APP.key }), 'doomed');
    const warning = await log.waitFor('warn', /given up/);
    assert.match(warning.message, /HTTP 500.*1 event\(s\) lost/);
    assert.equal(warning.fields['url'], hooks.url);
    const stats = herald.server.webhooks.stats();
    assert.equal(stats.gaveUp, 1);
    assert.equal(stats.lostEvents, 1);
    assert.ok(stats.failedAttempts >= 2, `retried before giving up (${stats.failedAttempts})`);
    assert.equal(hooks.requests.items.length, stats.failedAttempts);
  });

  it('drops batches beyond the queue bound: counted, and a warning logged', async () => {
    const {
      receiver: hooks,
      raw,
      herald,
      log,
    } = await setup({
      webhookQueueSize: 1,
      webhookConcurrency: 1,
      webhookBatchMs: 0,
      webhookTimeoutMs: 10_000,
      shutdownTimeout: 200,
    });
    hooks.answerWith('hang');
    const client = await raw.connect({ key: APP.key });
    await join(client, 'held');
    await hooks.nextRequest();
    await join(client, 'dropped');
    const warning = await log.waitFor('warn', /is full/);
    assert.match(warning.message, /\(1 batches\): dropped a batch of 1 event/);
    const stats = herald.server.webhooks.stats();
    assert.equal(stats.dropped, 1);
    assert.equal(stats.pending, 1);
  });

  it('a graceful stop sends the pending batch, held vacates included, before it resolves', async () => {
    const {
      receiver: hooks,
      raw,
      herald,
    } = await setup({
      webhookBatchMs: 60_000,
      vacateDelayMs: 60_000,
    });
    const client = await raw.connect({ key: APP.key });
    await join(client, 'pending');
    await client.roundTrip();
    assert.equal(hooks.requests.items.length, 0, 'still in its 60 s window');
    await herald.stop();
    assert.equal(hooks.requests.items.length, 1);
    assert.deepEqual(hooks.requests.items[0]!.body.events.map(line), [
      'channel_occupied pending',
      'channel_vacated pending',
    ]);
    assert.equal(herald.server.webhooks.stats().delivered, 1);
  });

  it('a hanging and a dead receiver do not hold up WebSocket or HTTP API delivery', async () => {
    const dead = await receiver('dead');
    await dead.close();
    const {
      receiver: hanging,
      herald,
      sdk,
      raw,
    } = await setup({
      webhooks: (r) => [{ url: r.url }, { url: dead.url }],
      webhookBatchMs: 0,
      webhookTimeoutMs: 30_000,
      shutdownTimeout: 300,
    });
    hanging.answerWith('hang');
    const subscriber = await connectSubscriber(herald);
    await subscriber.subscribe('news');
    await hanging.nextRequest();
    await statsWhen(
      herald,
      (st) => st.failedAttempts >= 1,
      'a refused connection to the dead receiver',
    );
    // Plenty more webhooks while messages flow: occupancy churn on other channels.
    const churn = await raw.connect({ key: APP.key });
    for (let i = 0; i < 20; i++)
      churn.send({ event: 'pusher:subscribe', data: { channel: `c${i}` } });

    const count = 30;
    for (let i = 0; i < count; i++) await sdk.trigger('news', 'item', { i });
    const received = [];
    for (let i = 0; i < count; i++) received.push(await subscriber.next());
    assert.deepEqual(
      received.map((event) => JSON.parse(String(event.data)) as { i: number }),
      Array.from({ length: count }, (_, i) => ({ i })),
    );
    const stats = herald.server.webhooks.stats();
    const [toHanging, toDead] = stats.targets;
    assert.equal(toHanging!.delivered, 0, 'the hanging receiver has answered nothing yet');
    assert.ok(toHanging!.pending > 0);
    assert.equal(toDead!.delivered, 0);
    assert.ok(toDead!.failedAttempts >= 1);
    await subscriber.close();
  });
});

describe('webhooks: from the command line', () => {
  it('--webhook-url, repeated, sends the default app’s webhooks; SIGTERM sends the held vacate first', async () => {
    const [one, two] = [await receiver('one'), await receiver('two')];
    const herald = spawnHerald([
      'start',
      '--port',
      '0',
      '--webhook-url',
      one.url,
      '--webhook-url',
      two.url,
    ]);
    const { websocket } = await herald.started();
    const raw = new RawClients(websocket);
    cleanups.push(() => raw.closeAll());
    const client = await raw.connect();
    await client.subscribe('from-cli');
    const [got] = await Promise.all([one.nextRequest(), two.nextEvent('channel_occupied')]);
    const sdk = new PusherServer({
      appId: 'app-id',
      key: 'app-key',
      secret: 'app-secret',
      host: websocket.host,
    });
    assert.equal(isValid(sdk, got), true);
    assert.deepEqual(got.body.events, [{ name: 'channel_occupied', channel: 'from-cli' }]);

    // The default vacate delay (3 s) holds channel_vacated; a graceful stop must not lose it.
    herald.signal('SIGTERM');
    assert.deepEqual(await herald.exit(), { code: 0, signal: null });
    for (const hooks of [one, two]) {
      assert.deepEqual(hooks.events.items.map(line), [
        'channel_occupied from-cli',
        'channel_vacated from-cli',
      ]);
    }
  });
});
