// The HTTP API (PROTOCOL.md §5.3–§5.6, §5.9) end to end: the `pusher` SDK and raw signed requests
// against a real server, with raw WebSocket subscribers proving what was (and was not) delivered.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import PusherServer from 'pusher';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import type { HeraldOptions } from '../../src/config/schema.js';
import {
  get,
  post,
  renderQuery,
  send,
  signedPairs,
  signedRequest,
  type RestResponse,
} from '../helpers/rest.js';
import { connectSubscriber, type Subscriber } from '../helpers/subscriber.js';

let server: TestHerald;
let pusher: PusherServer;
const subscribers: Subscriber[] = [];

before(async () => {
  server = await startHerald();
  pusher = new PusherServer(server.pusherOptions);
});
after(() => server.stop());
afterEach(async () => {
  await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.close()));
});

/** A subscriber on `channels` of `on` (default: the shared server), closed after the test. */
async function subscribed(channels: string[], on: TestHerald = server): Promise<Subscriber> {
  const subscriber = await connectSubscriber(on);
  subscribers.push(subscriber);
  for (const channel of channels) await subscriber.subscribe(channel);
  return subscriber;
}

/** A server of its own, for tests that need an empty app or special options. */
async function withServer(
  options: HeraldOptions,
  fn: (own: TestHerald) => Promise<void>,
): Promise<void> {
  const own = await startHerald(options);
  try {
    await fn(own);
  } finally {
    await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.close()));
    await own.stop();
  }
}

