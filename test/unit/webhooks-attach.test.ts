import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle } from '../../src/core/lifecycle.js';
import {
  attachWebhooks,
  type WebhookApp,
  type WebhookOptions,
  type WebhookTarget,
} from '../../src/webhooks/index.js';
import type { Post } from '../../src/webhooks/http-post.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { RecordingLog } from '../helpers/recording-log.js';

interface Sent {
  readonly url: string;
  readonly key: string;
  readonly events: Array<Record<string, unknown>>;
}

const options: WebhookOptions = {
  batchMs: 50,
  vacateDelayMs: 0,
  timeoutMs: 4000,
  retryWindowMs: 300_000,
  retryDelayMs: 1000,
  concurrency: 2,
  queueSize: 1000,
};

function setup(
  webhooks: WebhookTarget[] = [{ url: 'http://hooks.test/a' }],
  overrides: Partial<WebhookOptions> = {},
  extraApps: WebhookApp[] = [],
) {
  const lifecycle = new Lifecycle((error) => {
    throw error;
  });
  const timers = new ManualTimers();
  const sent: Sent[] = [];
  let answer: 'ok' | 'hang' = 'ok';
  const post: Post = (url, headers, body, signal) =>
    new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      const parsed = JSON.parse(body.toString('utf8')) as { events: Sent['events'] };
      sent.push({ url: url.href, key: headers['X-Pusher-Key']!, events: parsed.events });
      if (answer === 'ok') resolve(200);
    });
  const log = new RecordingLog();
  const webhooksObject = attachWebhooks({
    lifecycle,
    apps: [{ id: '1', key: 'key-1', secret: 'secret-1', webhooks }, ...extraApps],
    log,
    timers,
    options: { ...options, ...overrides },
    post,
  });
  return {
    lifecycle,
    timers,
    sent,
    log,
    webhooks: webhooksObject,
    hang: () => (answer = 'hang'),
    /** Every event sent to `url` so far, as `name channel [extra]` lines. */
    received: (url = 'http://hooks.test/a') =>
      sent
        .filter((request) => request.url === url)
        .flatMap((request) => request.events)
        .map((event) => {
          const { name, channel, ...rest } = event;
          const extra = Object.values(rest).join(' ');
          return `${String(name)} ${String(channel)}${extra === '' ? '' : ` ${extra}`}`;
        }),
  };
}

describe('attachWebhooks: lifecycle → webhooks', () => {
  it('turns every lifecycle event into its §6.3 object, batched in emit order', async () => {
    const { lifecycle, timers, sent, received } = setup();
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'presence-r', resumed: false });
    lifecycle.emit('member_added', {
      appId: '1',
      channel: 'presence-r',
      userId: '7',
      resumed: false,
    });
    lifecycle.emit('client_event', {
      appId: '1',
      socketId: '1.2',
      channel: 'presence-r',
      event: 'client-x',
      data: '{}',
      userId: '7',
    });
    lifecycle.emit('cache_miss', { appId: '1', channel: 'cache-c', socketId: '1.2' });
    lifecycle.emit('subscription_count', { appId: '1', channel: 'c', count: 2 });
    lifecycle.emit('member_removed', { appId: '1', channel: 'presence-r', userId: '7' });
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'presence-r' });
    await timers.advance(50);
    assert.equal(sent.length, 1, 'one request for the window');
    assert.equal(sent[0]!.key, 'key-1');
    assert.deepEqual(received(), [
      'channel_occupied presence-r',
      'member_added presence-r 7',
      'client_event presence-r client-x {} 1.2 7',
      'cache_miss cache-c',
      'subscription_count c 2',
      'member_removed presence-r 7',
      'channel_vacated presence-r',
    ]);
  });

  it('ignores #server-to-user- channels, other apps and apps without webhooks', async () => {
    const { lifecycle, timers, sent } = setup(undefined, undefined, [
      { id: '2', key: 'key-2', secret: 'secret-2', webhooks: [] },
    ]);
    lifecycle.emit('channel_occupied', {
      appId: '1',
      channel: '#server-to-user-42',
      resumed: false,
    });
    lifecycle.emit('channel_occupied', { appId: '2', channel: 'a', resumed: false });
    lifecycle.emit('channel_occupied', { appId: 'unknown', channel: 'a', resumed: false });
    await timers.advance(1000);
    assert.deepEqual(sent, []);
  });

  it('subscribes to nothing when no app has webhooks, and only to what the URLs want', () => {
    const none = setup([]);
    for (const name of ['channel_occupied', 'client_event', 'api_message'] as const) {
      assert.equal(none.lifecycle.has(name), false, name);
    }
    const occupancy = setup([{ url: 'http://hooks.test/a', events: ['channel_occupied'] }]);
    assert.equal(occupancy.lifecycle.has('channel_occupied'), true);
    assert.equal(occupancy.lifecycle.has('channel_vacated'), true, 'needed to pair occupied');
    assert.equal(occupancy.lifecycle.has('client_event'), false);
    assert.equal(occupancy.lifecycle.has('api_message'), false);
  });

  it('applies each URL’s events filter to its own batches', async () => {
    const { lifecycle, timers, received } = setup([
      { url: 'http://hooks.test/a', events: ['channel_occupied'] },
      { url: 'http://hooks.test/b' },
    ]);
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'x' });
    await timers.advance(50);
    assert.deepEqual(received('http://hooks.test/a'), ['channel_occupied x']);
    assert.deepEqual(received('http://hooks.test/b'), ['channel_occupied x', 'channel_vacated x']);
  });

  it('holds vacated for the vacate delay and pairs it with a quick re-occupation', async () => {
    const { lifecycle, timers, received } = setup(undefined, { vacateDelayMs: 3000 });
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'x' });
    await timers.advance(1000);
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    await timers.advance(10_000);
    assert.deepEqual(received(), ['channel_occupied x']);
  });
});

