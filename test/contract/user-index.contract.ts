/**
 * The contract every {@link UserIndex} keeps, as one suite that runs against each
 * implementation. App ids are unique per test so implementations sharing a backend do not see
 * each other's keys.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { UserIndex } from '../../src/scaling/types.js';

export type UserIndexFactory = () => UserIndex | Promise<UserIndex>;

export function userIndexContract(name: string, factory: UserIndexFactory): void {
  describe(`UserIndex contract: ${name}`, () => {
    let index: UserIndex;
    let appId: string;

    beforeEach(async () => {
      index = await factory();
      appId = `app-${randomUUID()}`;
    });

    afterEach(async () => {
      await index.close();
    });

    const online = async (ids: string[]) => [...(await index.online(appId, ids))].sort();

    test('the first signed-in connection brings the user online, later ones do not', async () => {
      assert.equal(await index.signin(appId, '42', '1.1'), true);
      assert.equal(await index.signin(appId, '42', '1.2'), false);
      assert.equal(await index.signin(appId, '42', '2.1'), false);
      assert.deepEqual(await online(['42']), ['42']);
    });

    test('signing in twice with the same socket counts it once', async () => {
      assert.equal(await index.signin(appId, '42', '1.1'), true);
      assert.equal(await index.signin(appId, '42', '1.1'), false);
      assert.equal(await index.signout(appId, '42', '1.1'), true);
      assert.deepEqual(await online(['42']), []);
    });

    test('only the last connection’s signout takes the user offline', async () => {
      await index.signin(appId, '42', '1.1');
      await index.signin(appId, '42', '1.2');
      assert.equal(await index.signout(appId, '42', '1.1'), false);
      assert.deepEqual(await online(['42']), ['42']);
      assert.equal(await index.signout(appId, '42', '1.2'), true);
      assert.deepEqual(await online(['42']), []);
    });

    test('signing out twice, or a socket or user never signed in, is not offline', async () => {
      assert.equal(await index.signout(appId, '42', '1.1'), false);
      await index.signin(appId, '42', '1.1');
      assert.equal(await index.signout(appId, '42', '9.9'), false);
      assert.equal(await index.signout(appId, '7', '1.1'), false);
      assert.deepEqual(await online(['42']), ['42']);
      assert.equal(await index.signout(appId, '42', '1.1'), true);
      assert.equal(await index.signout(appId, '42', '1.1'), false);
    });

    test('a user who went offline comes online again', async () => {
      await index.signin(appId, '42', '1.1');
      await index.signout(appId, '42', '1.1');
      assert.equal(await index.signin(appId, '42', '1.2'), true);
      assert.deepEqual(await online(['42']), ['42']);
    });

    test('online answers which of the given ids are online, nothing more', async () => {
      await index.signin(appId, 'a', '1.1');
      await index.signin(appId, 'b', '1.2');
      await index.signin(appId, 'c', '1.3');
      assert.deepEqual(await online(['a', 'x', 'c', 'y']), ['a', 'c']);
      assert.deepEqual(await online(['x']), []);
      assert.deepEqual(await online([]), []);
      assert.deepEqual(await online(['a', 'a']), ['a']);
    });

    test('ids are matched exactly', async () => {
      await index.signin(appId, 'Ann', '1.1');
      assert.deepEqual(await online(['ann', 'Ann ', 'Ann']), ['Ann']);
      assert.equal(await index.signin(appId, 'ann', '1.2'), true);
    });

    test('apps are isolated', async () => {
      const other = `app-${randomUUID()}`;
      await index.signin(appId, '42', '1.1');
      assert.deepEqual([...(await index.online(other, ['42']))], []);
      assert.equal(await index.signin(other, '42', '1.1'), true);
      assert.equal(await index.signout(appId, '42', '1.1'), true);
      assert.deepEqual([...(await index.online(other, ['42']))], ['42']);
    });

    test('concurrent signins of one user: exactly one brings it online', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => index.signin(appId, '42', `1.${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('concurrent signouts of one user: exactly one takes it offline', async () => {
      for (let i = 0; i < 30; i++) await index.signin(appId, '42', `1.${i}`);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => index.signout(appId, '42', `1.${i}`)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(await online(['42']), []);
    });
  });
}