function assertOk(response: RestResponse, body?: string): void {
  assert.equal(response.status, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  if (body !== undefined) assert.equal(response.body, body);
}

/** An error is its status with a readable text body: never a 200 the SDKs would take as success. */
function assertError(response: RestResponse, status: number, message?: RegExp): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${response.body}`,
  );
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  assert.ok(response.body.trim().length > 0, 'an error needs a message');
  if (message !== undefined) assert.match(response.body, message);
}

/**
 * Proves that nothing reached `subscriber` on `channel` before now: a sentinel triggered after
 * the fact must be the first and only event it sees (one socket's frames arrive in order).
 */
async function assertNothingBefore(subscriber: Subscriber, channel: string): Promise<void> {
  assertOk(await post(server, '/events', { name: 'sentinel', channels: [channel], data: '' }));
  const first = await subscriber.next();
  assert.equal(first.event, 'sentinel', `${first.event} arrived before the sentinel`);
  assert.equal(subscriber.events.length, 1, JSON.stringify(subscriber.events));
}

const event = (channels: string[], extra: Record<string, unknown> = {}) => ({
  name: 'e',
  data: '{}',
  channels,
  ...extra,
});

describe('POST /apps/{id}/events (§5.3)', () => {
  test('the SDK trigger answers 200 with exactly {}', async () => {
    const response = await pusher.trigger('ev-sdk', 'greet', { hello: 'world' });
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^application\/json/);
    assert.equal(await response.text(), '{}');
  });

  test('data reaches subscribers byte-for-byte, in order', async () => {
    const subscriber = await subscribed(['ev-bytes']);
    // What the SDKs send: Python's spaced JSON, PHP's escaped slashes and \u, plain strings,
    // digits (pusher-js would turn "123" into a number; the server must not), and raw UTF-8.
    const payloads = [
      '{"a": 1, "b": [1, 2]}',
      '{"url":"http:\\/\\/example.com","name":"\\u00e9"}',
      'hello',
      '123',
      '',
      '  padded\n\ttext  ',
      'héllo ✓ 😀',
      '{"nested":"{\\"deep\\":true}"}',
    ];
    for (const data of payloads) {
      assertOk(await post(server, '/events', event(['ev-bytes'], { name: 'raw', data })), '{}');
    }
    for (const data of payloads) {
      const received = await subscriber.next();
      assert.deepEqual(received, { event: 'raw', channel: 'ev-bytes', data });
    }

    await pusher.trigger('ev-bytes', 'sdk', { x: [1, 'two', null] });
    assert.deepEqual(await subscriber.next(), {
      event: 'sdk',
      channel: 'ev-bytes',
      data: '{"x":[1,"two",null]}',
    });
  });

  test('non-string data is tolerated and relayed as its JSON text', async () => {
    const subscriber = await subscribed(['ev-object']);
    assertOk(await post(server, '/events', event(['ev-object'], { data: { a: 1 } })));
    assert.equal((await subscriber.next()).data, '{"a":1}');
  });

  test('info=subscription_count counts the connected subscriber', async () => {
    await subscribed(['ev-info']);
    const response = await pusher.trigger('ev-info', 'e', 'x', { info: 'subscription_count' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{"channels":{"ev-info":{"subscription_count":1}}}');
  });

  test('info lists every channel triggered to, with only the attributes that apply', async () => {
    await subscribed(['ev-info-a']);
    const both = await post(
      server,
      '/events',
      event(['ev-info-a', 'ev-info-b'], { info: 'user_count,subscription_count' }),
    );
    // user_count applies to presence channels only: omitted, not 0.
    assertOk(
      both,
      '{"channels":{"ev-info-a":{"subscription_count":1},"ev-info-b":{"subscription_count":0}}}',
    );
    const userCountOnly = await post(
      server,
      '/events',
      event(['ev-info-a'], { info: 'user_count' }),
    );
    assertOk(userCountOnly, '{"channels":{"ev-info-a":{}}}');
  });

  test('accepts `channel` (PHP, one channel) as well as `channels`', async () => {
    const subscriber = await subscribed(['ev-single']);
    assertOk(await post(server, '/events', { name: 'one', channel: 'ev-single', data: '1' }), '{}');
    assertOk(await post(server, '/events', { name: 'many', channels: ['ev-single'], data: '2' }));
    assert.deepEqual(
      [await subscriber.next(), await subscriber.next()].map((received) => received.event),
      ['one', 'many'],
    );
  });

  test('takes 1 to 100 channels', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `ev-many-${i}`);
    const subscriber = await subscribed(['ev-many-99']);
    assertOk(await post(server, '/events', event(names(100))), '{}');
    assert.equal((await subscriber.next()).channel, 'ev-many-99');
    assertOk(await post(server, '/events', event(names(1))), '{}');

    assertError(await post(server, '/events', event(names(101))), 400, /100/);
    assertError(await post(server, '/events', event([])), 400);
    assertError(await post(server, '/events', { name: 'e', data: '{}' }), 400, /channel/);
    assertError(await post(server, '/events', { name: 'e', data: '', channels: 'ev-x' }), 400);
  });

  test('refuses each invalid channel name with 400', async () => {
    const invalid: unknown[] = [
      '',
      'has space',
      'slash/ed',
      'colon:ed',
      'star*',
      'hash#inside',
      '#not-a-user-channel',
      '#server-to-user-',
      'ünïcode',
      'x'.repeat(165),
      42,
      null,
    ];
    for (const name of invalid) {
      const response = await post(server, '/events', event(['ev-valid', name as string]));
      assertError(response, 400, /channel/i);
    }
    // The documented limit, 164, is still fine; so is every allowed punctuation mark.
    assertOk(await post(server, '/events', event(['x'.repeat(164), 'a_b-c=d@e,f.g;h'])));
  });

  test('refuses a missing name or data with 400', async () => {
    assertError(await post(server, '/events', { channels: ['ev-x'], data: '' }), 400, /name/);
    assertError(await post(server, '/events', { name: '', channels: ['ev-x'], data: '' }), 400);
    assertError(await post(server, '/events', { name: 'e', channels: ['ev-x'] }), 400, /data/);
    // A signed POST without a body needs no body_md5; it is a bad request, not a bad signature.
    assertError(await signedRequest(server, 'POST', `/apps/${server.app.id}/events`), 400);
  });

  test('event names: up to 200 characters, not in the pusher: namespaces', async () => {
    assertOk(await post(server, '/events', event(['ev-x'], { name: 'n'.repeat(200) })));
    assertError(await post(server, '/events', event(['ev-x'], { name: 'n'.repeat(201) })), 400);
    assertError(await post(server, '/events', event(['ev-x'], { name: 'pusher:fake' })), 400);
    assertError(
      await post(server, '/events', event(['ev-x'], { name: 'pusher_internal:fake' })),
      400,
    );
  });

  test('data: 10 240 bytes are accepted, one more is 413 (bytes, not characters)', async () => {
    assertOk(await post(server, '/events', event(['ev-x'], { data: 'd'.repeat(10_240) })));
    assertError(await post(server, '/events', event(['ev-x'], { data: 'd'.repeat(10_241) })), 413);
    // é is two bytes in UTF-8.
    assertOk(await post(server, '/events', event(['ev-x'], { data: 'é'.repeat(5_120) })));
    assertError(await post(server, '/events', event(['ev-x'], { data: 'é'.repeat(5_121) })), 413);
  });

  test('refuses a malformed socket_id with 400', async () => {
    for (const socketId of ['abc', '1.2.3', '1.', '.1', '1', '-1.2', ' 1.2', 12]) {
      const response = await post(server, '/events', event(['ev-x'], { socket_id: socketId }));
      assertError(response, 400, /socket_id/);
    }
  });

  test('socket_id excludes that connection only', async () => {
    const excluded = await subscribed(['ev-except']);
    const other = await subscribed(['ev-except']);
    const response = await pusher.trigger('ev-except', 'not-for-you', 'x', {
      socket_id: excluded.socketId,
    });
    assert.equal(response.status, 200);
    assert.equal((await other.next()).event, 'not-for-you');
    await assertNothingBefore(excluded, 'ev-except');
  });

  test('a channel named twice is triggered, and counted, once', async () => {
    const subscriber = await subscribed(['ev-twice']);
    const response = await post(
      server,
      '/events',
      event(['ev-twice', 'ev-twice'], { name: 'once', info: 'subscription_count' }),
    );
    assertOk(response, '{"channels":{"ev-twice":{"subscription_count":1}}}');
    assert.equal((await subscriber.next()).event, 'once');
    await subscriber.roundTrip();
    assert.equal(subscriber.events.length, 1, JSON.stringify(subscriber.events));
  });

  test('an encrypted channel may only be triggered alone', async () => {
    assertOk(await post(server, '/events', event(['private-encrypted-x'])), '{}');
    assertError(await post(server, '/events', event(['private-encrypted-x', 'ev-x'])), 400);
    assertError(
      await post(server, '/events', event(['private-encrypted-x', 'private-encrypted-y'])),
      400,
    );
  });

  test('accepts #server-to-user-{id}, raw and through sendToUser', async () => {
    assertOk(await post(server, '/events', event(['#server-to-user-1'])), '{}');
    const response = await pusher.sendToUser('user-2', 'note', { hi: true });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{}');
  });

  test('refuses malformed JSON and non-object bodies with 400', async () => {
    assertError(await post(server, '/events', '{"name":'), 400, /JSON/);
    assertError(await post(server, '/events', '[]'), 400);
    assertError(await post(server, '/events', '"text"'), 400);
  });

  test('a body over maxRequestBodyBytes is 413, declared or streamed; at the cap it is read', async () => {
    await withServer({ maxRequestBodyBytes: 2048 }, async (small) => {
      const over = JSON.stringify(event(['ev-cap'], { data: 'o'.repeat(3000) }));
      assertError(await post(small, '/events', over), 413);

      const path = `/apps/${small.app.id}/events`;
      const streamed = await streamChunked(small, path, over);
      assert.equal(streamed, 413);

      const padding = 2048 - JSON.stringify(event(['ev-cap'], { data: '' })).length;
      const atCap = JSON.stringify(event(['ev-cap'], { data: 'o'.repeat(padding) }));
      assert.equal(Buffer.byteLength(atCap), 2048);
      assertOk(await post(small, '/events', atCap), '{}');
    });
  });
});

/** A signed POST sent with `Transfer-Encoding: chunked`, so no Content-Length warns the server. */
function streamChunked(target: TestHerald, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const query = renderQuery(signedPairs(target, 'POST', path, body));
    const req = request(`${target.url}${path}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.setTimeout(5000, () => req.destroy(new Error('chunked upload: no answer in 5 s')));
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may answer and stop reading mid-upload; a reset after the answer is expected.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    for (let i = 0; i < body.length; i += 512) req.write(body.slice(i, i + 512));
    req.end();
  });
}

