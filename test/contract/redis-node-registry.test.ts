/**
 * The Redis node registry: a dead node's subscriptions, presence memberships and sign-ins are
 * removed by one survivor, and what that changed is reported once for the cluster. "Death" is the
 * liveness key disappearing: deleted by the test, or expired after a short node timeout.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Orphans } from '../../src/scaling/node-registry.js';
import { RedisChannelIndex } from '../../src/scaling/redis/redis-channel-index.js';
import type { RedisLink } from '../../src/scaling/redis/redis-link.js';
import { RedisNodeRegistry } from '../../src/scaling/redis/redis-node-registry.js';
import { RedisPresenceStore } from '../../src/scaling/redis/redis-presence-store.js';
import { RedisUserIndex } from '../../src/scaling/redis/redis-user-index.js';
import {
  REDIS_URL,
  inspector,
  keysOf,
  removeKeys,
  testLink,
  testNodeId,
  testPrefix,
} from '../helpers/redis.js';

const WAIT_MS = 5000;

interface Node {
  readonly link: RedisLink;
  readonly index: RedisChannelIndex;
  readonly presence: RedisPresenceStore;
  readonly users: RedisUserIndex;
  readonly registry: RedisNodeRegistry;
  close(): Promise<void>;
}

const byJson = <T>(items: readonly T[]) => [...items].map((item) => JSON.stringify(item)).sort();

/** Orphans with its lists in a stable order. */
const sorted = (orphans: Orphans) => ({
  nodeId: orphans.nodeId,
  membersRemoved: byJson(orphans.membersRemoved),
  vacated: byJson(orphans.vacated),
  countChanged: byJson(orphans.countChanged),
  wentOffline: byJson(orphans.wentOffline),
});

