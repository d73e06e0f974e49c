/**
 * Redis lost and back under a running two-node cluster, with a `redis-server` of the test's own
 * (no persistence, SIGKILLed by PID and restarted empty on the same port): the nodes keep their
 * connections, deliver to their own subscribers meanwhile, answer 503 on `/ready`, log the loss
 * and the return once each, and afterwards re-subscribe their channels and re-register their
 * presence members without any client doing anything.
 *
 * And a shorter cut that Redis itself survives with its data (a network blip, a failover): what
 * changed on a node meanwhile must reach Redis once it is back.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { killAll } from '../helpers/cli.js';
import {
  Cluster,
  NodeClients,
  WARN_LEVEL,
  eventually,
  type ClusterNode,
} from '../helpers/cluster.js';
import { nextEvent, statesOf, subscribe, type PusherJs } from '../helpers/pusher-js.js';
import { RawClients } from '../helpers/ws-client.js';
import { REDIS_URL, RedisServer, hasRedisServer, inspector, removeKeys } from '../helpers/redis.js';
import { RedisRelay } from '../helpers/redis-relay.js';
import { get } from '../helpers/rest.js';

const LOST = 'Redis connection lost';
const RESTORED = 'Redis connection restored';

describe(
  'a cluster whose Redis goes away and comes back empty',
  { skip: hasRedisServer() ? false : 'redis-server is not installed' },
  () => {
    let server: RedisServer;
    let cluster: Cluster;
    let A: ClusterNode;
    let B: ClusterNode;
    const clients = new NodeClients();

    async function pusherOn(node: ClusterNode): Promise<PusherJs> {
      return clients.pusherJs(node).connect();
    }

    async function memberOn(node: ClusterNode, userId: string): Promise<PusherJs> {
      return clients.auth(node).connect({ member: { user_id: userId } });
    }

    async function usersOf(node: ClusterNode, channel: string): Promise<string[]> {
      const response = await get(node, `/channels/${channel}/users`);
      if (response.status !== 200) return [];
      const { users } = JSON.parse(response.body) as { users: Array<{ id: string }> };
      return users.map((user) => user.id).sort();
    }

    async function subscriptionCount(node: ClusterNode, channel: string): Promise<number> {
      const response = await get(node, `/channels/${channel}`, { info: 'subscription_count' });
      assert.equal(response.status, 200, response.body);
      return (JSON.parse(response.body) as { subscription_count?: number }).subscription_count ?? 0;
    }

    /** Subscribers of `topic` according to Redis: nodes that listen to the channel. */
    async function listeners(topic: string): Promise<number> {
      const redis = await inspector(server.url);
      try {
        const [, count] = (await redis.pubsub('NUMSUB', topic)) as [string, number];
        return count;
      } finally {
        redis.disconnect();
      }
    }

    before(async () => {
      server = await RedisServer.start();
      cluster = await Cluster.start({ nodes: 2, redisUrl: server.url, nodeTimeout: 2 });
      [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
    });
    afterEach(() => clients.closeAll());
    after(async () => {
      try {
        await cluster?.stop();
      } finally {
        killAll();
        await server?.kill();
      }
    });

    it('keeps local delivery, reports not ready, logs once, and recovers by itself', async () => {
      const feed = 'feed';
      const desk = 'presence-desk';
      const onA = await pusherOn(A);
      const onB = await pusherOn(B);
      const feedA = await subscribe(onA, feed);
      const feedB = await subscribe(onB, feed);
      const ann = await memberOn(A, 'ann');
      const bob = await memberOn(B, 'bob');
      await subscribe(ann, desk);
      await subscribe(bob, desk);
      await eventually(
        async () => ((await usersOf(B, desk)).length === 2 ? true : undefined),
        'both members recorded',
      );
      const clients = [onA, onB, ann, bob];
      const from = { A: A.process.lines.length, B: B.process.lines.length };

      await server.kill();
      await Promise.all([
        A.lineAfter(from.A, (line) => line.msg.startsWith(LOST), 'the loss'),
        B.lineAfter(from.B, (line) => line.msg.startsWith(LOST), 'the loss'),
      ]);
      assert.equal(await A.readyStatus(), 503, 'A is not ready while Redis is down');
      assert.equal(await B.readyStatus(), 503, 'B is not ready while Redis is down');

      // Local delivery goes on, message after message (each would have been an error to log).
      for (let i = 0; i < 5; i++) await A.sdk.trigger(feed, 'during', { i });
      for (let i = 0; i < 5; i++) assert.deepEqual(await nextEvent(feedA, 'during'), { i });
      // A subscription made during the outage works locally and is recorded once Redis is back.
      const late = await pusherOn(A);
      const lateFeed = await subscribe(late, 'late-feed');
      await A.sdk.trigger('late-feed', 'during', { late: true });
      assert.deepEqual(await nextEvent(lateFeed, 'during'), { late: true });
      clients.push(late);

      await server.restart();
      await Promise.all([
        A.lineAfter(from.A, (line) => line.msg === RESTORED, 'the return'),
        B.lineAfter(from.B, (line) => line.msg === RESTORED, 'the return'),
      ]);
      await eventually(
        async () => ((await A.readyStatus()) === 200 ? true : undefined),
        'A ready again',
      );
      assert.equal(await B.readyStatus(), 200, 'B ready again');

      // Re-subscribed by the nodes themselves: Redis routes the channels to them again.
      await eventually(
        async () =>
          (await listeners(cluster.topic(feed))) === 2 &&
          (await listeners(cluster.topic('late-feed'))) === 1
            ? true
            : undefined,
        'both nodes listening to their channels again',
      );
      await A.sdk.trigger(feed, 'after', { from: 'A' });
      assert.deepEqual(await nextEvent(feedB, 'after'), { from: 'A' }, 'A reaches B again');
      await B.sdk.trigger('late-feed', 'after', { from: 'B' });
      assert.deepEqual(await nextEvent(lateFeed, 'after'), { from: 'B' }, 'B reaches A');

      // Re-registered: the empty Redis learns every membership again, nobody resubscribed.
      await eventually(
        async () => ((await usersOf(B, desk)).join() === 'ann,bob' ? true : undefined),
        'both presence members listed again',
        undefined,
        () => 'GET /users',
      );
      assert.deepEqual(await usersOf(A, desk), ['ann', 'bob']);
      assert.equal(await subscriptionCount(B, feed), 2);
      assert.equal(await subscriptionCount(B, 'late-feed'), 1);
      assert.equal(await subscriptionCount(A, desk), 2);

      for (const pusher of clients) {
        assert.deepEqual(statesOf(pusher).pending(), [], 'no client noticed anything');
        assert.equal(pusher.connection.state, 'connected');
      }
      for (const node of [A, B]) {
        const lines = node.linesFrom(from[node.name as 'A' | 'B']);
        const loud = lines.filter((line) => line.level >= WARN_LEVEL).map((line) => line.msg);
        assert.equal(loud.length, 1, `one warning or error on ${node.name}: ${loud.join(' | ')}`);
        assert.match(loud[0]!, new RegExp(`^${LOST}`));
        assert.equal(lines.filter((line) => line.msg === RESTORED).length, 1, node.name);
        assert.equal(node.process.stderr, '', `nothing on ${node.name}'s stderr`);
      }
    });

    it('answers REST calls that need Redis with 503, logs none of them, still delivers locally', async () => {
      const cached = await subscribe(await pusherOn(A), 'cache-board');
      const from = A.process.lines.length;
      await server.kill();
      await A.lineAfter(from, (line) => line.msg.startsWith(LOST), 'the loss');
      try {
        const calls = [
          get(A, '/channels'),
          get(A, '/channels/feed', { info: 'subscription_count' }),
          get(A, '/channels/presence-desk/users'),
        ];
        for (const response of await Promise.all(calls)) {
          assert.equal(response.status, 503, response.body);
        }
        await A.sdk.trigger('cache-board', 'pinned', { note: 'local' });
        assert.deepEqual(await nextEvent(cached, 'pinned'), { note: 'local' });
        const loud = A.linesFrom(from).filter((line) => line.level >= WARN_LEVEL);
        assert.deepEqual(
          loud.map((line) => line.msg.slice(0, LOST.length)),
          [LOST],
          'only the loss is logged',
        );
      } finally {
        await server.restart();
        await A.lineAfter(from, (line) => line.msg === RESTORED, 'the return');
      }
    });
  },
);