describe('POST /apps/{id}/batch_events (§5.4)', () => {
  test('the SDK triggerBatch answers {} and every event arrives, in order', async () => {
    const subscriber = await subscribed(['batch-a', 'batch-b']);
    const response = await pusher.triggerBatch([
      { channel: 'batch-a', name: 'first', data: '1' },
      { channel: 'batch-b', name: 'second', data: { two: 2 } },
      { channel: 'batch-a', name: 'third', data: '3' },
    ]);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{}');
    const received = [await subscriber.next(), await subscriber.next(), await subscriber.next()];
    assert.deepEqual(received, [
      { event: 'first', channel: 'batch-a', data: '1' },
      { event: 'second', channel: 'batch-b', data: '{"two":2}' },
      { event: 'third', channel: 'batch-a', data: '3' },
    ]);
  });

  test('with info on some items the answer holds one entry per item', async () => {
    await subscribed(['batch-info']);
    const response = await pusher.triggerBatch([
      { channel: 'batch-info', name: 'e', data: '', info: 'subscription_count' },
      { channel: 'batch-info', name: 'e', data: '' },
      { channel: 'batch-empty', name: 'e', data: '', info: 'subscription_count,user_count' },
      { channel: 'batch-info', name: 'e', data: '', info: 'user_count' },
    ]);
    assert.equal(response.status, 200);
    assert.equal(
      await response.text(),
      '{"batch":[{"subscription_count":1},{},{"subscription_count":0},{}]}',
    );
  });

  test('takes 1 to 10 events', async () => {
    const items = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ channel: 'batch-size', name: `e${i}`, data: '' }));
    assertOk(await post(server, '/batch_events', { batch: items(10) }), '{}');
    assertError(await post(server, '/batch_events', { batch: items(11) }), 400, /10/);
    assertError(await post(server, '/batch_events', { batch: [] }), 400);
    assertError(await post(server, '/batch_events', {}), 400, /batch/);
    assertError(await post(server, '/batch_events', { batch: 'no' }), 400);
  });

  test('one invalid event refuses the whole batch with 400 and publishes nothing', async () => {
    const subscriber = await subscribed(['batch-atomic']);
    const valid = { channel: 'batch-atomic', name: 'leaked', data: '' };
    const invalidItems: unknown[] = [
      { channel: 'bad name', name: 'e', data: '' },
      { channel: 'batch-atomic', name: 'e' },
      { channel: 'batch-atomic', data: '' },
      { channel: 'batch-atomic', name: 'pusher:e', data: '' },
      { channel: 'batch-atomic', name: 'e', data: '', socket_id: 'abc' },
      { name: 'e', data: '' },
      'not an object',
    ];
    for (const invalid of invalidItems) {
      const response = await post(server, '/batch_events', { batch: [valid, invalid, valid] });
      assertError(response, 400, /batch\[1\]/);
    }
    await assertNothingBefore(subscriber, 'batch-atomic');
  });

  test('socket_id on a batch item excludes that connection from that item only', async () => {
    const excluded = await subscribed(['batch-except']);
    const other = await subscribed(['batch-except']);
    const response = await pusher.triggerBatch([
      { channel: 'batch-except', name: 'skip-me', data: '', socket_id: excluded.socketId },
      { channel: 'batch-except', name: 'everyone', data: '' },
    ]);
    assert.equal(response.status, 200);
    assert.deepEqual(
      [await other.next(), await other.next()].map((received) => received.event),
      ['skip-me', 'everyone'],
    );
    assert.equal((await excluded.next()).event, 'everyone');
  });

  test('one item with data over 10 KB is 413 and publishes nothing', async () => {
    const subscriber = await subscribed(['batch-big']);
    const response = await post(server, '/batch_events', {
      batch: [
        { channel: 'batch-big', name: 'leaked', data: 'small' },
        { channel: 'batch-big', name: 'big', data: 'b'.repeat(10_241) },
      ],
    });
    assertError(response, 413);
    await assertNothingBefore(subscriber, 'batch-big');
  });
});

