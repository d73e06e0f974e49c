/**
 * Presence and webhooks across three herald processes: a user is one member however many nodes
 * their tabs are on, member events reach every node once, and the webhooks the cluster sends —
 * every node configured with the same URL — fire exactly once for the whole cluster.
 * "Exactly once" is bounded by markers: see `settleWebhooks`.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel } from 'pusher-js';
import { killAll } from '../helpers/cli.js';
import {
  Cluster,
  NodeClients,
  eventually,
  settleWebhooks,
  webhookEvent,
  type ClusterNode,
} from '../helpers/cluster.js';
import { eventsOf, nextEvent, subscribe, type PusherJs } from '../helpers/pusher-js.js';
import {
  itemsBefore,
  membersOf,
  nextWithMetadata,
  triggerMarker,
  type PresenceMember,
} from '../helpers/auth.js';
import { get } from '../helpers/rest.js';
import { WebhookReceiver, type ReceivedEvent } from '../helpers/webhook-receiver.js';

const ANN = { user_id: 'ann', user_info: { name: 'Ann' } } as const;
const BOB = { user_id: 'bob', user_info: { name: 'Bob' } } as const;
const OBSERVER = { user_id: 'observer' } as const;

const isMemberEvent = (event: string) =>
  event === 'pusher:member_added' || event === 'pusher:member_removed';

/** `name` events of `channel` as `[name, user_id]` pairs, for comparing multisets. */
const summary = (events: readonly ReceivedEvent[], channel: string) =>
  events
    .filter((event) => event.channel === channel)
    .map((event) => [event.name, String(event['user_id'] ?? '')].join(' '))
    .sort();

