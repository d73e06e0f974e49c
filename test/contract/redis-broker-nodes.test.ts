/**
 * The Redis broker across nodes, beyond the contract: a node receives only the channels it
 * subscribed to, its own publishes exactly once (delivered locally, the echo from Redis ignored),
 * and nothing more after it unsubscribed.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { silentLog } from '../../src/core/log.js';
import { RedisBroker } from '../../src/scaling/redis/redis-broker.js';
import { connectRedis } from '../../src/scaling/redis/redis-connection.js';
import { RedisHealth } from '../../src/scaling/redis/redis-health.js';
import { RedisKeys } from '../../src/scaling/redis/redis-keys.js';
import { REDIS_URL, removeKeys, testNodeId, testPrefix } from '../helpers/redis.js';

const WAIT_MS = 5000;
const prefix = testPrefix('broker');
after(() => removeKeys(prefix));

interface Node {
  readonly broker: RedisBroker;
  /** "channel:data" of every delivery, in order. */
  readonly seen: string[];
  /** Resolves once `data` has been delivered on this node. */
  received(data: string): Promise<void>;
}

describe('RedisBroker across nodes', () => {
  const brokers: RedisBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  });

  async function node(): Promise<Node> {
    const nodeId = testNodeId();
    const health = new RedisHealth(silentLog, REDIS_URL);
    const [publisher, subscriber] = await Promise.all([
      connectRedis(REDIS_URL, `${nodeId}:publisher`, health),
      connectRedis(REDIS_URL, `${nodeId}:subscriber`, health),
    ]);
    const broker = new RedisBroker({
      publisher,
      subscriber,
      keys: new RedisKeys(prefix),
      nodeId,
      health,
      log: silentLog,
    });
    brokers.push(broker);
    const seen: string[] = [];
    const waiters = new Map<string, () => void>();
    broker.onMessage((_, channel, message) => {
      seen.push(`${channel}:${message.data}`);
      waiters.get(message.data)?.();
    });
    const received = (data: string) =>
      new Promise<void>((resolve, reject) => {
        if (seen.some((entry) => entry.endsWith(`:${data}`))) return resolve();
        const timer = setTimeout(() => reject(new Error(`${data} never arrived`)), WAIT_MS);
        waiters.set(data, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    return { broker, seen, received };
  }

  test('a node receives the channels it subscribed to, and only those', async () => {
    const appId = `app-${randomUUID()}`;
    const [a, b, c] = await Promise.all([node(), node(), node()]);
    await Promise.all([b.broker.subscribe(appId, 'news'), c.broker.subscribe(appId, 'other')]);
    await a.broker.publish(appId, 'news', { event: 'e', data: 'n1' });
    // A marker on the channel c listens to: once it is there, n1 would have been too.
    await a.broker.publish(appId, 'other', { event: 'e', data: 'marker' });
    await Promise.all([b.received('n1'), c.received('marker')]);
    assert.deepEqual(b.seen, ['news:n1']);
    assert.deepEqual(c.seen, ['other:marker']);
  });

  test('the publishing node gets its own message once, before Redis answers', async () => {
    const appId = `app-${randomUUID()}`;
    const [a, b] = await Promise.all([node(), node()]);
    await Promise.all([a.broker.subscribe(appId, 'news'), b.broker.subscribe(appId, 'news')]);
    const published = a.broker.publish(appId, 'news', { event: 'e', data: 'm1' });
    assert.deepEqual(a.seen, ['news:m1']);
    await published;
    await a.broker.publish(appId, 'news', { event: 'e', data: 'm2' });
    // b has both, so Redis has delivered both to a as well by now: a ignored the echoes.
    await b.received('m2');
    assert.deepEqual(b.seen, ['news:m1', 'news:m2']);
    assert.deepEqual(a.seen, ['news:m1', 'news:m2']);
  });

  test('after unsubscribing a node receives nothing more from that channel', async () => {
    const appId = `app-${randomUUID()}`;
    const [a, b] = await Promise.all([node(), node()]);
    await Promise.all([b.broker.subscribe(appId, 'news'), b.broker.subscribe(appId, 'marker')]);
    await a.broker.publish(appId, 'news', { event: 'e', data: 'before' });
    await b.received('before');
    await b.broker.unsubscribe(appId, 'news');
    await a.broker.publish(appId, 'news', { event: 'e', data: 'after' });
    await a.broker.publish(appId, 'marker', { event: 'e', data: 'marker' });
    await b.received('marker');
    assert.deepEqual(b.seen, ['news:before', 'marker:marker']);
  });
});
