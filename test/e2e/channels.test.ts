/**
 * Subscriptions and delivery end to end (PROTOCOL.md §2.2–§2.7, §3, §4, §7): pusher-js and raw
 * clients subscribe, the `pusher` SDK (or a hand-signed raw body, as other SDKs send it) triggers.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import PusherServer from 'pusher';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import type { LifecycleEvents } from '../../src/core/lifecycle.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import {
  PusherJsClients,
  errorsOf,
  eventsOf,
  messagesOf,
  nextEvent,
  subscribe,
} from '../helpers/pusher-js.js';

interface SubscriptionErrorData {
  type: string;
  status: number;
  error: string;
}

/** Asserts `frame` is the channel-scoped refusal of §2.4 and returns its decoded data. */
function subscriptionError(frame: ServerFrame, channel: string): SubscriptionErrorData {
  assert.equal(frame.event, 'pusher:subscription_error');
  assert.equal(frame.channel, channel);
  assert.equal(typeof frame.data, 'string', 'data is a JSON string (§1.3)');
  const data = JSON.parse(frame.data as string) as SubscriptionErrorData;
  assert.deepEqual(Object.keys(data).sort(), ['error', 'status', 'type']);
  assert.equal(typeof data.error, 'string');
  assert.ok(data.error.length > 0);
  return data;
}

/** Sends a subscribe and returns the answer for that channel (success or refusal). */
async function subscribeAnswer(
  client: RawClient,
  data: Record<string, unknown>,
  channel: string,
): Promise<ServerFrame> {
  client.send({ event: 'pusher:subscribe', data });
  return client.next(
    (f) =>
      f.channel === channel &&
      (f.event === 'pusher:subscription_error' ||
        f.event === 'pusher_internal:subscription_succeeded'),
    `the answer to subscribing ${JSON.stringify(channel)}`,
  );
}