describe('presence and webhooks on a cluster of three nodes', () => {
  let cluster: Cluster;
  let nodes: readonly ClusterNode[];
  let A: ClusterNode;
  let B: ClusterNode;
  let C: ClusterNode;
  let receiver: WebhookReceiver;
  const dir = mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const run = randomUUID().slice(0, 8);
  let names = 0;
  const fresh = (base: string) => `${base}-${run}-${++names}`;
  const opened = new NodeClients();

  /** A pusher-js client on `node` that joins presence channels as `member`. */
  async function memberOn(node: ClusterNode, member: PresenceMember): Promise<PusherJs> {
    return opened.auth(node).connect({ member });
  }

  async function joinOn(node: ClusterNode, member: PresenceMember, channel: string) {
    const pusher = await memberOn(node, member);
    return { pusher, channel: await subscribe(pusher, channel) };
  }

  /** Member events `channel` emitted before a marker triggered through `through`. */
  async function memberEventsBeforeMarker(channel: Channel, through: ClusterNode) {
    const marker = await triggerMarker(through.sdk, channel.name);
    const seen = await itemsBefore(eventsOf(channel), (e) => e.event === marker, marker);
    return seen.filter((e) => isMemberEvent(e.event));
  }

  async function subscriptionCount(channel: string): Promise<number> {
    const response = await get(A, `/channels/${channel}`, { info: 'subscription_count' });
    assert.equal(response.status, 200, response.body);
    return (JSON.parse(response.body) as { subscription_count?: number }).subscription_count ?? 0;
  }

  /** Waits until the cluster counts `count` connections on `channel` (a close was handled). */
  function countReaches(channel: string, count: number): Promise<true> {
    return eventually(
      async () => ((await subscriptionCount(channel)) === count ? true : undefined),
      `${count} connections on ${channel}`,
    );
  }

  const vacated = (channel: string) =>
    webhookEvent(receiver, (e) => e.name === 'channel_vacated' && e.channel === channel, 'vacated');

  before(async () => {
    receiver = await WebhookReceiver.start('cluster receiver');
    // One request at a time per node: its webhooks arrive in the order it decided them.
    const config = join(dir, 'herald.json');
    writeFileSync(config, JSON.stringify({ vacateDelayMs: 0, webhookConcurrency: 1 }));
    cluster = await Cluster.start({
      nodes: 3,
      args: ['--webhook-url', receiver.url, '--config', config],
    });
    nodes = cluster.nodes;
    [A, B, C] = nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  afterEach(() => opened.closeAll());
  after(async () => {
    try {
      await cluster?.stop();
      await receiver?.close();
    } finally {
      killAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two tabs of one user on A and B are one member: added once, removed after the last tab', async () => {
    const channel = fresh('presence-room');
    const observer = await joinOn(C, OBSERVER, channel);
    const tab1 = await joinOn(A, ANN, channel);
    assert.deepEqual(await nextEvent(observer.channel, 'pusher:member_added'), {
      id: 'ann',
      info: { name: 'Ann' },
    });

    const tab2 = await joinOn(B, ANN, channel);
    assert.deepEqual(membersOf(tab2.channel), {
      count: 2,
      me: { id: 'ann', info: { name: 'Ann' } },
      each: [
        { id: 'ann', info: { name: 'Ann' } },
        { id: 'observer', info: null },
      ],
    });
    // B decided "not the first connection": a member_added from it would precede this marker.
    assert.deepEqual(await memberEventsBeforeMarker(observer.channel, B), []);
    assert.deepEqual(
      await memberEventsBeforeMarker(tab1.channel, A),
      [],
      'tab 1 is not told of its own second tab',
    );

    tab1.pusher.disconnect();
    await countReaches(channel, 2);
    assert.deepEqual(
      await memberEventsBeforeMarker(observer.channel, A),
      [],
      'no member_removed while a tab is left on B',
    );
    const users = JSON.parse((await get(C, `/channels/${channel}/users`)).body) as unknown;
    assert.deepEqual(users, { users: [{ id: 'observer' }, { id: 'ann' }] });

    tab2.pusher.disconnect();
    assert.deepEqual(await nextEvent(observer.channel, 'pusher:member_removed'), {
      id: 'ann',
      info: { name: 'Ann' },
    });
    assert.deepEqual(await memberEventsBeforeMarker(observer.channel, B), [], 'removed once');
    assert.equal(membersOf(observer.channel).count, 1);

    observer.pusher.disconnect();
    await vacated(channel);
    await settleWebhooks(receiver, nodes);
    assert.deepEqual(summary(receiver.events.items, channel), [
      'channel_occupied ',
      'channel_vacated ',
      'member_added ann',
      'member_added observer',
      'member_removed ann',
      'member_removed observer',
    ]);
  });

  it('a public channel is occupied by its first subscriber anywhere and vacated after its last', async () => {
    const channel = fresh('lobby');
    const clients = nodes.map((node) => opened.raw(node));
    const [onA, onB, onC] = await Promise.all(
      nodes.map((node, i) => clients[i]!.connect({ key: node.app.key })),
    );
    await onA!.subscribe(channel);
    await webhookEvent(
      receiver,
      (e) => e.name === 'channel_occupied' && e.channel === channel,
      'occupied',
    );
    await Promise.all([onB!.subscribe(channel), onC!.subscribe(channel)]);
    await countReaches(channel, 3);
    onA!.terminate();
    onB!.terminate();
    await countReaches(channel, 1);
    await settleWebhooks(receiver, nodes);
    assert.deepEqual(summary(receiver.events.items, channel), ['channel_occupied ']);

    onC!.terminate();
    await vacated(channel);
    await settleWebhooks(receiver, nodes);
    assert.deepEqual(summary(receiver.events.items, channel), [
      'channel_occupied ',
      'channel_vacated ',
    ]);
  });

  it('a client event on a presence channel reaches other nodes with the sender’s user_id', async () => {
    const channel = fresh('presence-chat');
    const sender = await joinOn(A, ANN, channel);
    const receivers = await Promise.all([joinOn(B, BOB, channel), joinOn(C, OBSERVER, channel)]);
    const got = receivers.map((r) => nextWithMetadata(r.channel, 'client-typing'));
    sender.channel.trigger('client-typing', { typing: true });
    for (const received of await Promise.all(got)) {
      assert.deepEqual(received, { data: { typing: true }, metadata: { user_id: 'ann' } });
    }
  });
});

describe('the vacate delay on a cluster', () => {
  /**
   * A page reload behind a load balancer: the tab on A closes and the new one opens on B. The
   * stores hold the vacancy and the removal A decided; B's join takes them back (`resumed`), so
   * B sends nothing and A, claiming them when its delay ends (here: when it stops), sends
   * nothing either — what one server sends for a quick return (§6.2).
   */
  async function reload(
    vacateDelayMs: number,
    between: (receiver: WebhookReceiver, channel: string) => Promise<void>,
  ): Promise<string[]> {
    const receiver = await WebhookReceiver.start('vacate-delay receiver');
    const dir = mkdtempSync(join(tmpdir(), 'herald-cluster-'));
    const config = join(dir, 'herald.json');
    writeFileSync(config, JSON.stringify({ vacateDelayMs, webhookConcurrency: 1 }));
    const cluster = await Cluster.start({
      nodes: 2,
      args: ['--webhook-url', receiver.url, '--config', config],
    });
    const [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
    const tabs = new NodeClients();
    const memberOn = (node: ClusterNode) => tabs.auth(node).connect({ member: ANN });
    try {
      const channel = `presence-reload-${randomUUID().slice(0, 8)}`;
      const first = await memberOn(A);
      await subscribe(first, channel);
      first.disconnect();
      await eventually(async () => {
        const response = await get(B, `/channels/${channel}`);
        return (JSON.parse(response.body) as { occupied: boolean }).occupied ? undefined : true;
      }, 'the first tab gone');
      await between(receiver, channel);
      await subscribe(await memberOn(B), channel);
      // A graceful stop sends what A still holds without waiting out the delay.
      await A.stop();
      await settleWebhooks(receiver, [B]);
      return summary(receiver.events.items, channel);
    } finally {
      await tabs.closeAll();
      await cluster.stop();
      await receiver.close();
      killAll();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a leave on A and a return on B within the delay send no webhook', async () => {
    const events = await reload(60_000, () => Promise.resolve());
    assert.deepEqual(events, ['channel_occupied ', 'member_added ann']);
  });

  it('a return on B after A sent its removals is news again', async () => {
    const events = await reload(200, async (receiver, channel) => {
      await webhookEvent(
        receiver,
        (event) => event.name === 'member_removed' && event.channel === channel,
        `member_removed of ${channel} from A`,
      );
      await webhookEvent(
        receiver,
        (event) => event.name === 'channel_vacated' && event.channel === channel,
        `channel_vacated of ${channel} from A`,
      );
    });
    assert.deepEqual(events, [
      'channel_occupied ',
      'channel_occupied ',
      'channel_vacated ',
      'member_added ann',
      'member_added ann',
      'member_removed ann',
    ]);
  });
});
