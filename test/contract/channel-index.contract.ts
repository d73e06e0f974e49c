/**
 * The contract every {@link ChannelIndex} keeps, as one suite that runs against each
 * implementation (memory now, Redis later). The factory returns a fresh index; the suite closes
 * it after each test. App ids are unique per test so implementations sharing a backend (one
 * Redis) do not see each other's keys.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChannelIndex } from '../../src/scaling/types.js';

/** A fresh index; `holdMs` is how long it holds vacancies (0: not at all). */
export type ChannelIndexFactory = (holdMs: number) => ChannelIndex | Promise<ChannelIndex>;

const HOLD_MS = 60_000;

export function channelIndexContract(name: string, factory: ChannelIndexFactory): void {
  describe(`ChannelIndex contract: ${name}`, () => {
    let index: ChannelIndex;
    let appId: string;

    beforeEach(async () => {
      index = await factory(0);
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await index.close();
    });

    test('the first join occupies the channel, later joins do not', async () => {
      assert.equal(await index.join(appId, 'news', '1.1'), 'occupied');
      assert.equal(await index.join(appId, 'news', '1.2'), 'unchanged');
      assert.equal(await index.join(appId, 'news', '1.3'), 'unchanged');
      assert.equal(await index.count(appId, 'news'), 3);
    });

    test('joining twice with the same socket counts it once', async () => {
      assert.equal(await index.join(appId, 'news', '1.1'), 'occupied');
      assert.equal(await index.join(appId, 'news', '1.1'), 'unchanged');
      assert.equal(await index.count(appId, 'news'), 1);
      assert.equal(await index.leave(appId, 'news', '1.1'), true);
    });

    test('only the last leave vacates the channel', async () => {
      await index.join(appId, 'news', '1.1');
      await index.join(appId, 'news', '1.2');
      assert.equal(await index.leave(appId, 'news', '1.1'), false);
      assert.equal(await index.count(appId, 'news'), 1);
      assert.equal(await index.leave(appId, 'news', '1.2'), true);
      assert.equal(await index.count(appId, 'news'), 0);
    });

    test('leaving with a socket that never joined is false and changes nothing', async () => {
      assert.equal(await index.leave(appId, 'never', '1.1'), false);
      await index.join(appId, 'news', '1.1');
      assert.equal(await index.leave(appId, 'news', '9.9'), false);
      assert.equal(await index.count(appId, 'news'), 1);
    });

    test('leaving twice is true once', async () => {
      await index.join(appId, 'news', '1.1');
      assert.equal(await index.leave(appId, 'news', '1.1'), true);
      assert.equal(await index.leave(appId, 'news', '1.1'), false);
      assert.equal(await index.count(appId, 'news'), 0);
    });

    test('a channel rejoined after it was vacated is occupied again', async () => {
      await index.join(appId, 'news', '1.1');
      await index.leave(appId, 'news', '1.1');
      assert.equal(await index.join(appId, 'news', '1.2'), 'occupied');
      assert.equal(await index.count(appId, 'news'), 1);
      assert.deepEqual(await index.list(appId), new Map([['news', 1]]));
    });

    test('count is 0 for a channel nobody joined', async () => {
      assert.equal(await index.count(appId, 'nobody'), 0);
    });

    test('list gives occupied channels with their counts; vacated ones disappear', async () => {
      assert.deepEqual(await index.list(appId), new Map());
      await index.join(appId, 'a', '1.1');
      await index.join(appId, 'a', '1.2');
      await index.join(appId, 'b', '1.1');
      await index.join(appId, 'c', '1.3');
      await index.leave(appId, 'c', '1.3');
      assert.deepEqual(
        await index.list(appId),
        new Map([
          ['a', 2],
          ['b', 1],
        ]),
      );
    });

    test('list filters by name prefix', async () => {
      for (const channel of ['presence-a', 'presence-b', 'private-a', 'presence', 'xpresence-c']) {
        await index.join(appId, channel, '1.1');
      }
      const presence = await index.list(appId, 'presence-');
      assert.deepEqual([...presence.keys()].sort(), ['presence-a', 'presence-b']);
      assert.equal((await index.list(appId, 'private-')).get('private-a'), 1);
      assert.deepEqual(await index.list(appId, 'none-'), new Map());
      assert.equal((await index.list(appId, '')).size, 5);
    });

    test('channel names are matched exactly, case included', async () => {
      await index.join(appId, 'News', '1.1');
      assert.equal(await index.count(appId, 'news'), 0);
      assert.equal(await index.join(appId, 'news', '1.1'), 'occupied');
      assert.equal((await index.list(appId, 'N')).size, 1);
    });

    test('apps are isolated', async () => {
      const other = `app-${randomUUID()}`;
      assert.equal(await index.join(appId, 'news', '1.1'), 'occupied');
      assert.equal(await index.join(other, 'news', '1.1'), 'occupied');
      assert.equal(await index.join(other, 'news', '1.2'), 'unchanged');
      assert.equal(await index.count(appId, 'news'), 1);
      assert.equal(await index.count(other, 'news'), 2);
      assert.equal(await index.leave(appId, 'news', '1.1'), true);
      assert.equal(await index.count(other, 'news'), 2);
      assert.deepEqual(await index.list(appId), new Map());
      assert.deepEqual(await index.list(other), new Map([['news', 2]]));
    });

    test('concurrent joins: exactly one sees the channel become occupied', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => index.join(appId, 'busy', `1.${i}`)),
      );
      assert.equal(results.filter((occupancy) => occupancy === 'occupied').length, 1);
      assert.equal(results.filter((occupancy) => occupancy === 'unchanged').length, 49);
      assert.equal(await index.count(appId, 'busy'), 50);
    });

    test('concurrent leaves: exactly one sees the channel become vacant', async () => {
      for (let i = 0; i < 50; i++) await index.join(appId, 'busy', `1.${i}`);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => index.leave(appId, 'busy', `1.${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await index.count(appId, 'busy'), 0);
    });

    test('user channels and long names are stored like any other', async () => {
      const long = `private-${'x'.repeat(156)}`;
      await index.join(appId, '#server-to-user-42', '1.1');
      await index.join(appId, long, '1.1');
      assert.equal(await index.count(appId, '#server-to-user-42'), 1);
      assert.equal(await index.count(appId, long), 1);
      assert.deepEqual([...(await index.list(appId, '#')).keys()], ['#server-to-user-42']);
    });
  });

  describe(`ChannelIndex contract, held vacancies: ${name}`, () => {
    let index: ChannelIndex;
    let appId: string;

    beforeEach(async () => {
      index = await factory(HOLD_MS);
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await index.close();
    });

    test('a join within the hold takes the vacancy back; its holder’s claim then fails', async () => {
      assert.equal(await index.join(appId, 'news', '1.1'), 'occupied');
      assert.equal(await index.leave(appId, 'news', '1.1'), true);
      assert.equal(await index.join(appId, 'news', '2.1'), 'resumed');
      assert.equal(await index.claimVacancy(appId, 'news'), false);
      assert.equal(await index.count(appId, 'news'), 1);
    });

    test('a claim before any join wins once; the next join is news again', async () => {
      await index.join(appId, 'news', '1.1');
      await index.leave(appId, 'news', '1.1');
      assert.equal(await index.claimVacancy(appId, 'news'), true);
      assert.equal(await index.claimVacancy(appId, 'news'), false, 'claimed once');
      assert.equal(await index.join(appId, 'news', '2.1'), 'occupied');
    });

    test('only a vacancy is held: leaving an occupied channel, or joining one, holds nothing', async () => {
      await index.join(appId, 'news', '1.1');
      await index.join(appId, 'news', '1.2');
      await index.leave(appId, 'news', '1.1');
      assert.equal(await index.claimVacancy(appId, 'news'), false);
      assert.equal(await index.claimVacancy(appId, 'never-joined'), false);
    });

    test('concurrent: of a join and a claim racing for one vacancy, exactly one wins', async () => {
      for (let round = 0; round < 10; round++) {
        const channel = `race-${round}`;
        await index.join(appId, channel, '1.1');
        await index.leave(appId, channel, '1.1');
        const [occupancy, claimed] = await Promise.all([
          index.join(appId, channel, '2.1'),
          index.claimVacancy(appId, channel),
        ]);
        assert.equal(occupancy === 'resumed', !claimed, `round ${round}: ${occupancy}/${claimed}`);
      }
    });

    test('holds are per app and per channel', async () => {
      const other = `app-${randomUUID()}`;
      await index.join(appId, 'news', '1.1');
      await index.leave(appId, 'news', '1.1');
      assert.equal(await index.join(other, 'news', '1.1'), 'occupied');
      assert.equal(await index.join(appId, 'sport', '1.1'), 'occupied');
      assert.equal(await index.claimVacancy(appId, 'news'), true);
    });
  });
}
