/**
 * A node that dies without a word (SIGKILL) leaves no ghosts: once its liveness key has expired
 * (node timeout 2 s here), one survivor reaps it and the cluster announces what its connections
 * left behind with the normal events — member_removed to the remaining subscribers, watchlist
 * offline, and the member_removed / channel_vacated webhooks — exactly once. And a node that
 * cannot reach Redis at start-up refuses to start, saying where it looked.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel } from 'pusher-js';
import { killAll, runHerald } from '../helpers/cli.js';
import {
  Cluster,
  NodeClients,
  eventually,
  settleWebhooks,
  type ClusterNode,
} from '../helpers/cluster.js';
import { eventsOf, subscribe } from '../helpers/pusher-js.js';
import { itemsBefore, signin, triggerMarker, watchlistOf, type Identity } from '../helpers/auth.js';
import { freePort } from '../helpers/redis.js';
import { get } from '../helpers/rest.js';
import { WebhookReceiver, type ReceivedEvent } from '../helpers/webhook-receiver.js';
import type { RawClient } from '../helpers/ws-client.js';

const NODE_TIMEOUT_S = 2;
/**
 * The liveness key lapses at most a node timeout after the kill and a survivor looks every half
 * timeout; twice the timeout plus a margin for a loaded machine bounds the wait.
 */
const REAPED_WITHIN_MS = 2 * NODE_TIMEOUT_S * 1000 + 3000;
const REAPED = 'removed the state of a dead node';

