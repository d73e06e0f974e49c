/**
 * `reset()` on the Redis adapter (the machine's Redis, a prefix of this file's own): the shared
 * stores are emptied of this node's channels, presence and cache entries, and nothing else in
 * Redis is touched — not another deployment's keys, not a user key that merely contains
 * ":cache:", not another app whose id the pattern would match without escaping.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { ManualClock } from '../../src/core/clock.js';
import { RedisChannelCache } from '../../src/scaling/redis/redis-channel-cache.js';
import { startHerald } from '../../src/testing/index.js';
import { AuthClients } from '../helpers/auth.js';
import { subscribe } from '../helpers/pusher-js.js';
import { inspector, keysOf, removeKeys, testLink, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix('testing-reset');
const otherPrefix = testPrefix('testing-reset-other');
after(() => Promise.all([removeKeys(prefix), removeKeys(otherPrefix)]));

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('reset() with the Redis adapter', () => {
  it("empties the shared stores of the node's channels, presence and caches", async () => {
    const herald = await startHerald({ adapter: 'redis', redisPrefix: prefix, appId: '1' });
    const sdk = new PusherServer(herald.pusherOptions);
    const clients = new AuthClients(herald, sdk);
    cleanups.push(
      () => herald.stop(),
      () => clients.disconnectAll(),
    );
    const pusher = await clients.connect({ member: { user_id: 'ann' } });
    await subscribe(pusher, 'news');
    await subscribe(pusher, 'presence-room');
    await sdk.trigger('cache-prices', 'price', { eur: 1 });
    const redis = await inspector();
    cleanups.push(() => redis.disconnect());
    assert.ok((await keysOf(redis, prefix)).some((key) => key.endsWith(':cache:cache-prices')));

    await herald.reset();
    assert.deepEqual(await herald.channels(), {});
    assert.deepEqual(await herald.members('presence-room'), []);
    const left = (await keysOf(redis, prefix)).filter((key) => key.includes(':app:'));
    assert.deepEqual(left, [], 'no channel, presence or cache key of the app is left');
  });
});

describe('RedisChannelCache.clear()', () => {
  it('touches only cache keys of the app (or of all apps) under its own prefix', async () => {
    const clock = new ManualClock();
    const cache = new RedisChannelCache(await testLink(prefix), clock);
    const other = new RedisChannelCache(await testLink(otherPrefix), clock);
    const redis = await inspector();
    cleanups.push(
      () => cache.close(),
      () => other.close(),
      () => redis.disconnect(),
    );
    await cache.set('a*', 'cache-x', 'e', 'star', 60_000);
    await cache.set('abc', 'cache-x', 'e', 'abc', 60_000);
    await other.set('a*', 'cache-x', 'e', 'elsewhere', 60_000);
    // A user whose id contains ":cache:" has a key the all-apps pattern also matches.
    const userKey = `${prefix}:app:abc:user:x:cache:y`;
    await redis.set(userKey, '1');

    // `*` in the app id is matched literally, not as a wildcard over "abc".
    await cache.clear('a*');
    assert.equal(await cache.get('a*', 'cache-x'), undefined);
    assert.equal((await cache.get('abc', 'cache-x'))?.data, 'abc');

    await cache.clear();
    assert.equal(await cache.get('abc', 'cache-x'), undefined);
    assert.equal(await redis.get(userKey), '1', 'the user key is not a cache key');
    assert.equal((await other.get('a*', 'cache-x'))?.data, 'elsewhere', 'other prefix untouched');
  });
});