describe('GET /apps/{id}/channels (§5.5)', () => {
  test('with nothing occupied the answer is exactly {"channels":{}}', async () => {
    await withServer({}, async (own) => {
      assertOk(await get(own, '/channels'), '{"channels":{}}');
      const response = await new PusherServer(own.pusherOptions).get({ path: '/channels' });
      assert.equal(await response.text(), '{"channels":{}}');
    });
  });

  test('lists occupied channels, attributes only when asked, filtered by prefix', async () => {
    await withServer({}, async (own) => {
      await subscribed(['alpha-1', 'beta-1'], own);
      await subscribed(['alpha-1'], own);

      const all = await get(own, '/channels');
      assertOk(all);
      assert.deepEqual(JSON.parse(all.body), { channels: { 'alpha-1': {}, 'beta-1': {} } });

      const counted = await get(own, '/channels', { info: 'subscription_count' });
      assertOk(counted);
      assert.deepEqual(JSON.parse(counted.body), {
        channels: { 'alpha-1': { subscription_count: 2 }, 'beta-1': { subscription_count: 1 } },
      });

      assertOk(
        await get(own, '/channels', { filter_by_prefix: 'alpha-' }),
        '{"channels":{"alpha-1":{}}}',
      );
      assertOk(await get(own, '/channels', { filter_by_prefix: 'gamma-' }), '{"channels":{}}');
    });
  });

  test('a vacated channel is no longer listed', async () => {
    await withServer({}, async (own) => {
      const subscriber = await subscribed(['stay', 'leave'], own);
      subscriber.unsubscribe('leave');
      await subscriber.roundTrip();
      assertOk(await get(own, '/channels'), '{"channels":{"stay":{}}}');
    });
  });

  test('user_count needs a presence- prefix, else 400 with the documented message', async () => {
    const message =
      'user_count may only be requested for presence channels - please supply filter_by_prefix beginning with presence-';
    const rejected: Array<Record<string, string>> = [
      { info: 'user_count' },
      { info: 'user_count', filter_by_prefix: 'private-' },
    ];
    for (const params of rejected) {
      const response = await get(server, '/channels', params);
      assertError(response, 400);
      assert.equal(response.body.trim(), message);
    }
    assertOk(
      await get(server, '/channels', { info: 'user_count', filter_by_prefix: 'presence-' }),
      '{"channels":{}}',
    );
  });

  test('#server-to-user-* channels are never listed', async () => {
    await withServer({}, async (own) => {
      // Only a connection signed in as user 1 may hold #server-to-user-1, and signin is not
      // supported yet: the subscription is refused, and a trigger must not create the channel.
      const subscriber = await subscribed(['listed'], own);
      await assert.rejects(subscriber.subscribe('#server-to-user-1'), /refused/);
      assertOk(await post(own, '/events', event(['#server-to-user-1'])));
      assertOk(await get(own, '/channels'), '{"channels":{"listed":{}}}');
      // Encoded (Ruby style): unescaped, the # would start the URL's fragment.
      const prefixed = await get(
        own,
        '/channels',
        { filter_by_prefix: '#server-to-user-' },
        { style: 'ruby' },
      );
      assertOk(prefixed, '{"channels":{}}');
    });
  });
});