describe('a node killed with SIGKILL', () => {
  let cluster: Cluster;
  let A: ClusterNode;
  let B: ClusterNode;
  let C: ClusterNode;
  let receiver: WebhookReceiver;
  const dir = mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const run = randomUUID().slice(0, 8);
  const clients = new NodeClients();

  async function clientOn(node: ClusterNode, identity: Identity) {
    return clients.auth(node).connect(identity);
  }

  async function rawOn(node: ClusterNode): Promise<RawClient> {
    return clients.raw(node).connect({ key: node.app.key });
  }

  async function json(node: ClusterNode, path: string, params: Record<string, string> = {}) {
    const response = await get(node, path, params);
    assert.equal(response.status, 200, `GET ${path} on ${node.name}: ${response.body}`);
    return JSON.parse(response.body) as Record<string, unknown>;
  }

  before(async () => {
    receiver = await WebhookReceiver.start('node-death receiver');
    const config = join(dir, 'herald.json');
    writeFileSync(config, JSON.stringify({ vacateDelayMs: 0, webhookConcurrency: 1 }));
    cluster = await Cluster.start({
      nodes: 3,
      nodeTimeout: NODE_TIMEOUT_S,
      args: ['--webhook-url', receiver.url, '--config', config],
    });
    [A, B, C] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  afterEach(() => clients.closeAll());
  after(async () => {
    try {
      await cluster?.stop();
      await receiver?.close();
    } finally {
      killAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the survivors remove its memberships and counts and announce them once', async (t) => {
    const room = `presence-room-${run}`;
    const onlyOnC = `only-c-${run}`;
    const shared = `shared-${run}`;
    // In the room: ann (A) watches; bob only on C; cat on B and on C (she stays a member).
    const ann = await clientOn(A, { member: { user_id: 'ann' } });
    const annRoom = await subscribe(ann, room);
    const members: Array<[ClusterNode, string]> = [
      [C, 'bob'],
      [B, 'cat'],
      [C, 'cat'],
    ];
    for (const [node, userId] of members) {
      await subscribe(await clientOn(node, { member: { user_id: userId } }), room);
    }
    const onC = await rawOn(C);
    await onC.subscribe(onlyOnC);
    await onC.subscribe(shared);
    const onA = await rawOn(A);
    await onA.subscribe(shared);
    // dan is signed in on C only; eve on A watches him.
    const eve = await clientOn(A, { user: { id: 'eve', watchlist: ['dan'] } });
    await signin(eve);
    const dan = await clientOn(C, { user: { id: 'dan' } });
    await signin(dan);
    await watchlistOf(eve).next((e) => e.name === 'online' && e.user_ids.includes('dan'), 'dan');

    await eventually(async () => {
      const { subscription_count: count } = await json(A, `/channels/${room}`, {
        info: 'subscription_count',
      });
      return count === 4 ? true : undefined;
    }, 'four connections in the room');
    // The set-up's own webhooks are all in before the count starts.
    await settleWebhooks(receiver, cluster.nodes);
    const before = receiver.events.items.length;

    const killed = performance.now();
    const exit = await C.kill();
    assert.equal(exit.signal, 'SIGKILL');

    const removed = await eventsOf(annRoom).next(
      (e) => e.event === 'pusher:member_removed',
      'member_removed after the kill',
      REAPED_WITHIN_MS,
    );
    const reapedAfterMs = performance.now() - killed;
    assert.deepEqual(removed.data, { id: 'bob', info: undefined }, 'bob is gone, cat is not');
    const offline = await watchlistOf(eve).next(
      (e) => e.name === 'offline',
      'dan offline',
      REAPED_WITHIN_MS,
    );
    assert.deepEqual(offline.user_ids, ['dan']);
    // Whatever either survivor published before a marker it relays reaches ann before it.
    for (const node of [A, B]) {
      assert.deepEqual(
        await memberEventsBeforeMarker(annRoom, node),
        [],
        `no second member event (marker through ${node.name})`,
      );
    }

    for (const node of [A, B]) {
      const where = `asked ${node.name}`;
      assert.deepEqual(
        await json(node, `/channels/${room}`, { info: 'user_count,subscription_count' }),
        { occupied: true, user_count: 2, subscription_count: 2 },
        where,
      );
      const { users } = (await json(node, `/channels/${room}/users`)) as {
        users: Array<{ id: string }>;
      };
      assert.deepEqual(users.map((user) => user.id).sort(), ['ann', 'cat'], where);
      assert.deepEqual(await json(node, `/channels/${onlyOnC}`), { occupied: false }, where);
      assert.deepEqual(
        await json(node, `/channels/${shared}`, { info: 'subscription_count' }),
        { occupied: true, subscription_count: 1 },
        where,
      );
    }

    const expected = [`channel_vacated ${onlyOnC}`, `member_removed ${room} bob`];
    const sent = () => summary(receiver.events.items.slice(before), [room, onlyOnC, shared]);
    await eventually(
      async () => (expected.every((line) => sent().includes(line)) ? true : undefined),
      'the webhooks of the reap',
      REAPED_WITHIN_MS,
      () => JSON.stringify(sent()),
    );
    await settleWebhooks(receiver, [A, B]);
    assert.deepEqual(sent(), [`channel_vacated ${onlyOnC}`, `member_removed ${room} bob`]);
    assert.equal(onA.closedWith, undefined, 'the survivors’ connections stay open');
    // The reaper logs before it announces, but its stdout may reach us after the events.
    const reapers = () => [A, B].filter((node) => node.linesFrom().some((l) => l.msg === REAPED));
    await eventually(async () => (reapers().length > 0 ? true : undefined), 'the reaper’s log');
    assert.equal(reapers().length, 1, 'one survivor reaped C');
    // Not an assertion on timing (that belongs in bench/): reported for whoever reads the log.
    t.diagnostic(`C was reaped ${Math.round(reapedAfterMs)} ms after SIGKILL`);
  });

  /** Member events `channel` emitted before a marker triggered through `through`. */
  async function memberEventsBeforeMarker(channel: Channel, through: ClusterNode) {
    const marker = await triggerMarker(through.sdk, channel.name);
    const seen = await itemsBefore(eventsOf(channel), (e) => e.event === marker, marker);
    return seen.filter((e) => e.event.startsWith('pusher:member_')).map((e) => e.data);
  }
});

/** Webhook events on `channels` as sorted `name channel [user]` lines. */
function summary(events: readonly ReceivedEvent[], channels: readonly string[]): string[] {
  return events
    .filter((event) => event.channel !== undefined && channels.includes(event.channel))
    .map((event) =>
      [event.name, event.channel, event['user_id']].filter((part) => part !== undefined).join(' '),
    )
    .sort();
}

describe('start-up against an unreachable Redis', () => {
  after(() => killAll());

  it('exits 1 with a message naming the URL', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const { code, stdout, stderr } = await runHerald([
      'start',
      '--port',
      '0',
      '--adapter',
      'redis',
      '--redis-url',
      url,
    ]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`Cannot reach Redis at ${url}: connect ECONNREFUSED`));
    assert.doesNotMatch(stdout, /herald listening/, 'it never served');
  });

  it('keeps the password out of the message (environment variables work too)', async () => {
    const port = await freePort();
    const { code, stderr } = await runHerald(['start', '--port', '0'], {
      HERALD_ADAPTER: 'redis',
      HERALD_REDIS_URL: `redis://:hunter2@127.0.0.1:${port}/3`,
    });
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`Cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/3`),
    );
    assert.doesNotMatch(stderr, /hunter2/);
  });
});