describe('channels', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let pusherJs: PusherJsClients;

  /**
   * POSTs `body` to /events exactly as given, signed the way the SDKs sign (via the Node SDK's
   * own signer), so the body can carry what Python, PHP or Ruby put on the wire.
   */
  async function postRawEvent(body: string): Promise<void> {
    const path = `/apps/${herald.app.id}/events`;
    const query = sdk.createSignedQueryString({ method: 'POST', path, body });
    const response = await fetch(`${herald.url}${path}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(response.status, 200, `POST /events answered: ${await response.text()}`);
  }

  before(async () => {
    herald = await startHerald();
    sdk = new PusherServer(herald.pusherOptions);
    raw = new RawClients(herald);
    pusherJs = new PusherJsClients(herald, { authorizer: sdk });
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  describe('public channels (§2.2, §2.3, §2.7)', () => {
    it('pusher-js subscribes and receives a REST trigger with its data intact', async () => {
      const client = await pusherJs.connect();
      const channel = await subscribe(client, 'news');
      const got = nextEvent(channel, 'headline');
      await sdk.trigger('news', 'headline', { title: 'Hello', count: 3, tags: ['a', 'b'] });
      assert.deepEqual(await got, { title: 'Hello', count: 3, tags: ['a', 'b'] });
    });

    it('answers with pusher_internal:subscription_succeeded and data "{}"', async () => {
      const client = await raw.connect();
      const answer = await subscribeAnswer(client, { auth: '', channel: 'plain' }, 'plain');
      assert.deepEqual(answer, {
        event: 'pusher_internal:subscription_succeeded',
        channel: 'plain',
        data: '{}',
      });
    });

    it('accepts subscribe data sent as a JSON string', async () => {
      const client = await raw.connect();
      client.send('{"event":"pusher:subscribe","data":"{\\"channel\\":\\"stringly\\"}"}');
      await client.nextEvent('pusher_internal:subscription_succeeded', 'stringly');
    });
  });

  describe('REST data is relayed byte-for-byte (§2.7)', () => {
    // [what, raw request body, the data string subscribers must get]
    const cases: ReadonlyArray<readonly [string, (channel: string) => string, string]> = [
      [
        'Python json.dumps with spaces',
        (ch) => String.raw`{"name": "e", "channels": ["${ch}"], "data": "{\"a\": 1}"}`,
        '{"a": 1}',
      ],
      [
        'PHP escaped slashes',
        (ch) => String.raw`{"name":"e","data":"{\"url\":\"http:\\\/\\\/x\"}","channels":["${ch}"]}`,
        String.raw`{"url":"http:\/\/x"}`,
      ],
      [
        'PHP \\u-escaped non-ASCII',
        (ch) => String.raw`{"name":"e","data":"{\"name\":\"Ren\\u00e9\"}","channel":"${ch}"}`,
        String.raw`{"name":"Ren\u00e9"}`,
      ],
      [
        'raw UTF-8 non-ASCII (Node, Ruby)',
        (ch) => `{"name":"e","channels":["${ch}"],"data":"{\\"name\\":\\"René 🎉\\"}"}`,
        '{"name":"René 🎉"}',
      ],
      [
        'a plain string (Python)',
        (ch) => `{"name":"e","channels":["${ch}"],"data":"hello"}`,
        'hello',
      ],
      [
        'a JSON-encoded string (PHP)',
        (ch) => String.raw`{"name":"e","channels":["${ch}"],"data":"\"hello\""}`,
        '"hello"',
      ],
      [
        'indented JSON with newlines',
        (ch) => String.raw`{"name":"e","channels":["${ch}"],"data":"{\n  \"a\": 1\n}"}`,
        '{\n  "a": 1\n}',
      ],
      ['a number-like string', (ch) => `{"name":"e","channels":["${ch}"],"data":"0123"}`, '0123'],
    ];

    for (const [index, [what, body, expected]] of cases.entries()) {
      it(`relays ${what} unchanged`, async () => {
        const channel = `relay-${index}`;
        const client = await raw.connect();
        await client.subscribe(channel);
        await postRawEvent(body(channel));
        const frame = await client.nextEvent('e', channel);
        assert.deepEqual(frame, { event: 'e', channel, data: expected });
      });
    }
  });

  describe('private channels (§4)', () => {
    it('pusher-js subscribes with a valid signature and receives triggers', async () => {
      const client = await pusherJs.connect();
      const channel = await subscribe(client, 'private-orders');
      const got = nextEvent(channel, 'order-shipped');
      await sdk.trigger('private-orders', 'order-shipped', { id: 7 });
      assert.deepEqual(await got, { id: 7 });
    });

    it('pusher-js sees a bad signature as pusher:subscription_error and stays connected', async () => {
      const client = await pusherJs.connect({
        authorizer: (_params, callback) =>
          callback(null, { auth: `${herald.app.key}:${'0'.repeat(64)}` }),
      });
      const channel = client.subscribe('private-denied');
      const refusal = await eventsOf(channel).next(
        (e) => e.event === 'pusher:subscription_error',
        'pusher:subscription_error',
      );
      const data = refusal.data as SubscriptionErrorData;
      assert.equal(data.type, 'AuthError');
      assert.equal(data.status, 401);
      assert.match(data.error, /^Invalid signature/);
      assert.equal(client.connection.state, 'connected');
      assert.deepEqual(errorsOf(client).items, [], 'no connection-level error');
    });

    // What a bad or forged auth looks like; each must be refused with AuthError 401.
    const refusals: ReadonlyArray<
      readonly [string, (socketId: string, key: string) => Record<string, unknown>, RegExp]
    > = [
      [
        'an invalid signature',
        (_s, key) => ({ auth: `${key}:${'ab'.repeat(32)}` }),
        /^Invalid signature/,
      ],
      [
        'a signature for another socket id',
        () => ({ auth: sdk.authorizeChannel('1234.5678', 'private-vault').auth }),
        /^Invalid signature/,
      ],
      [
        'a signature for another channel',
        (socketId) => ({ auth: sdk.authorizeChannel(socketId, 'private-other').auth }),
        /^Invalid signature/,
      ],
      [
        'the wrong key',
        (socketId) => {
          const signature = sdk.authorizeChannel(socketId, 'private-vault').auth.split(':')[1];
          return { auth: `wrong-key:${signature}` };
        },
        /^Invalid key/,
      ],
      ['no auth', () => ({}), /^Auth info required/],
      ['an empty auth', () => ({ auth: '' }), /^Auth info required/],
      ['auth without a colon', () => ({ auth: 'no-colon-here' }), /^Invalid format/],
      [
        'auth with an empty key',
        (_s, key) => ({ auth: `:${key}` }),
        /^Invalid format|^Invalid key/,
      ],
    ];

    for (const [what, auth, message] of refusals) {
      it(`refuses ${what} with a channel-scoped AuthError 401 and stays open`, async () => {
        const client = await raw.connect();
        await client.subscribe('public-fence');
        const answer = await subscribeAnswer(
          client,
          { ...auth(client.socketId, herald.app.key), channel: 'private-vault' },
          'private-vault',
        );
        const data = subscriptionError(answer, 'private-vault');
        assert.equal(data.type, 'AuthError');
        assert.equal(data.status, 401);
        assert.match(data.error, message);

        // Refused means not subscribed: a trigger to the channel does not arrive before a later one.
        await sdk.trigger('private-vault', 'leak', {});
        await sdk.trigger('public-fence', 'fence', {});
        await client.nextEvent('fence', 'public-fence');
        assert.equal(client.frames.filter((f) => f.event === 'leak').length, 0);

        await client.roundTrip();
        assert.equal(client.closedWith, undefined);
        // The same connection can still subscribe properly.
        await client.subscribe(
          'private-vault',
          sdk.authorizeChannel(client.socketId, 'private-vault').auth,
        );
      });
    }

    it('names the string to sign in an invalid-signature error', async () => {
      const client = await raw.connect();
      const answer = await subscribeAnswer(
        client,
        { auth: `${herald.app.key}:${'0'.repeat(64)}`, channel: 'private-hint' },
        'private-hint',
      );
      const data = subscriptionError(answer, 'private-hint');
      assert.ok(
        data.error.includes(`${client.socketId}:private-hint`),
        `the error shows the string to sign: ${data.error}`,
      );
    });
  });

  describe('channel names (§3.1) and user channels (§2.2 step 2)', () => {
    const longest = 'a'.repeat(164);

    for (const [what, name] of [
      ['a space', 'bad channel'],
      ['a "!"', 'bad!'],
      ['a "#" outside #server-to-user-', '#general'],
      ['an empty name', ''],
      ['165 characters', 'a'.repeat(165)],
      ['165 characters on an authorized prefix', `private-${'x'.repeat(157)}`],
    ] as const) {
      it(`refuses a name with ${what} as InvalidChannel 400`, async () => {
        const client = await raw.connect();
        const answer = await subscribeAnswer(client, { auth: '', channel: name }, name);
        const data = subscriptionError(answer, name);
        assert.equal(data.type, 'InvalidChannel');
        assert.equal(data.status, 400);
        await client.roundTrip();
      });
    }

    it('accepts a name of exactly 164 characters', async () => {
      const client = await raw.connect();
      await client.subscribe(longest);
    });

    it('refuses #server-to-user-1 without signin as AuthError 403', async () => {
      const client = await raw.connect();
      const answer = await subscribeAnswer(
        client,
        { auth: '', channel: '#server-to-user-1' },
        '#server-to-user-1',
      );
      const data = subscriptionError(answer, '#server-to-user-1');
      assert.equal(data.type, 'AuthError');
      assert.equal(data.status, 403);
      await client.roundTrip();
    });
  });

  describe('duplicate subscribe and unsubscribe (§2.3, §2.5)', () => {
    it('answers a duplicate subscribe with a second subscription_succeeded, delivering once', async () => {
      const client = await raw.connect();
      const frame = { event: 'pusher:subscribe', data: { auth: '', channel: 'dup' } };
      client.send(frame);
      client.send(frame);
      await client.nextEvent('pusher_internal:subscription_succeeded', 'dup');
      await client.nextEvent('pusher_internal:subscription_succeeded', 'dup');

      await sdk.trigger('dup', 'once', { n: 1 });
      await sdk.trigger('dup', 'fence', {});
      await client.nextEvent('fence', 'dup');
      assert.equal(client.frames.filter((f) => f.event === 'once').length, 1);
      assert.equal(client.frames.filter((f) => f.event === 'pusher:error').length, 0);
    });

    it('a duplicate private subscribe is idempotent too', async () => {
      const client = await raw.connect();
      const auth = sdk.authorizeChannel(client.socketId, 'private-dup').auth;
      await client.subscribe('private-dup', auth);
      await client.subscribe('private-dup', auth);
      await sdk.trigger('private-dup', 'once', {});
      await sdk.trigger('private-dup', 'fence', {});
      await client.nextEvent('fence', 'private-dup');
      assert.equal(client.frames.filter((f) => f.event === 'once').length, 1);
    });

    it('stops delivering after pusher:unsubscribe', async () => {
      const client = await raw.connect();
      await client.subscribe('leaving');
      await client.subscribe('staying');
      await sdk.trigger('leaving', 'before', {});
      await client.nextEvent('before', 'leaving');

      client.send({ event: 'pusher:unsubscribe', data: { channel: 'leaving' } });
      assert.deepEqual(await client.roundTrip(), [], 'unsubscribe has no reply');
      await sdk.trigger('leaving', 'after', {});
      await sdk.trigger('staying', 'fence', {});
      await client.nextEvent('fence', 'staying');
      assert.equal(client.frames.filter((f) => f.event === 'after').length, 0);
    });

    it('pusher-js unsubscribe stops delivery', async () => {
      const client = await pusherJs.connect();
      await subscribe(client, 'js-leaving');
      const staying = await subscribe(client, 'js-staying');
      client.unsubscribe('js-leaving');
      // A ping after the unsubscribe: its pong proves the server handled the unsubscribe.
      const pong = new Promise<void>((resolve) => {
        const onMessage = (m: { event: string }) => {
          if (m.event !== 'pusher:pong') return;
          client.connection.unbind('message', onMessage);
          resolve();
        };
        client.connection.bind('message', onMessage);
      });
      client.send_event('pusher:ping', {});
      await pong;
      await sdk.trigger('js-leaving', 'after', {});
      await sdk.trigger('js-staying', 'fence', {});
      await nextEvent(staying, 'fence');
      // pusher-js drops frames for channels it left, so look at what came over the socket.
      assert.deepEqual(
        messagesOf(client).items.filter((m) => m.channel === 'js-leaving' && m.event === 'after'),
        [],
      );
    });

    it('ignores unsubscribing a channel it is not subscribed to (no error frame)', async () => {
      const client = await raw.connect();
      client.send({ event: 'pusher:unsubscribe', data: { channel: 'never-subscribed' } });
      assert.deepEqual(await client.roundTrip(), []);
      assert.equal(client.closedWith, undefined);
    });
  });

  describe('encrypted channels (§7)', () => {
    it('subscribes like private and relays SDK-encrypted data byte-for-byte', async () => {
      const encrypting = new PusherServer({
        ...herald.pusherOptions,
        encryptionMasterKeyBase64: randomBytes(32).toString('base64'),
      });
      const name = 'private-encrypted-vault';
      const browser = await pusherJs.connect({ authorizer: encrypting });
      const channel = await subscribe(browser, name);
      const client = await raw.connect();
      await client.subscribe(name, encrypting.authorizeChannel(client.socketId, name).auth);

      const accepted: Array<LifecycleEvents['api_message']> = [];
      const off = herald.server.lifecycle.on('api_message', (e) => accepted.push(e));
      try {
        const got = nextEvent(channel, 'secret');
        await encrypting.trigger(name, 'secret', { pin: 1234, note: 'é/"' });
        // pusher-js decrypts with NaCl secretbox: any changed byte would fail authentication
        // and pusher-js would drop the event.
        assert.deepEqual(await got, { pin: 1234, note: 'é/"' });
      } finally {
        off();
      }
      const frame = await client.nextEvent('secret', name);
      assert.equal(accepted.length, 1);
      assert.equal(frame.data, accepted[0]!.data, 'relayed exactly as the SDK sent it');
      const payload = JSON.parse(frame.data as string) as Record<string, string>;
      assert.deepEqual(Object.keys(payload).sort(), ['ciphertext', 'nonce']);
      assert.equal(Buffer.from(payload.nonce!, 'base64').length, 24);
    });

    it('refuses an encrypted subscription with a bad signature like a private one', async () => {
      const client = await raw.connect();
      const name = 'private-encrypted-denied';
      const answer = await subscribeAnswer(
        client,
        { auth: `${herald.app.key}:${'0'.repeat(64)}`, channel: name },
        name,
      );
      const data = subscriptionError(answer, name);
      assert.equal(data.type, 'AuthError');
      assert.equal(data.status, 401);
    });
  });

  describe('socket_id exclusion (§2.7)', () => {
    it('does not deliver a trigger to the excluded socket, only to the others', async () => {
      const [sender, other] = await Promise.all([pusherJs.connect(), pusherJs.connect()]);
      const senderChannel = await subscribe(sender, 'exclusion');
      const otherChannel = await subscribe(other, 'exclusion');

      await sdk.trigger(
        'exclusion',
        'skip-sender',
        { n: 1 },
        {
          socket_id: sender.connection.socket_id,
        },
      );
      await sdk.trigger('exclusion', 'fence', {});

      assert.deepEqual(await nextEvent(otherChannel, 'skip-sender'), { n: 1 });
      const first = await eventsOf(senderChannel).next(
        (e) => !e.event.startsWith('pusher:'),
        'the first event on the sender',
      );
      assert.equal(first.event, 'fence', 'the excluded event never reached the sender');
    });
  });
});