describe('GET /apps/{id}/channels/{name} (§5.6)', () => {
  test('an unoccupied channel is {"occupied":false}, not an error', async () => {
    assertOk(await get(server, '/channels/nobody-here'), '{"occupied":false}');
  });

  test('an occupied channel is {"occupied":true}, plus subscription_count when asked', async () => {
    await subscribed(['info-room']);
    await subscribed(['info-room']);
    assertOk(await get(server, '/channels/info-room'), '{"occupied":true}');
    assertOk(
      await get(server, '/channels/info-room', { info: 'subscription_count' }),
      '{"occupied":true,"subscription_count":2}',
    );
    const response = await pusher.get({
      path: '/channels/info-room',
      params: { info: 'subscription_count' },
    });
    assert.equal(await response.text(), '{"occupied":true,"subscription_count":2}');
  });

  test('user_count on a non-presence channel is 400', async () => {
    await subscribed(['info-public']);
    assertError(
      await get(server, '/channels/info-public', { info: 'user_count' }),
      400,
      /presence/,
    );
    assertOk(await get(server, '/channels/presence-info', { info: 'user_count' }));
  });

  test('an invalid channel name is 400', async () => {
    for (const segment of [
      'bad%20name',
      'a%23b',
      '%23server-to-user-',
      'x'.repeat(165),
      '%E0%A4%A',
    ]) {
      assertError(await get(server, `/channels/${segment}`), 400);
    }
  });

  test('the name segment is URL-decoded for the lookup and signed as sent', async () => {
    const channel = 'room@1=x;y,z';
    await subscribed([channel]);
    assertOk(await get(server, `/channels/${encodeURIComponent(channel)}`), '{"occupied":true}');
    assertOk(await get(server, `/channels/${channel}`), '{"occupied":true}');
    const response = await pusher.get({ path: `/channels/${channel}` });
    assert.equal(await response.text(), '{"occupied":true}');
  });
});