describe('attachWebhooks: de-duplication', () => {
  it('sends one cache_miss per channel until the channel is published to', async () => {
    const { lifecycle, timers, received } = setup();
    const miss = () =>
      lifecycle.emit('cache_miss', { appId: '1', channel: 'cache-c', socketId: 's' });
    miss();
    miss();
    lifecycle.emit('cache_miss', { appId: '1', channel: 'cache-d', socketId: 's' });
    lifecycle.emit('api_message', {
      appId: '1',
      channel: 'cache-c',
      event: 'e',
      data: '{}',
      socketId: undefined,
    });
    miss();
    miss();
    await timers.advance(50);
    assert.deepEqual(received(), [
      'cache_miss cache-c',
      'cache_miss cache-d',
      'cache_miss cache-c',
    ]);
  });

  it('a channel that really emptied may miss again; a quick reconnect does not', async () => {
    const { lifecycle, timers, received } = setup(undefined, { vacateDelayMs: 1000 });
    const miss = () =>
      lifecycle.emit('cache_miss', { appId: '1', channel: 'cache-c', socketId: 's' });
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'cache-c', resumed: false });
    miss();
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'cache-c' });
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'cache-c', resumed: false });
    miss();
    await timers.advance(50);
    assert.deepEqual(received(), ['channel_occupied cache-c', 'cache_miss cache-c']);
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'cache-c' });
    await timers.advance(1000);
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'cache-c', resumed: false });
    miss();
    await timers.advance(50);
    assert.deepEqual(received().slice(2), [
      'channel_vacated cache-c',
      'channel_occupied cache-c',
      'cache_miss cache-c',
    ]);
  });

  it('sends subscription_count only when the count differs from the last one sent', async () => {
    const { lifecycle, timers, received } = setup();
    const count = (n: number) =>
      lifecycle.emit('subscription_count', { appId: '1', channel: 'c', count: n });
    count(1);
    count(1);
    count(2);
    count(1);
    await timers.advance(50);
    assert.deepEqual(received(), [
      'subscription_count c 1',
      'subscription_count c 2',
      'subscription_count c 1',
    ]);
  });
});

describe('attachWebhooks: flush, stop, stats', () => {
  it('flush() sends held removals and open batches and resolves once they are answered', async () => {
    const { lifecycle, webhooks, received } = setup(undefined, {
      vacateDelayMs: 3000,
      batchMs: 60_000,
    });
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    lifecycle.emit('channel_vacated', { appId: '1', channel: 'x' });
    await webhooks.flush(1000);
    assert.deepEqual(received(), ['channel_occupied x', 'channel_vacated x']);
    assert.equal(webhooks.stats().delivered, 1);
    assert.equal(webhooks.stats().pending, 0);
  });

  it('flush() gives up waiting at its deadline; stop() then abandons what is left', async () => {
    const { lifecycle, timers, webhooks, hang, log } = setup();
    hang();
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    let flushed = false;
    const flush = webhooks.flush(500).then(() => (flushed = true));
    await timers.advance(499);
    assert.equal(flushed, false);
    await timers.advance(1);
    await flush;
    webhooks.stop();
    const stats = webhooks.stats();
    assert.equal(stats.abandoned, 1);
    assert.equal(stats.lostEvents, 1);
    assert.equal(stats.targets[0]!.url, 'http://hooks.test/a');
    assert.equal(stats.targets[0]!.appId, '1');
    assert.equal(log.at('warn').length, 1);
    assert.equal(timers.size, 0, 'no timer outlives stop');
  });

  it('after stop() lifecycle events send nothing and the listeners are gone', async () => {
    const { lifecycle, timers, webhooks, sent } = setup();
    webhooks.stop();
    assert.equal(lifecycle.has('channel_occupied'), false);
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    await timers.advance(1000);
    assert.deepEqual(sent, []);
  });

  it('stats() sums the URLs', async () => {
    const { lifecycle, timers, webhooks } = setup([
      { url: 'http://hooks.test/a' },
      { url: 'http://hooks.test/b' },
    ]);
    lifecycle.emit('channel_occupied', { appId: '1', channel: 'x', resumed: false });
    await timers.advance(50);
    const stats = webhooks.stats();
    assert.equal(stats.delivered, 2);
    assert.deepEqual(
      stats.targets.map((target) => [target.url, target.delivered]),
      [
        ['http://hooks.test/a', 1],
        ['http://hooks.test/b', 1],
      ],
    );
  });
});