describe('RedisNodeRegistry', () => {
  let prefix: string;
  let redis: Redis;
  let appId: string;
  const nodes: Node[] = [];

  async function node(
    options: { nodeId?: string; timeoutMs?: number; holdMs?: number } = {},
  ): Promise<Node> {
    const link = await testLink(
      prefix,
      options.nodeId ?? testNodeId(),
      REDIS_URL,
      options.holdMs ?? 0,
    );
    const index = new RedisChannelIndex(link);
    const presence = new RedisPresenceStore(link);
    const users = new RedisUserIndex(link);
    let registry: RedisNodeRegistry;
    try {
      registry = await RedisNodeRegistry.start(link, options.timeoutMs ?? 30_000);
    } catch (error) {
      await Promise.all([index.close(), presence.close(), users.close()]);
      throw error;
    }
    const created: Node = {
      link,
      index,
      presence,
      users,
      registry,
      close: () =>
        Promise.all([index.close(), presence.close(), users.close(), registry.close()]).then(
          () => {},
        ),
    };
    nodes.push(created);
    return created;
  }

  /** What the node's process dying does to Redis: its liveness is gone (and nothing else). */
  const kill = (dead: Node) => redis.del(`${prefix}:node:${dead.registry.nodeId}:alive`);

  /** A subscription the way the core makes one on a presence channel: index and presence. */
  async function joinPresence(n: Node, channel: string, socketId: string, userId: string) {
    await n.index.join(appId, channel, socketId);
    await n.presence.join(appId, channel, socketId, { userId, userInfo: undefined }, 100);
  }

  beforeEach(async () => {
    prefix = testPrefix('registry');
    redis = await inspector();
    appId = `app-${randomUUID()}`;
  });

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    redis.disconnect();
    await removeKeys(prefix);
  });

  test('a reap holds what it removes as a live leave would; a return takes it back', async () => {
    const a = await node({ holdMs: 3000 });
    const b = await node({ holdMs: 3000 });
    await joinPresence(a, 'presence-room', 'a.1', '42');
    await joinPresence(a, 'presence-back', 'a.2', '7');
    await kill(a);
    const [orphans] = await b.registry.reapDeadNodes();
    assert.equal(orphans?.vacated.length, 2);
    const vacancy = b.link.keys.vacancy(appId, 'presence-room');
    const ttl = await redis.pttl(vacancy);
    assert.ok(ttl > 3000 && ttl <= 36_000, `the held vacancy expires in ${ttl} ms`);
    // The user of presence-back returns to b within the delay; presence-room stays empty.
    await joinPresence(b, 'presence-back', 'b.1', '7');
    assert.equal(await b.index.claimVacancy(appId, 'presence-back'), false);
    assert.equal(await b.presence.claimRemoval(appId, 'presence-back', '7'), false);
    assert.equal(await b.index.claimVacancy(appId, 'presence-room'), true);
    assert.equal(await b.presence.claimRemoval(appId, 'presence-room', '42'), true);
  });

  test('a dead node’s memberships are removed, and each consequence reported', async () => {
    const a = await node();
    const b = await node();
    await a.index.join(appId, 'news', 'a.1');
    await a.index.join(appId, 'news', 'a.2');
    await a.index.join(appId, 'lobby', 'a.1');
    await b.index.join(appId, 'lobby', 'b.1');
    await joinPresence(a, 'presence-room', 'a.1', '42');
    await joinPresence(a, 'presence-room', 'a.2', '42');
    await joinPresence(a, 'presence-room', 'a.3', '7');
    await joinPresence(b, 'presence-room', 'b.1', '7');
    await a.users.signin(appId, 'u1', 'a.1');
    await a.users.signin(appId, 'u2', 'a.2');
    await b.users.signin(appId, 'u2', 'b.1');

    await kill(a);
    const reaped = await b.registry.reapDeadNodes();

    assert.deepEqual(reaped.map(sorted), [
      sorted({
        nodeId: a.registry.nodeId,
        membersRemoved: [{ appId, channel: 'presence-room', userId: '42' }],
        vacated: [{ appId, channel: 'news' }],
        countChanged: [
          { appId, channel: 'lobby' },
          { appId, channel: 'presence-room' },
        ],
        wentOffline: [{ appId, userId: 'u1' }],
      }),
    ]);
    assert.equal(await b.index.count(appId, 'news'), 0);
    assert.deepEqual(
      await b.index.list(appId),
      new Map([
        ['lobby', 1],
        ['presence-room', 1],
      ]),
    );
    assert.deepEqual(await b.presence.members(appId, 'presence-room'), [
      { userId: '7', userInfo: undefined },
    ]);
    assert.deepEqual([...(await b.users.online(appId, ['u1', 'u2']))], ['u2']);
    assert.deepEqual(await redis.smembers(`${prefix}:nodes`), [b.registry.nodeId]);
    assert.equal(await redis.exists(`${prefix}:node:${a.registry.nodeId}:owned`), 0);
    // Nothing is reported twice.
    assert.deepEqual(await b.registry.reapDeadNodes(), []);
  });

  test('a live node is not reaped, and a reaper never reaps itself', async () => {
    const a = await node();
    const b = await node();
    await a.index.join(appId, 'news', 'a.1');
    await b.index.join(appId, 'news', 'b.1');
    assert.deepEqual(await b.registry.reapDeadNodes(), []);
    await kill(b);
    assert.deepEqual(await b.registry.reapDeadNodes(), []);
    assert.equal(await a.index.count(appId, 'news'), 2);
  });

  test('a liveness left unrefreshed expires after the node timeout', async () => {
    const a = await node({ timeoutMs: 300 });
    const b = await node();
    await a.index.join(appId, 'news', 'a.1');
    assert.deepEqual(await b.registry.reapDeadNodes(), []);
    const alive = `${prefix}:node:${a.registry.nodeId}:alive`;
    const deadline = Date.now() + WAIT_MS;
    while ((await redis.exists(alive)) === 1) {
      assert.ok(Date.now() < deadline, 'the liveness key did not expire');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [orphans] = await b.registry.reapDeadNodes();
    assert.deepEqual(orphans?.vacated, [{ appId, channel: 'news' }]);
  });

  test('heartbeats keep a node alive; one after a lapse says so', async () => {
    const a = await node({ timeoutMs: 300 });
    const b = await node();
    assert.equal(await a.registry.heartbeat(), false);
    const ttl = await redis.pttl(`${prefix}:node:${a.registry.nodeId}:alive`);
    assert.ok(ttl > 0 && ttl <= 300, `liveness ttl ${ttl}`);
    await kill(a);
    assert.equal(await a.registry.heartbeat(), true);
    assert.equal(await a.registry.heartbeat(), false);
    assert.deepEqual(await b.registry.reapDeadNodes(), []);
  });

  test('two reapers at once: each dead node is reaped by one of them', async () => {
    const x = await node();
    const y = await node();
    const sockets = (n: Node, tag: string) =>
      Promise.all(
        Array.from({ length: 700 }, (_, i) =>
          n.index.join(appId, `${tag}-${i % 3}`, `${tag}.${i}`),
        ),
      );
    await Promise.all([sockets(x, 'x'), sockets(y, 'y')]);
    await joinPresence(x, 'presence-shared', 'x.p', 'ann');
    await joinPresence(y, 'presence-shared', 'y.p', 'ann');
    await x.users.signin(appId, 'bob', 'x.u');
    await y.users.signin(appId, 'bob', 'y.u');
    const b = await node();
    const c = await node();
    await Promise.all([kill(x), kill(y)]);

    const reaped = (
      await Promise.all([b.registry.reapDeadNodes(), c.registry.reapDeadNodes()])
    ).flat();

    assert.deepEqual(
      reaped.map((orphans) => orphans.nodeId).sort(),
      [x.registry.nodeId, y.registry.nodeId].sort(),
    );
    const all = <K extends 'vacated' | 'membersRemoved' | 'wentOffline'>(key: K) =>
      byJson(reaped.flatMap((orphans) => orphans[key] as readonly object[]));
    assert.deepEqual(
      all('vacated'),
      byJson(
        ['presence-shared', 'x-0', 'x-1', 'x-2', 'y-0', 'y-1', 'y-2'].map((channel) => ({
          appId,
          channel,
        })),
      ),
    );
    assert.deepEqual(
      all('membersRemoved'),
      byJson([{ appId, channel: 'presence-shared', userId: 'ann' }]),
    );
    assert.deepEqual(all('wentOffline'), byJson([{ appId, userId: 'bob' }]));
    assert.deepEqual(await b.index.list(appId), new Map());
  });

  test('a reap in several batches reports each channel once', async () => {
    const a = await node();
    const b = await node();
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        a.index.join(appId, i % 2 ? 'big' : 'shared', `a.${i}`),
      ),
    );
    await b.index.join(appId, 'shared', 'b.1');
    await kill(a);
    const [orphans, ...more] = await b.registry.reapDeadNodes();
    assert.deepEqual(more, []);
    assert.deepEqual(orphans?.vacated, [{ appId, channel: 'big' }]);
    assert.deepEqual(orphans.countChanged, [{ appId, channel: 'shared' }]);
    assert.deepEqual(await b.index.list(appId), new Map([['shared', 1]]));
  });

  test('a reap stops when the node is alive again or the claim is another’s', async () => {
    const a = await node();
    const b = await node();
    await a.index.join(appId, 'news', 'a.1');
    const { keys, scripts } = b.link;
    const id = a.registry.nodeId;
    const run = () =>
      scripts.run(
        'reapNode',
        [keys.owned(id), keys.alive(id), keys.reaper(id), keys.nodes()],
        [keys.prefix, id, b.registry.nodeId, 100, 30_000],
      );
    await redis.set(keys.reaper(id), b.registry.nodeId);
    assert.deepEqual(await run(), [-1]); // alive
    await kill(a);
    await redis.set(keys.reaper(id), 'someone-else');
    assert.deepEqual(await run(), [-1]); // claimed by another reaper
    assert.equal(await redis.scard(keys.owned(id)), 1);
    assert.equal(await a.index.count(appId, 'news'), 1);
  });

  test('ids with separators, spaces, newlines and odd Unicode are reaped exactly', async () => {
    const oddApp = `a:b%3A:${randomUUID()}`;
    const user = 'x:y z\n\u0000é😀\ud800';
    const a = await node();
    const b = await node();
    await a.index.join(oddApp, 'presence-odd', 'a.1');
    await a.presence.join(oddApp, 'presence-odd', 'a.1', { userId: user, userInfo: '{}' }, 10);
    await a.users.signin(oddApp, user, 'a.1');
    await kill(a);
    const [orphans] = await b.registry.reapDeadNodes();
    // The lone surrogate arrives as U+FFFD: the bytes Redis stored for it.
    const stored = Buffer.from(user).toString();
    assert.deepEqual(sorted(orphans!), {
      nodeId: a.registry.nodeId,
      membersRemoved: byJson([{ appId: oddApp, channel: 'presence-odd', userId: stored }]),
      vacated: byJson([{ appId: oddApp, channel: 'presence-odd' }]),
      countChanged: [],
      wentOffline: byJson([{ appId: oddApp, userId: stored }]),
    });
    const left = (await keysOf(redis, prefix)).filter((key) => !key.includes(':node'));
    assert.deepEqual(left, []);
  });

  test('a node id in use is refused; a dead predecessor’s leftovers are reaped at start', async () => {
    const nodeId = testNodeId();
    const first = await node({ nodeId });
    await first.index.join(appId, 'news', 'old.1');
    await assert.rejects(node({ nodeId }), /Node id ".*" is in use by a running node/);
    await kill(first);
    const second = await node({ nodeId });
    const [orphans] = await second.registry.reapDeadNodes();
    assert.deepEqual(orphans?.vacated, [{ appId, channel: 'news' }]);
    assert.equal(await second.index.count(appId, 'news'), 0);
    assert.deepEqual(await second.registry.reapDeadNodes(), []);
  });

  test('close leaves the cluster; what it still holds is reaped at once', async () => {
    const a = await node();
    const b = await node();
    const c = await node();
    await a.index.join(appId, 'news', 'a.1');
    await a.index.leave(appId, 'news', 'a.1');
    await c.index.join(appId, 'lobby', 'c.1');
    await a.close();
    await c.close();
    assert.deepEqual(
      (await redis.smembers(`${prefix}:nodes`)).sort(),
      [b.registry.nodeId, c.registry.nodeId].sort(),
    );
    const reaped = await b.registry.reapDeadNodes();
    assert.deepEqual(
      reaped.map((orphans) => [orphans.nodeId, orphans.vacated]),
      [[c.registry.nodeId, [{ appId, channel: 'lobby' }]]],
    );
    assert.deepEqual(await redis.smembers(`${prefix}:nodes`), [b.registry.nodeId]);
  });
});
