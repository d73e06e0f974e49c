// REST request signatures (PROTOCOL.md §5.2) against a real server: raw requests that get one
// detail wrong at a time, and the `pusher` SDK, which must see a wrong secret as a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import PusherServer from 'pusher';
import { createHerald, type Herald } from '../../src/herald.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLog } from '../../src/core/log.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import {
  md5Hex,
  post,
  get,
  replacing,
  send,
  signedPairs,
  signedRequest,
  stringToSign,
  without,
  type RestResponse,
  type RestTarget,
  type SignOptions,
} from '../helpers/rest.js';
import { connectSubscriber } from '../helpers/subscriber.js';

/** Server time of the clocked server, in Unix seconds. */
const NOW = 1_700_000_000;

/** A server whose clock we hold, so the 600 s window can be probed to the second. */
let clocked: Herald;
let target: RestTarget & { readonly host: string; readonly port: number };
/** A server on the real clock, for the SDK (which always signs with `Date.now()`). */
let live: TestHerald;

before(async () => {
  clocked = createHerald(
    { host: '127.0.0.1', port: 0 },
    { clock: new ManualClock(NOW * 1000), log: silentLog },
  );
  const address = await clocked.start();
  const { id, key, secret } = clocked.apps[0]!;
  target = {
    url: `http://${address.api.host}:${address.api.port}`,
    host: address.websocket.host,
    port: address.websocket.port,
    app: { id, key, secret },
  };
  live = await startHerald();
});

after(async () => {
  await Promise.all([clocked.stop(), live.stop()]);
});

const at = (options: SignOptions = {}): SignOptions => ({ timestamp: NOW, ...options });
const trigger = { name: 'e', channels: ['signed'], data: '{}' };
const eventsPath = () => `/apps/${target.app.id}/events`;