describe('status codes (§5.9)', () => {
  test('an unknown app id is 404', async () => {
    const response = await signedRequest(server, 'POST', '/apps/no-such-app/events', {
      body: JSON.stringify(event(['x'])),
    });
    assertError(response, 404, /no-such-app/);
  });

  test('an unknown route is 404', async () => {
    const id = server.app.id;
    for (const path of [
      `/apps/${id}/nope`,
      `/apps/${id}/events/extra`,
      `/apps/${id}/channels/a/b/c`,
      `/apps/${id}`,
      '/nope',
    ]) {
      assertError(await signedRequest(server, 'GET', path), 404);
    }
  });

  test('a known route with the wrong method is 405', async () => {
    const id = server.app.id;
    assertError(await signedRequest(server, 'GET', `/apps/${id}/events`), 405);
    assertError(await signedRequest(server, 'GET', `/apps/${id}/batch_events`), 405);
    assertError(await signedRequest(server, 'POST', `/apps/${id}/channels`, { body: '{}' }), 405);
    assertError(await signedRequest(server, 'DELETE', `/apps/${id}/channels/x`), 405);
  });

  test('a 405 names the allowed method in Allow (RFC 9110 §15.5.6: MUST)', async () => {
    const id = server.app.id;
    const cases: Array<[string, string, string]> = [
      ['GET', `/apps/${id}/events`, 'POST'],
      ['GET', `/apps/${id}/batch_events`, 'POST'],
      ['DELETE', `/apps/${id}/channels`, 'GET'],
    ];
    for (const [method, path, allowed] of cases) {
      const response = await signedRequest(server, method, path);
      assertError(response, 405);
      assert.match(
        String(response.headers.allow),
        new RegExp(`\\b${allowed}\\b`),
        `${method} ${path}`,
      );
    }
  });

  test('GET / and GET /ready answer 200 with JSON', async () => {
    for (const path of ['/', '/ready']) {
      // Load balancers do not sign.
      const response = await send(server.url, 'GET', path);
      assertOk(response);
      assert.equal(typeof JSON.parse(response.body), 'object');
    }
  });

  test('keep-alive: successes and errors share one connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<Socket>();
    const track = (socket: Socket) => sockets.add(socket);
    agent.on('free', track);
    try {
      const id = server.app.id;
      const calls: Array<[number, () => Promise<RestResponse>]> = [
        [200, () => get(server, '/channels', {}, { agent })],
        [200, () => post(server, '/events', event(['ka']), { agent })],
        [400, () => post(server, '/events', '{oops', { agent })],
        [401, () => post(server, '/events', event(['ka']), { agent, secret: 'wrong' })],
        [
          413,
          () => post(server, '/events', event(['ka'], { data: 'x'.repeat(10_241) }), { agent }),
        ],
        [404, () => signedRequest(server, 'GET', `/apps/${id}/nope`, { agent })],
        [200, () => get(server, '/channels/ka', {}, { agent })],
      ];
      const reused: boolean[] = [];
      for (const [status, call] of calls) {
        const response = await call();
        assert.equal(response.status, status, response.body);
        reused.push(response.reusedSocket);
      }
      assert.deepEqual(reused, [false, ...calls.slice(1).map(() => true)]);
      assert.equal(sockets.size, 1);
    } finally {
      agent.destroy();
    }
  });

  test('a disabled app answers a correctly signed request with 403', async () => {
    const apps = [
      { id: 'on', key: 'on-key', secret: 'on-secret' },
      { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false },
    ];
    await withServer({ apps }, async (own) => {
      const off = { url: own.url, app: { id: 'off', key: 'off-key', secret: 'off-secret' } };
      assertError(await post(off, '/events', event(['x'])), 403);
      assertError(await get(off, '/channels'), 403);
      // The signature comes first: an unauthenticated caller learns nothing about the app.
      assertError(await post(off, '/events', event(['x']), { secret: 'wrong' }), 401);
      const sdk = new PusherServer({
        ...own.pusherOptions,
        appId: 'off',
        key: 'off-key',
        secret: 'off-secret',
      });
      await assert.rejects(sdk.trigger('x', 'e', ''), (error: { status?: number }) => {
        assert.equal(error.status, 403);
        return true;
      });
      assertOk(await post(own, '/events', event(['x'])), '{}');
    });
  });
});