describe('a cluster cut from a Redis that keeps its data', () => {
  let relay: RedisRelay;
  let cluster: Cluster;
  let A: ClusterNode;
  let B: ClusterNode;
  const clients = new NodeClients();

  before(async () => {
    relay = await RedisRelay.start(REDIS_URL);
    // A node timeout far longer than the cut: nobody is taken for dead. Debug logs show when a
    // node has handled a disconnect it could not record.
    cluster = await Cluster.start({
      nodes: 2,
      redisUrl: relay.url,
      nodeTimeout: 30,
      args: ['--log-level', 'debug'],
    });
    [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(async () => {
    try {
      await clients.closeAll();
      await cluster?.stop();
      await relay?.close();
      // The relay leads to the machine's Redis, which the cluster does not know to clean.
      if (cluster !== undefined) await removeKeys(cluster.prefix);
    } finally {
      killAll();
    }
  });

  it('leaves and joins made during the cut are recorded once Redis is reachable again', async () => {
    const desk = 'presence-desk';
    const memberOn = (node: ClusterNode, userId: string) =>
      clients.auth(node).connect({ member: { user_id: userId } });
    const ann = await memberOn(A, 'ann');
    await subscribe(ann, desk);
    const bob = await memberOn(B, 'bob');
    const bobDesk = await subscribe(bob, desk);
    const users = async () => {
      const response = await get(B, `/channels/${desk}/users`);
      return response.status === 200
        ? (JSON.parse(response.body) as { users: Array<{ id: string }> }).users.map((u) => u.id)
        : undefined;
    };
    await eventually(
      async () => ((await users())?.length === 2 ? true : undefined),
      'both members',
    );
    const from = { A: A.process.lines.length, B: B.process.lines.length };

    relay.cut();
    await Promise.all([
      A.lineAfter(from.A, (line) => line.msg.startsWith(LOST), 'the loss'),
      B.lineAfter(from.B, (line) => line.msg.startsWith(LOST), 'the loss'),
    ]);
    ann.disconnect();
    await A.lineAfter(from.A, (line) => line.msg === 'presence leave failed', 'ann’s leave');
    await subscribe(await clients.pusherJs(A).connect(), 'desk-feed');
    relay.mend();
    await Promise.all([
      A.lineAfter(from.A, (line) => line.msg === RESTORED, 'the return'),
      B.lineAfter(from.B, (line) => line.msg === RESTORED, 'the return'),
    ]);

    let listed: string[] | undefined;
    await eventually(
      async () => ((listed = await users())?.join() === 'bob' ? true : undefined),
      'ann no longer listed',
      undefined,
      () => `GET /users lists ${JSON.stringify(listed)}`,
    );
    // ann joined without user_info: pusher-js keeps the hash's null as her info.
    assert.deepEqual(await nextEvent(bobDesk, 'pusher:member_removed'), { id: 'ann', info: null });
    await eventually(async () => {
      const response = await get(B, '/channels/desk-feed', { info: 'subscription_count' });
      const { subscription_count: count } = JSON.parse(response.body) as {
        subscription_count?: number;
      };
      return count === 1 ? true : undefined;
    }, 'the subscription made during the cut counted');
  });
});

describe(
  'a Redis that refuses writes',
  {
    skip: hasRedisServer() ? false : 'redis-server is not installed',
  },
  () => {
    let server: RedisServer;
    let cluster: Cluster;

    before(async () => {
      server = await RedisServer.start();
      cluster = await Cluster.start({ nodes: 1, redisUrl: server.url });
    });
    after(async () => {
      try {
        await cluster?.stop();
      } finally {
        killAll();
        await server?.kill();
      }
    });

    it('is logged as an error while the node keeps serving', async () => {
      const [A] = cluster.nodes as [ClusterNode];
      const redis = await inspector(server.url);
      const raw = new RawClients(A);
      try {
        // Out of memory with nothing to evict: Redis answers every write with an OOM error.
        await redis.config('SET', 'maxmemory-policy', 'noeviction');
        await redis.config('SET', 'maxmemory', '1');
        const client = await raw.connect({ key: A.app.key });
        await client.subscribe('refused');
        await A.lineAfter(0, (line) => line.msg === 'channel index join failed', 'the error');
        await A.sdk.trigger('refused', 'still', {});
        await client.nextEvent('still', 'refused');
        assert.equal(A.running, true);
      } finally {
        await redis.config('SET', 'maxmemory', '0');
        redis.disconnect();
        await raw.closeAll();
      }
    });
  },
);