/** `message` is the first line, the gem's wording; signature-doctor.test.ts checks the rest. */
function assertUnauthorized(response: RestResponse, message: string | RegExp): void {
  assert.equal(response.status, 401, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  const summary = response.body.split('\n')[0]!;
  if (typeof message === 'string') assert.equal(summary, message);
  else assert.match(summary, message);
}

describe('accepted signatures', () => {
  test('a correctly signed POST and GET are accepted (the baseline for every rejection below)', async () => {
    const posted = await post(target, '/events', trigger, at());
    assert.equal(posted.status, 200, posted.body);
    assert.equal(posted.body, '{}');
    const listed = await get(target, '/channels', {}, at());
    assert.equal(listed.status, 200, listed.body);
  });

  test('the timestamp window is 600 s: 599 s off either way is accepted', async () => {
    for (const timestamp of [NOW - 599, NOW + 599]) {
      const response = await post(target, '/events', trigger, at({ timestamp }));
      assert.equal(response.status, 200, `timestamp ${timestamp}: ${response.body}`);
    }
  });

  test('a query signed unescaped and sent unescaped, like pusher-http-node, is accepted', async () => {
    const response = await get(
      target,
      '/channels/presence-room',
      { info: 'user_count,subscription_count' },
      at(),
    );
    assert.equal(response.status, 200, response.body);
    assert.equal(response.body, '{"occupied":false}');

    // Channel names may hold @ = , ; which a form encoder would escape.
    const prefix = await get(target, '/channels', { filter_by_prefix: 'a@b=c,d;e' }, at());
    assert.equal(prefix.status, 200, prefix.body);
  });

  test('a query signed unescaped but sent URL-encoded, like pusher-http-ruby, is accepted', async () => {
    const ruby = at({ style: 'ruby' });
    const response = await get(
      target,
      '/channels/presence-room',
      { info: 'user_count,subscription_count' },
      ruby,
    );
    assert.equal(response.status, 200, response.body);
    assert.equal(response.body, '{"occupied":false}');

    const prefix = await get(target, '/channels', { filter_by_prefix: 'a@b=c,d;e' }, ruby);
    assert.equal(prefix.status, 200, prefix.body);

    // Ruby arrays travel as repeated `info[]` keys; the stable sort keeps their order.
    const repeated = await get(
      target,
      '/channels/presence-room',
      {},
      {
        ...ruby,
        params: [
          ['info[]', 'user_count'],
          ['info[]', 'subscription_count'],
        ],
      },
    );
    assert.equal(repeated.status, 200, repeated.body);
  });

  test('parameter keys are lower-cased in the string to sign', async () => {
    const params: Array<[string, string]> = [['Filter_By_Prefix', 'x']];
    const lowered = await get(target, '/channels', {}, at({ params }));
    assert.equal(lowered.status, 200, lowered.body);

    // A signer that keeps the case signs a different string, and the 401 shows the right one.
    const path = `/apps/${target.app.id}/channels`;
    const pairs = signedPairs(target, 'GET', path, '', at({ params }));
    const rawCase = `GET\n${path}\n${pairs
      .filter(([key]) => key !== 'auth_signature')
      .map(([key, value]) => `${key}=${value}`)
      .sort()
      .join('&')}`;
    const signature = createHmac('sha256', target.app.secret).update(rawCase).digest('hex');
    const rejected = await signedRequest(target, 'GET', path, {
      ...at({ params }),
      tamper: replacing('auth_signature', signature),
    });
    assertUnauthorized(rejected, /^Invalid signature: /);
    assert.ok(rejected.body.includes('filter_by_prefix=x'), rejected.body);
  });
});

describe('rejected signatures: 401 with a readable message', () => {
  test('auth_key missing', async () => {
    const response = await post(target, '/events', trigger, at({ tamper: without('auth_key') }));
    assertUnauthorized(response, 'Missing parameter: auth_key');
  });

  test('auth_key unknown', async () => {
    const response = await post(target, '/events', trigger, at({ key: 'not-the-app-key' }));
    assertUnauthorized(response, 'Unknown auth_key');
  });

  test('auth_version missing or not 1.0', async () => {
    const missing = await post(target, '/events', trigger, at({ tamper: without('auth_version') }));
    assertUnauthorized(missing, 'Version required');
    const unsupported = await post(
      target,
      '/events',
      trigger,
      at({ tamper: replacing('auth_version', '2.0') }),
    );
    assertUnauthorized(unsupported, 'Version not supported');
  });

  test('a timestamp 600 s in the past or the future', async () => {
    for (const timestamp of [NOW - 600, NOW + 600]) {
      const response = await post(target, '/events', trigger, at({ timestamp }));
      assertUnauthorized(
        response,
        `Timestamp expired: Given timestamp (${timestamp}) not within 600s of server time (${NOW})`,
      );
    }
  });

  test('a timestamp that is missing or not a number', async () => {
    const missing = await post(
      target,
      '/events',
      trigger,
      at({ tamper: without('auth_timestamp') }),
    );
    assert.equal(missing.status, 401, missing.body);
    assert.match(missing.body, /auth_timestamp/);
    const garbage = await post(
      target,
      '/events',
      trigger,
      at({ tamper: replacing('auth_timestamp', 'soon') }),
    );
    assertUnauthorized(garbage, /^Timestamp expired: Given timestamp \(soon\)/);
  });

  test('body_md5 missing on a POST with a body', async () => {
    const response = await post(target, '/events', trigger, at({ tamper: without('body_md5') }));
    assertUnauthorized(response, 'Invalid body_md5');
  });

  test('body_md5 of another body, or a body changed after signing', async () => {
    const wrong = await post(
      target,
      '/events',
      trigger,
      at({ tamper: replacing('body_md5', md5Hex('{"other":1}')) }),
    );
    assertUnauthorized(wrong, 'Invalid body_md5');

    const path = eventsPath();
    const signedBody = JSON.stringify(trigger);
    const pairs = signedPairs(target, 'POST', path, signedBody, at());
    const query = pairs.map(([key, value]) => `${key}=${value}`).join('&');
    const swapped = await send(target.url, 'POST', `${path}?${query}`, {
      body: JSON.stringify({ ...trigger, data: 'swapped' }),
    });
    assertUnauthorized(swapped, 'Invalid body_md5');
  });

  test('a wrong signature; the message shows the string that should have been signed', async () => {
    const path = eventsPath();
    const body = JSON.stringify(trigger);
    const bogus = 'f'.repeat(64);
    const response = await signedRequest(target, 'POST', path, {
      ...at(),
      body,
      tamper: replacing('auth_signature', bogus),
    });
    const expected = stringToSign('POST', path, signedPairs(target, 'POST', path, body, at()));
    assertUnauthorized(
      response,
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(expected)}, your_secret_key), but you sent "${bogus}"`,
    );
  });

  test('a signature made with another secret, or none at all', async () => {
    const wrongSecret = await post(target, '/events', trigger, at({ secret: 'not-the-secret' }));
    assertUnauthorized(wrongSecret, /^Invalid signature: /);
    const missing = await post(
      target,
      '/events',
      trigger,
      at({ tamper: without('auth_signature') }),
    );
    assertUnauthorized(missing, 'Missing parameter: auth_signature');
  });

  test('the signature is checked before the body: a badly signed malformed body is 401, not 400', async () => {
    const response = await post(target, '/events', '{not json', at({ secret: 'not-the-secret' }));
    assertUnauthorized(response, /^Invalid signature: /);
  });

  test('a badly signed trigger delivers nothing', async () => {
    const subscriber = await connectSubscriber(target);
    try {
      await subscriber.subscribe('guarded');
      const forged = { name: 'forged', channels: ['guarded'], data: 'x' };
      const rejected = await post(target, '/events', forged, at({ secret: 'not-the-secret' }));
      assert.equal(rejected.status, 401, rejected.body);
      const sentinel = { name: 'sentinel', channels: ['guarded'], data: 'y' };
      assert.equal((await post(target, '/events', sentinel, at())).status, 200);
      assert.equal((await subscriber.next()).event, 'sentinel');
      assert.deepEqual(
        subscriber.events.map((event) => event.event),
        ['sentinel'],
      );
    } finally {
      await subscriber.close();
    }
  });
});

describe('the pusher SDK', () => {
  test('with the right secret, its unescaped queries and array params are accepted', async () => {
    const pusher = new PusherServer(live.pusherOptions);
    const triggered = await pusher.trigger('sdk-ok', 'e', { a: 1 });
    assert.equal(triggered.status, 200);
    const listed = await pusher.get({
      path: '/channels',
      params: { filter_by_prefix: 'presence-', info: ['user_count', 'subscription_count'] },
    });
    assert.equal(listed.status, 200);
    assert.equal(await listed.text(), '{"channels":{}}');
  });

  test('with a wrong secret, every call is a rejected promise with status 401', async () => {
    const pusher = new PusherServer({ ...live.pusherOptions, secret: 'not-the-secret' });
    const isUnauthorized = (error: unknown) => {
      const { status, body } = error as { status?: number; body?: string };
      assert.equal(status, 401, `expected a 401 RequestError, got ${String(error)}`);
      assert.match(String(body), /^Invalid signature: /);
      return true;
    };
    await assert.rejects(pusher.trigger('sdk-wrong', 'e', 'data'), isUnauthorized);
    await assert.rejects(
      pusher.triggerBatch([{ channel: 'sdk-wrong', name: 'e', data: 'data' }]),
      isUnauthorized,
    );
    await assert.rejects(pusher.get({ path: '/channels' }), isUnauthorized);
    await assert.rejects(pusher.get({ path: '/channels/sdk-wrong' }), isUnauthorized);
  });
});
