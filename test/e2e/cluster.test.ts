/**
 * Three herald processes on one Redis behave as one server: whatever node a REST call, a client
 * event or a subscriber uses, the result is the single node's. Real pusher-js clients and the
 * `pusher` SDK against `node bin/herald.js start --adapter redis` child processes; the cluster
 * has a Redis key prefix of its own, and every test uses channels and users no other test does.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Channel } from 'pusher-js';
import { killAll } from '../helpers/cli.js';
import { Cluster, NodeClients, eventually, type ClusterNode } from '../helpers/cluster.js';
import { eventsOf, nextEvent, subscribe, type PusherJs } from '../helpers/pusher-js.js';
import { itemsBefore, rawSignin, signin, triggerMarker, userEventsOf } from '../helpers/auth.js';
import type { AuthClients } from '../helpers/auth.js';
import { get } from '../helpers/rest.js';
import type { RawClient } from '../helpers/ws-client.js';

describe('a cluster of three nodes', () => {
  let cluster: Cluster;
  let nodes: readonly ClusterNode[];
  let A: ClusterNode;
  let B: ClusterNode;
  let C: ClusterNode;
  const run = randomUUID().slice(0, 8);
  let names = 0;
  /** A name no other test (or earlier run sharing the Redis) uses. */
  const fresh = (base: string) => `${base}-${run}-${++names}`;

  const clients = new NodeClients();

  /** A connected pusher-js client of `node` whose private subscriptions are signed. */
  async function pusherOn(node: ClusterNode): Promise<PusherJs> {
    return clients.pusherJs(node).connect();
  }

  /** Connects a client on each node and subscribes it to `channel`. */
  async function subscribersOn(
    channel: string,
    on: readonly ClusterNode[] = nodes,
  ): Promise<Channel[]> {
    return Promise.all(on.map(async (node) => subscribe(await pusherOn(node), channel)));
  }

  function authOn(node: ClusterNode): AuthClients {
    return clients.auth(node);
  }

  function rawOn(node: ClusterNode): Promise<RawClient> {
    return clients.raw(node).connect({ key: node.app.key });
  }

  /** The events `channel` emitted before a marker triggered now through `through`. */
  async function eventsBeforeMarker(channel: Channel, through: ClusterNode) {
    const marker = await triggerMarker(through.sdk, channel.name);
    const seen = await itemsBefore(eventsOf(channel), (e) => e.event === marker, marker);
    return seen.map((e) => e.event);
  }

  async function json(node: ClusterNode, path: string, params: Record<string, string> = {}) {
    const response = await get(node, path, params);
    assert.equal(response.status, 200, `GET ${path} on ${node.name}: ${response.body}`);
    return JSON.parse(response.body) as unknown;
  }

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    nodes = cluster.nodes;
    [A, B, C] = nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  afterEach(() => clients.closeAll());
  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      killAll();
    }
  });

  describe('delivery', () => {
    it('a REST trigger on A reaches the subscribers on A, B and C', async () => {
      const channel = fresh('news');
      const subscribers = await subscribersOn(channel);
      await A.sdk.trigger(channel, 'headline', { text: 'one server' });
      for (const [i, subscriber] of subscribers.entries()) {
        assert.deepEqual(
          await nextEvent(subscriber, 'headline'),
          { text: 'one server' },
          `subscriber on ${nodes[i]!.name}`,
        );
      }
    });

    it('a batch trigger on B reaches each channel’s subscribers on every node', async () => {
      const first = fresh('batch-a');
      const second = fresh('batch-b');
      const [onA, onC] = await subscribersOn(first, [A, C]);
      const [alsoOnA, onB] = await subscribersOn(second, [A, B]);
      await B.sdk.triggerBatch([
        { channel: first, name: 'one', data: JSON.stringify({ n: 1 }) },
        { channel: second, name: 'two', data: JSON.stringify({ n: 2 }) },
      ]);
      assert.deepEqual(await nextEvent(onA!, 'one'), { n: 1 });
      assert.deepEqual(await nextEvent(onC!, 'one'), { n: 1 });
      assert.deepEqual(await nextEvent(alsoOnA!, 'two'), { n: 2 });
      assert.deepEqual(await nextEvent(onB!, 'two'), { n: 2 });
    });

    it('a client event sent on A reaches private-channel subscribers on A, B and C, not its sender', async () => {
      const channel = fresh('private-board');
      const [sender, sameNode, onB, onC] = await subscribersOn(channel, [A, A, B, C]);
      sender!.trigger('client-move', { x: 1, y: 2 });
      for (const receiver of [sameNode!, onB!, onC!]) {
        assert.deepEqual(await nextEvent(receiver, 'client-move'), { x: 1, y: 2 });
      }
      assert.deepEqual(await eventsBeforeMarker(sender!, A), [], 'the sender got nothing back');
    });

    it('sendToUser on A reaches the user signed in on B and C', async () => {
      const user = { id: fresh('reader') };
      const auth = [authOn(B), authOn(C)];
      const [onB, onC] = await Promise.all(auth.map((clients) => clients.connect({ user })));
      await Promise.all([signin(onB!), signin(onC!)]);
      await A.sdk.sendToUser(user.id, 'notice', { unread: 3 });
      for (const pusher of [onB!, onC!]) {
        const got = await userEventsOf(pusher).next((e) => e.event === 'notice', 'notice');
        assert.deepEqual(got.data, { unread: 3 });
      }
    });

    it('a cache channel triggered on A gives a new subscriber on B the cached event', async () => {
      const channel = fresh('cache-scores');
      await A.sdk.trigger(channel, 'score', { home: 2, away: 1 });
      const pusher = await pusherOn(B);
      const cached = pusher.subscribe(channel);
      const events = eventsOf(cached);
      await events.next((e) => e.event === 'pusher:subscription_succeeded', 'subscribed');
      const got = await events.next((e) => !e.event.startsWith('pusher'), 'the cached event');
      assert.deepEqual(got, { event: 'score', data: { home: 2, away: 1 } });

      const { cache } = (await json(C, `/channels/${channel}`, { info: 'cache' })) as {
        cache: { data: string; ttl: number } | null;
      };
      assert.equal(cache?.data, JSON.stringify({ home: 2, away: 1 }), 'C reads the same cache');
    });

    it('socket_id on a trigger to A excludes that connection on B, and only it', async () => {
      const channel = fresh('excluding');
      const [onA, onC] = await subscribersOn(channel, [A, C]);
      const excluded = await pusherOn(B);
      const onB = await subscribe(excluded, channel);
      const socketId = excluded.connection.socket_id;
      await A.sdk.trigger(channel, 'update', { v: 1 }, { socket_id: socketId });
      assert.deepEqual(await nextEvent(onA!, 'update'), { v: 1 });
      assert.deepEqual(await nextEvent(onC!, 'update'), { v: 1 });
      assert.deepEqual(await eventsBeforeMarker(onB, A), [], 'the excluded connection');
    });

    it('100 events triggered one after another on A arrive in order on every node', async () => {
      const channel = fresh('ordered');
      const subscribers = await subscribersOn(channel);
      for (let seq = 0; seq < 100; seq++) await A.sdk.trigger(channel, 'tick', { seq });
      for (const [i, subscriber] of subscribers.entries()) {
        const events = eventsOf(subscriber);
        await events.next(
          (e) => e.event === 'tick' && (e.data as { seq: number }).seq === 99,
          `the 100th tick on ${nodes[i]!.name}`,
        );
        const order = events.items
          .filter((e) => e.event === 'tick')
          .map((e) => (e.data as { seq: number }).seq);
        assert.deepEqual(
          order,
          Array.from({ length: 100 }, (_, seq) => seq),
          `subscriber on ${nodes[i]!.name}`,
        );
      }
    });
  });

  describe('the HTTP API answers for the whole cluster from any node', () => {
    it('GET /channels, /channels/{name}, /users and trigger info count every node', async () => {
      const base = fresh('counted');
      const publicChannel = `${base}-public`;
      const presenceChannel = `presence-${base}`;
      // Four connections on the public channel; three on the presence channel, two of them one
      // user with a tab on A and one on B.
      await subscribersOn(publicChannel, [A, B, B, C]);
      const ann = { user_id: 'ann', user_info: { name: 'Ann' } };
      const bob = { user_id: 'bob' };
      const members = [
        { node: A, member: ann },
        { node: B, member: ann },
        { node: C, member: bob },
      ];
      await Promise.all(
        members.map(async ({ node, member }) => {
          const pusher = await authOn(node).connect({ member });
          await subscribe(pusher, presenceChannel);
        }),
      );
      // Subscriptions are confirmed once routed; their counts reach Redis on another connection.
      await eventually(async () => {
        const [pub, presence] = await Promise.all([
          json(A, `/channels/${publicChannel}`, { info: 'subscription_count' }),
          json(A, `/channels/${presenceChannel}`, { info: 'subscription_count' }),
        ]);
        const counts = [pub, presence].map(
          (r) => (r as { subscription_count?: number }).subscription_count,
        );
        return counts[0] === 4 && counts[1] === 3 ? true : undefined;
      }, 'every subscription counted');

      for (const node of nodes) {
        const where = `asked ${node.name}`;
        assert.deepEqual(
          await json(node, '/channels', { filter_by_prefix: base, info: 'subscription_count' }),
          { channels: { [publicChannel]: { subscription_count: 4 } } },
          where,
        );
        assert.deepEqual(
          await json(node, '/channels', {
            filter_by_prefix: presenceChannel,
            info: 'user_count',
          }),
          { channels: { [presenceChannel]: { user_count: 2 } } },
          where,
        );
        assert.deepEqual(
          await json(node, `/channels/${publicChannel}`, { info: 'subscription_count' }),
          { occupied: true, subscription_count: 4 },
          where,
        );
        assert.deepEqual(
          await json(node, `/channels/${presenceChannel}`, {
            info: 'user_count,subscription_count',
          }),
          { occupied: true, user_count: 2, subscription_count: 3 },
          where,
        );
        const { users } = (await json(node, `/channels/${presenceChannel}/users`)) as {
          users: Array<{ id: string }>;
        };
        assert.deepEqual(users.map((user) => user.id).sort(), ['ann', 'bob'], where);

        const publicInfo = await node.sdk.trigger(
          publicChannel,
          'probe',
          {},
          { info: 'subscription_count' },
        );
        assert.deepEqual(
          await publicInfo.json(),
          { channels: { [publicChannel]: { subscription_count: 4 } } },
          `trigger info, ${where}`,
        );
        const presenceInfo = await node.sdk.trigger(
          presenceChannel,
          'probe',
          {},
          { info: 'user_count,subscription_count' },
        );
        assert.deepEqual(
          await presenceInfo.json(),
          { channels: { [presenceChannel]: { user_count: 2, subscription_count: 3 } } },
          `trigger info, ${where}`,
        );
      }
    });

    it('terminate_connections sent to A closes the user’s connections on B and C with 4009', async () => {
      const userId = fresh('leaver');
      /** A raw connection on `node` signed in as `id`, listening on its user channel. */
      async function signedIn(node: ClusterNode, id: string): Promise<RawClient> {
        const client = await rawOn(node);
        const answer = await rawSignin(client, node.sdk.authenticateUser(client.socketId, { id }));
        assert.equal(answer.event, 'pusher:signin_success', JSON.stringify(answer));
        // Confirmed once Redis routes the channel here, which it does after the user's control
        // channel (asked for at signin, on the same connection): terminate cannot miss it.
        await client.subscribe(`#server-to-user-${id}`);
        return client;
      }
      const [onB, onC, bystander] = await Promise.all([
        signedIn(B, userId),
        signedIn(C, userId),
        signedIn(B, fresh('stayer')),
      ]);
      const anonymous = await rawOn(C);

      await A.sdk.terminateUserConnections(userId);
      assert.equal((await onB.closed()).code, 4009, 'the connection on B');
      assert.equal((await onC.closed()).code, 4009, 'the connection on C');
      await bystander.roundTrip();
      await anonymous.roundTrip();
      assert.equal(bystander.closedWith, undefined, 'another user on B stays connected');
      assert.equal(anonymous.closedWith, undefined, 'a connection without a user stays');
    });
  });
});
