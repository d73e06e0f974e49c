/**
 * The contract every {@link PresenceStore} keeps, as one suite that runs against each
 * implementation. App ids are unique per test so implementations sharing a backend do not see
 * each other's keys.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PresenceJoin, PresenceMember, PresenceStore } from '../../src/scaling/types.js';

/** A fresh store; `holdMs` is how long it holds removals (0: not at all). */
export type PresenceStoreFactory = (holdMs: number) => PresenceStore | Promise<PresenceStore>;

const HOLD_MS = 60_000;

const member = (userId: string, userInfo?: string): PresenceMember => ({ userId, userInfo });

/** Plain objects, so implementations may return their own member objects. */
const plain = (members: readonly PresenceMember[]) =>
  members.map(({ userId, userInfo }) => ({ userId, userInfo }));

function joined(result: PresenceJoin): { first: boolean; members: PresenceMember[] } {
  assert.equal(result.full, false, 'the join was refused as full');
  if (result.full) throw new Error('unreachable');
  return { first: result.first, members: plain(result.members) };
}

const LIMIT = 100;

export function presenceStoreContract(name: string, factory: PresenceStoreFactory): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let store: PresenceStore;
    let appId: string;
    const room = 'presence-room';

    beforeEach(async () => {
      store = await factory(0);
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await store.close();
    });

    const join = (socketId: string, m: PresenceMember, max = LIMIT, channel = room) =>
      store.join(appId, channel, socketId, m, max);

    test('a user’s first connection is first; the members include it', async () => {
      assert.deepEqual(joined(await join('1.1', member('42', '{"name":"Ann"}'))), {
        first: true,
        members: [member('42', '{"name":"Ann"}')],
      });
      assert.equal(await store.count(appId, room), 1);
    });

    test('further connections of a present user are not first; it stays one member', async () => {
      await join('1.1', member('42'));
      assert.deepEqual(joined(await join('1.2', member('42'))), {
        first: false,
        members: [member('42')],
      });
      assert.equal(joined(await join('2.1', member('42'))).first, false);
      assert.equal(await store.count(appId, room), 1);
    });

    test('the same socket joining twice is one connection', async () => {
      await join('1.1', member('42'));
      assert.equal(joined(await join('1.1', member('42'))).first, false);
      assert.equal(await store.leave(appId, room, '1.1', '42'), true);
      assert.equal(await store.count(appId, room), 0);
    });

    test('only the last connection’s leave is last', async () => {
      await join('1.1', member('42'));
      await join('1.2', member('42'));
      await join('1.3', member('7'));
      assert.equal(await store.leave(appId, room, '1.1', '42'), false);
      assert.equal(await store.count(appId, room), 2);
      assert.equal(await store.leave(appId, room, '1.2', '42'), true);
      assert.deepEqual(plain(await store.members(appId, room)), [member('7')]);
      assert.equal(await store.leave(appId, room, '1.3', '7'), true);
      assert.equal(await store.count(appId, room), 0);
      assert.deepEqual(await store.members(appId, room), []);
    });

    test('leaving twice, or with a socket or user that never joined, is not last', async () => {
      assert.equal(await store.leave(appId, room, '1.1', '42'), false);
      await join('1.1', member('42'));
      assert.equal(await store.leave(appId, room, '9.9', '42'), false);
      assert.equal(await store.leave(appId, room, '1.1', '7'), false);
      assert.equal(await store.count(appId, room), 1);
      assert.equal(await store.leave(appId, room, '1.1', '42'), true);
      assert.equal(await store.leave(appId, room, '1.1', '42'), false);
    });

    test('a user who left entirely is first again, with its new info', async () => {
      await join('1.1', member('42', '"old"'));
      await store.leave(appId, room, '1.1', '42');
      assert.deepEqual(joined(await join('1.2', member('42', '"new"'))), {
        first: true,
        members: [member('42', '"new"')],
      });
    });

    test('members: distinct users in join order, each with its first connection’s info', async () => {
      await join('1.1', member('b', '{"n":"b1"}'));
      await join('1.2', member('a'));
      await join('1.3', member('b', '{"n":"b2"}'));
      await join('1.4', member('c', '[1,2]'));
      const expected = [member('b', '{"n":"b1"}'), member('a'), member('c', '[1,2]')];
      assert.deepEqual(plain(await store.members(appId, room)), expected);
      assert.deepEqual(joined(await join('1.5', member('a', '"ignored"'))).members, expected);
      // The first connection leaving does not change whose info is kept.
      await store.leave(appId, room, '1.1', 'b');
      assert.deepEqual(plain(await store.members(appId, room)), expected);
    });

    test('info is stored as the exact text given; no info stays undefined', async () => {
      const info = '{"name":"Zoë 😀","q":"\\"x\\"","n":null}';
      await join('1.1', member('1', info));
      await join('1.2', member('2'));
      const [one, two] = await store.members(appId, room);
      assert.equal(one?.userInfo, info);
      assert.equal(two?.userInfo, undefined);
    });

    test('ids are matched exactly (strings, case included)', async () => {
      await join('1.1', member('Ann'));
      assert.equal(joined(await join('1.2', member('ann'))).first, true);
      assert.equal(joined(await join('1.3', member('10'))).first, true);
      assert.equal(joined(await join('1.4', member('010'))).first, true);
      assert.equal(await store.count(appId, room), 4);
    });

    test('full: a new user is refused when maxMembers distinct users are present', async () => {
      await join('1.1', member('1'), 2);
      await join('1.2', member('2'), 2);
      assert.deepEqual(await join('1.3', member('3'), 2), { full: true });
      assert.equal(await store.count(appId, room), 2);
      // A refused join leaves nothing behind.
      assert.equal(await store.leave(appId, room, '1.3', '3'), false);
      assert.deepEqual(
        (await store.members(appId, room)).map((m) => m.userId),
        ['1', '2'],
      );
    });

    test('full: a present user may still add connections', async () => {
      await join('1.1', member('1'), 2);
      await join('1.2', member('2'), 2);
      assert.deepEqual(joined(await join('1.3', member('1'), 2)), {
        first: false,
        members: [member('1'), member('2')],
      });
      assert.equal(await store.leave(appId, room, '1.1', '1'), false);
      assert.equal(await store.count(appId, room), 2);
    });

    test('full: a place freed by a leaving user can be taken', async () => {
      await join('1.1', member('1'), 1);
      assert.deepEqual(await join('1.2', member('2'), 1), { full: true });
      await store.leave(appId, room, '1.1', '1');
      assert.equal(joined(await join('1.2', member('2'), 1)).first, true);
    });

    test('the limit applies as given on each join', async () => {
      await join('1.1', member('1'), 1);
      assert.deepEqual(await join('1.2', member('2'), 1), { full: true });
      assert.equal(joined(await join('1.2', member('2'), 5)).first, true);
    });

    test('count is 0 and members empty for a channel nobody joined', async () => {
      assert.equal(await store.count(appId, 'presence-nobody'), 0);
      assert.deepEqual(await store.members(appId, 'presence-nobody'), []);
    });

    test('channels are isolated', async () => {
      await join('1.1', member('42'), LIMIT, 'presence-a');
      assert.equal(joined(await join('1.1', member('42'), LIMIT, 'presence-b')).first, true);
      await join('1.2', member('7'), LIMIT, 'presence-b');
      assert.equal(await store.count(appId, 'presence-a'), 1);
      assert.equal(await store.count(appId, 'presence-b'), 2);
      assert.equal(await store.leave(appId, 'presence-a', '1.1', '42'), true);
      assert.deepEqual(
        (await store.members(appId, 'presence-b')).map((m) => m.userId),
        ['42', '7'],
      );
      // Fullness is per channel.
      assert.deepEqual(await join('1.3', member('8'), 2, 'presence-b'), { full: true });
      assert.equal(joined(await join('1.3', member('8'), 2, 'presence-a')).first, true);
    });

    test('apps are isolated', async () => {
      const other = `app-${randomUUID()}`;
      await join('1.1', member('42', '"here"'));
      const there = await store.join(other, room, '1.1', member('42', '"there"'), LIMIT);
      assert.deepEqual(joined(there), { first: true, members: [member('42', '"there"')] });
      assert.equal(await store.leave(other, room, '1.1', '42'), true);
      assert.deepEqual(plain(await store.members(appId, room)), [member('42', '"here"')]);
      assert.equal(await store.count(other, room), 0);
    });

    test('concurrent joins of one user: exactly one is first', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => join(`1.${i}`, member('42', `"${i}"`))),
      );
      const firsts = results.map(joined).filter((result) => result.first);
      assert.equal(firsts.length, 1);
      assert.equal(await store.count(appId, room), 1);
      // The info kept is the first joiner's, whichever that was.
      const [kept] = await store.members(appId, room);
      assert.deepEqual(plain(firsts[0]!.members), [member('42', kept?.userInfo)]);
    });

    test('concurrent leaves of one user: exactly one is last', async () => {
      for (let i = 0; i < 30; i++) await join(`1.${i}`, member('42'));
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.leave(appId, room, `1.${i}`, '42')),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await store.count(appId, room), 0);
    });

    test('concurrent joins over the limit: exactly maxMembers users get in', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => join(`1.${i}`, member(`u${i}`), 5)),
      );
      assert.equal(results.filter((result) => !result.full).length, 5);
      assert.equal(await store.count(appId, room), 5);
    });
  });

  describe(`PresenceStore contract, held removals: ${name}`, () => {
    let store: PresenceStore;
    let appId: string;
    const room = 'presence-room';

    beforeEach(async () => {
      store = await factory(HOLD_MS);
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await store.close();
    });

    const join = async (socketId: string, userId: string) => {
      const result = await store.join(appId, room, socketId, member(userId), LIMIT);
      if (result.full) throw new Error('the join was refused as full');
      return { first: result.first, resumed: result.resumed };
    };

    test('a return within the hold is resumed; the holder’s claim then fails', async () => {
      assert.deepEqual(await join('1.1', 'ann'), { first: true, resumed: false });
      assert.equal(await store.leave(appId, room, '1.1', 'ann'), true);
      assert.deepEqual(await join('2.1', 'ann'), { first: true, resumed: true });
      assert.equal(await store.claimRemoval(appId, room, 'ann'), false);
    });

    test('a claim before the return wins once; the return is news again', async () => {
      await join('1.1', 'ann');
      await store.leave(appId, room, '1.1', 'ann');
      assert.equal(await store.claimRemoval(appId, room, 'ann'), true);
      assert.equal(await store.claimRemoval(appId, room, 'ann'), false, 'claimed once');
      assert.deepEqual(await join('2.1', 'ann'), { first: true, resumed: false });
    });

    test('only a last leave holds, and only for that user', async () => {
      await join('1.1', 'ann');
      await join('1.2', 'ann');
      await store.leave(appId, room, '1.1', 'ann');
      assert.equal(await store.claimRemoval(appId, room, 'ann'), false, 'ann is still present');
      await store.leave(appId, room, '1.2', 'ann');
      assert.deepEqual(await join('3.1', 'bob'), { first: true, resumed: false });
      assert.deepEqual(await join('3.2', 'bob'), { first: false, resumed: false });
      assert.equal(await store.claimRemoval(appId, room, 'ann'), true);
    });

    test('a user id with spaces and colons is held under its own name', async () => {
      await join('1.1', 'ann smith:1');
      await store.leave(appId, room, '1.1', 'ann smith:1');
      assert.equal(await store.claimRemoval(appId, room, 'ann smith'), false);
      assert.deepEqual(await join('2.1', 'ann smith:1'), { first: true, resumed: true });
    });
  });
}
