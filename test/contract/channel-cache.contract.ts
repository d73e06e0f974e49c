/**
 * The contract every {@link ChannelCache} keeps, as one suite that runs against each
 * implementation. Expiry is measured on the clock the cache is built with, so the factory
 * receives the suite's {@link ManualClock} and tests move time instead of waiting. App ids are
 * unique per test so implementations sharing a backend do not see each other's keys.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import type { CachedEvent, ChannelCache } from '../../src/scaling/types.js';

export type ChannelCacheFactory = (clock: ManualClock) => ChannelCache | Promise<ChannelCache>;

const plain = (entry: CachedEvent | undefined) =>
  entry === undefined
    ? undefined
    : { event: entry.event, data: entry.data, expiresAt: entry.expiresAt };

export function channelCacheContract(name: string, factory: ChannelCacheFactory): void {
  describe(`ChannelCache contract: ${name}`, () => {
    let clock: ManualClock;
    let cache: ChannelCache;
    let appId: string;
    const channel = 'cache-prices';

    beforeEach(async () => {
      clock = new ManualClock();
      cache = await factory(clock);
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await cache.close();
    });

    const get = async (ch = channel, app = appId) => plain(await cache.get(app, ch));

    test('get returns what set stored, with its expiry time on the clock', async () => {
      const start = clock.now();
      await cache.set(appId, channel, 'price', '{"eur":1}', 60_000);
      assert.deepEqual(await get(), {
        event: 'price',
        data: '{"eur":1}',
        expiresAt: start + 60_000,
      });
    });

    test('nothing stored → undefined', async () => {
      assert.equal(await get(), undefined);
    });

    test('set replaces the entry and restarts its ttl', async () => {
      await cache.set(appId, channel, 'a', '1', 60_000);
      clock.advance(30_000);
      await cache.set(appId, channel, 'b', '2', 60_000);
      assert.deepEqual(await get(), { event: 'b', data: '2', expiresAt: clock.now() + 60_000 });
      clock.advance(59_999);
      assert.equal((await get())?.data, '2');
    });

    test('the entry is live until ttl has passed, gone from then on', async () => {
      await cache.set(appId, channel, 'e', 'd', 1000);
      clock.advance(999);
      assert.equal((await get())?.data, 'd');
      clock.advance(1);
      assert.equal(await get(), undefined);
      clock.advance(1_000_000);
      assert.equal(await get(), undefined);
    });

    test('an entry set again after it expired is live again', async () => {
      await cache.set(appId, channel, 'e', 'old', 1000);
      clock.advance(5000);
      assert.equal(await get(), undefined);
      await cache.set(appId, channel, 'e', 'new', 1000);
      assert.equal((await get())?.data, 'new');
    });

    test('ttls are per entry', async () => {
      await cache.set(appId, 'cache-short', 'e', 's', 1000);
      await cache.set(appId, 'cache-long', 'e', 'l', 10_000);
      clock.advance(5000);
      assert.equal(await get('cache-short'), undefined);
      assert.equal((await get('cache-long'))?.data, 'l');
    });

    test('event names and data are stored byte for byte', async () => {
      const cases: Array<[string, string]> = [
        ['App\\Events\\OrderShipped', '{"a": 1,  "b":"\\/é 😀"}'],
        ['e', ''],
        ['e', 'x'.repeat(100_000)],
        ['e', 'null'],
      ];
      for (const [event, data] of cases) {
        await cache.set(appId, channel, event, data, 60_000);
        const entry = await get();
        assert.equal(entry?.event, event);
        assert.equal(entry.data, data);
      }
    });

    test('channels are isolated, names matched exactly', async () => {
      await cache.set(appId, 'cache-a', 'e', 'a', 60_000);
      await cache.set(appId, 'private-cache-a', 'e', 'p', 60_000);
      assert.equal((await get('cache-a'))?.data, 'a');
      assert.equal((await get('private-cache-a'))?.data, 'p');
      assert.equal(await get('cache-A'), undefined);
      assert.equal(await get('cache-'), undefined);
    });

    test('apps are isolated', async () => {
      const other = `app-${randomUUID()}`;
      await cache.set(appId, channel, 'e', 'here', 60_000);
      assert.equal(await get(channel, other), undefined);
      await cache.set(other, channel, 'e', 'there', 60_000);
      assert.equal((await get())?.data, 'here');
      assert.equal((await get(channel, other))?.data, 'there');
    });

    test('clear(appId) removes every entry of that app and none of another', async () => {
      const other = `${appId}-other`;
      await cache.set(appId, 'cache-a', 'e', 'a', 60_000);
      await cache.set(appId, 'private-cache-b', 'e', 'b', 60_000);
      await cache.set(other, 'cache-a', 'e', 'kept', 60_000);
      await cache.clear(appId);
      assert.equal(await get('cache-a'), undefined);
      assert.equal(await get('private-cache-b'), undefined);
      assert.equal((await get('cache-a', other))?.data, 'kept');
      await cache.clear(other);
    });

    test('clear() removes the entries of every app', async () => {
      const other = `app-${randomUUID()}`;
      await cache.set(appId, channel, 'e', 'a', 60_000);
      await cache.set(other, channel, 'e', 'b', 60_000);
      await cache.clear();
      assert.equal(await get(), undefined);
      assert.equal(await get(channel, other), undefined);
    });

    test('clear removes more entries than one scan step looks at', async () => {
      for (let i = 0; i < 1500; i++) await cache.set(appId, `cache-${i}`, 'e', String(i), 60_000);
      await cache.clear(appId);
      for (const i of [0, 499, 500, 1499]) assert.equal(await get(`cache-${i}`), undefined);
    });

    test('after clear the channel caches again; clearing nothing is fine', async () => {
      await cache.clear(appId);
      await cache.set(appId, channel, 'e', 'again', 60_000);
      assert.equal((await get())?.data, 'again');
    });

    test('many channels expiring does not lose live ones', async () => {
      for (let i = 0; i < 3000; i++) await cache.set(appId, `cache-${i}`, 'e', String(i), 1000);
      clock.advance(2000);
      await cache.set(appId, 'cache-live', 'e', 'live', 1000);
      for (let i = 0; i < 3000; i++) await cache.set(appId, `cache-next-${i}`, 'e', '', 60_000);
      assert.equal((await get('cache-live'))?.data, 'live');
      assert.equal(await get('cache-0'), undefined);
      assert.equal((await get('cache-next-0'))?.data, '');
    });
  });
}
