/** Presence rules (PROTOCOL.md §2.3, §2.6, §4.4, §4.5) on the hub, over fake transports. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { channelStringToSign, signToken } from '../../src/protocol/auth-signature.js';
import type { Connection } from '../../src/core/connection.js';
import {
  createTestHub,
  dataOf,
  flush,
  type FakeTransport,
  type TestHub,
  type WireFrame,
} from '../helpers/fake-transport.js';

const room = 'presence-room';

interface Peer {
  readonly transport: FakeTransport;
  readonly connection: Connection;
}

const channelData = (userId: string | number, userInfo?: unknown) =>
  JSON.stringify(
    userInfo === undefined ? { user_id: userId } : { user_id: userId, user_info: userInfo },
  );

/** Connects and joins `channel` as `userId`, waits for the store, then forgets the frames. */
async function join(
  t: TestHub,
  userId: string | number,
  userInfo?: unknown,
  channel = room,
): Promise<Peer> {
  const peer = t.connect();
  t.subscribe(peer.connection, channel, channelData(userId, userInfo));
  await flush();
  assert.equal(peer.transport.last?.event, 'pusher_internal:subscription_succeeded');
  peer.transport.clear();
  return peer;
}

interface Presence {
  ids: string[];
  hash: Record<string, unknown>;
  count: number;
}

function presenceOf(frame: WireFrame | undefined, channel = room): Presence {
  assert.equal(frame?.event, 'pusher_internal:subscription_succeeded');
  assert.equal(frame.channel, channel);
  return (dataOf(frame) as { presence: Presence }).presence;
}

const clear = (...peers: Peer[]) => peers.forEach((peer) => peer.transport.clear());

const memberEvents = (transport: FakeTransport) =>
  transport.parsed.filter((frame) => frame.event.startsWith('pusher_internal:member_'));

describe('presence: joining', () => {
  test('subscription_succeeded lists every member, the subscriber included, as §2.3', async () => {
    const t = createTestHub();
    await join(t, '42', { name: 'Ann' });
    const b = t.connect();
    t.subscribe(b.connection, room, channelData(7));
    await flush();
    assert.equal(b.transport.frames.length, 1);
    assert.equal(
      b.transport.texts[0],
      '{"event":"pusher_internal:subscription_succeeded","channel":"presence-room","data":"{\\"presence\\":{\\"ids\\":[\\"42\\",\\"7\\"],\\"hash\\":{\\"42\\":{\\"name\\":\\"Ann\\"},\\"7\\":null},\\"count\\":2}}"}',
    );
    assert.ok(b.connection.subscribedTo(room));
  });

  test('a user’s first connection → member_added to the others, not to itself', async () => {
    const t = createTestHub();
    const a = await join(t, '1');
    const c = await join(t, '3');
    a.transport.clear();
    const b = t.connect();
    t.subscribe(b.connection, room, channelData('2', { name: 'Bo' }));
    await flush();
    for (const other of [a, c]) {
      assert.deepEqual(other.transport.texts, [
        '{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\\"user_id\\":\\"2\\",\\"user_info\\":{\\"name\\":\\"Bo\\"}}"}',
      ]);
    }
    assert.deepEqual(memberEvents(b.transport), []);
    assert.deepEqual(presenceOf(b.transport.last).ids, ['1', '3', '2']);
  });

  test('a numeric user_id is announced and listed as a string', async () => {
    const t = createTestHub();
    const a = await join(t, 'a');
    const b = t.connect();
    t.subscribe(b.connection, room, channelData(10));
    await flush();
    assert.deepEqual(dataOf(a.transport.last), { user_id: '10' });
    assert.deepEqual(presenceOf(b.transport.last), {
      ids: ['a', '10'],
      hash: { a: null, 10: null },
      count: 2,
    });
  });

  test('a second connection of a present user broadcasts nothing and is listed once', async () => {
    const t = createTestHub();
    const a = await join(t, '1');
    const other = await join(t, '2');
    a.transport.clear();
    const again = t.connect();
    t.subscribe(again.connection, room, channelData('1'));
    await flush();
    assert.deepEqual(a.transport.frames, []);
    assert.deepEqual(other.transport.frames, []);
    assert.deepEqual(presenceOf(again.transport.last), {
      ids: ['1', '2'],
      hash: { 1: null, 2: null },
      count: 2,
    });
    assert.equal(await t.hub.userCount(t.app.id, room), 2);
    assert.equal(await t.hub.subscriptionCount(t.app.id, room), 3);
  });

  test('10 and "10" are one user', async () => {
    const t = createTestHub();
    const a = await join(t, 10);
    const b = t.connect();
    t.subscribe(b.connection, room, channelData('10'));
    await flush();
    assert.deepEqual(memberEvents(a.transport), []);
    assert.deepEqual(presenceOf(b.transport.last).ids, ['10']);
    assert.equal(await t.hub.userCount(t.app.id, room), 1);
  });

  test('the info of the connection that created the membership is kept', async () => {
    const t = createTestHub();
    await join(t, '1', { name: 'first' });
    const observer = await join(t, '2');
    const b = t.connect();
    t.subscribe(b.connection, room, channelData('1', { name: 'second' }));
    await flush();
    assert.deepEqual(presenceOf(b.transport.last).hash['1'], { name: 'first' });
    assert.deepEqual(await t.hub.members(t.app.id, room), [
      { userId: '1', userInfo: '{"name":"first"}' },
      { userId: '2', userInfo: undefined },
    ]);
    assert.deepEqual(memberEvents(observer.transport), []);
  });

  test('a duplicate subscribe answers the current members again and announces nothing', async () => {
    const t = createTestHub();
    const a = await join(t, '1');
    const observer = await join(t, '2');
    a.transport.clear();
    t.subscribe(a.connection, room, channelData('1'));
    await flush();
    assert.equal(a.transport.frames.length, 1);
    assert.deepEqual(presenceOf(a.transport.last).ids, ['1', '2']);
    assert.deepEqual(observer.transport.frames, []);
    assert.equal(t.names().filter((n) => n === 'member_added').length, 2);
    assert.equal(await t.hub.subscriptionCount(t.app.id, room), 2);
  });

  test('the token must be signed over channel_data exactly as sent', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    const sent = channelData('1');
    const auth = signToken(
      t.app,
      channelStringToSign(connection.socketId, room, '{"user_id": "1"}'),
    );
    t.receive(connection, {
      event: 'pusher:subscribe',
      data: { auth, channel: room, channel_data: sent },
    });
    await flush();
    assert.equal(transport.last?.event, 'pusher:subscription_error');
    assert.equal((dataOf(transport.last) as { status: number }).status, 401);
    assert.equal(await t.hub.userCount(t.app.id, room), 0);
  });

  for (const [name, data, type, status, error] of [
    ['no user_id', '{"user_info":{}}', 'AuthError', 400, 'Invalid channel_data'],
    ['not JSON', 'user 1', 'AuthError', 400, 'Invalid channel_data'],
    [
      'a user_id over 128 characters',
      channelData('u'.repeat(129)),
      'LimitReached',
      413,
      'Member data too large',
    ],
    [
      'user_info over 1 KB',
      channelData('1', 'x'.repeat(1023)),
      'LimitReached',
      413,
      'Member data too large',
    ],
  ] as const) {
    test(`channel_data with ${name} → subscription_error ${type} ${status}, nothing stored`, async () => {
      const t = createTestHub();
      const observer = await join(t, 'observer');
      const { transport, connection } = t.connect();
      t.subscribe(connection, room, data);
      await flush();
      assert.equal(transport.frames.length, 1);
      assert.equal(transport.last?.event, 'pusher:subscription_error');
      assert.equal(transport.last.channel, room);
      assert.deepEqual(dataOf(transport.last), { type, error, status });
      assert.equal(connection.subscribedTo(room), false);
      assert.equal(await t.hub.userCount(t.app.id, room), 1);
      assert.deepEqual(observer.transport.frames, []);
      assert.equal(transport.closed, false);
    });
  }
});

describe('presence: leaving', () => {
  test('leaving one of two connections broadcasts nothing; the last → member_removed', async () => {
    const t = createTestHub();
    const first = await join(t, '1');
    const second = await join(t, '1');
    const observer = await join(t, '2');
    clear(first, second);
    t.unsubscribe(first.connection, room);
    await flush();
    assert.deepEqual(observer.transport.frames, []);
    assert.deepEqual(second.transport.frames, []);
    assert.equal(await t.hub.userCount(t.app.id, room), 2);
    t.unsubscribe(second.connection, room);
    await flush();
    assert.deepEqual(observer.transport.texts, [
      '{"event":"pusher_internal:member_removed","channel":"presence-room","data":"{\\"user_id\\":\\"1\\"}"}',
    ]);
    assert.deepEqual(first.transport.frames, []);
    assert.deepEqual(second.transport.frames, []);
    assert.deepEqual(await t.hub.members(t.app.id, room), [{ userId: '2', userInfo: undefined }]);
  });

  test('a disconnect runs the presence removal', async () => {
    const t = createTestHub();
    const leaving = await join(t, '1', { name: 'Ann' });
    const observer = await join(t, '2');
    leaving.connection.closed(1006, '');
    await flush();
    assert.deepEqual(observer.transport.parsed, [
      { event: 'pusher_internal:member_removed', channel: room, data: '{"user_id":"1"}' },
    ]);
    assert.equal(await t.hub.userCount(t.app.id, room), 1);
  });

  test('a server-side close (terminate) runs it too', async () => {
    const t = createTestHub();
    const leaving = await join(t, '1');
    const observer = await join(t, '2');
    leaving.connection.terminate(4009);
    await flush();
    assert.deepEqual(dataOf(observer.transport.last), { user_id: '1' });
    assert.equal(observer.transport.last?.event, 'pusher_internal:member_removed');
  });

  test('the last member leaving empties the store and vacates the channel', async () => {
    const t = createTestHub();
    const a = await join(t, '1');
    t.unsubscribe(a.connection, room);
    await flush();
    assert.equal(await t.hub.userCount(t.app.id, room), 0);
    assert.deepEqual(await t.hub.members(t.app.id, room), []);
    assert.equal(t.names().at(-1), 'channel_vacated');
  });

  test('a user who left and comes back is announced again', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const a = await join(t, '1');
    t.unsubscribe(a.connection, room);
    await flush();
    await join(t, '1', { v: 2 });
    assert.deepEqual(
      memberEvents(observer.transport).map((frame) => [frame.event, dataOf(frame)]),
      [
        ['pusher_internal:member_added', { user_id: '1' }],
        ['pusher_internal:member_removed', { user_id: '1' }],
        ['pusher_internal:member_added', { user_id: '1', user_info: { v: 2 } }],
      ],
    );
  });
});

describe('presence: member limit', () => {
  test('a new user is refused when the channel is full; a present user may add connections', async () => {
    const t = createTestHub({ apps: [{ maxPresenceMembers: 2 }] });
    const a = await join(t, '1');
    await join(t, '2');
    a.transport.clear();
    const refused = t.connect();
    t.subscribe(refused.connection, room, channelData('3'));
    await flush();
    assert.deepEqual(refused.transport.parsed, [
      {
        event: 'pusher:subscription_error',
        channel: room,
        data: JSON.stringify({
          type: 'LimitReached',
          error: 'Presence channel member limit (2) reached',
          status: 429,
        }),
      },
    ]);
    assert.equal(refused.connection.subscribedTo(room), false);
    assert.deepEqual(a.transport.frames, []);
    const failed = t.events.find((e) => e.name === 'subscription_failed');
    assert.equal(failed?.event.socketId, refused.connection.socketId);

    const again = t.connect();
    t.subscribe(again.connection, room, channelData('1'));
    await flush();
    assert.deepEqual(presenceOf(again.transport.last).ids, ['1', '2']);
    assert.equal(await t.hub.userCount(t.app.id, room), 2);
    assert.equal(await t.hub.subscriptionCount(t.app.id, room), 3);
  });

  test('a place freed by a leaving user can be taken', async () => {
    const t = createTestHub({ apps: [{ maxPresenceMembers: 1 }] });
    const a = await join(t, '1');
    const b = t.connect();
    t.subscribe(b.connection, room, channelData('2'));
    await flush();
    assert.equal(b.transport.last?.event, 'pusher:subscription_error');
    t.unsubscribe(a.connection, room);
    await flush();
    t.subscribe(b.connection, room, channelData('2'));
    await flush();
    assert.deepEqual(presenceOf(b.transport.last).ids, ['2']);
  });

  test('simultaneous joins over the limit: exactly the limit gets in', async () => {
    const t = createTestHub({ apps: [{ maxPresenceMembers: 3 }] });
    const peers = Array.from({ length: 6 }, () => t.connect());
    // All subscribes arrive before any store answer is processed.
    peers.forEach((peer, i) => t.subscribe(peer.connection, room, channelData(`u${i}`)));
    await flush();
    const outcomes = peers.map((peer) => peer.transport.parsed[0]?.event);
    assert.equal(outcomes.filter((e) => e === 'pusher_internal:subscription_succeeded').length, 3);
    assert.equal(outcomes.filter((e) => e === 'pusher:subscription_error').length, 3);
    assert.equal(await t.hub.userCount(t.app.id, room), 3);
  });
});

describe('presence: cancelled joins', () => {
  test('an unsubscribe while the join is pending: no succeeded, no member_added, store empty', async () => {
    const t = createTestHub();
    const observer = await join(t, 'observer', undefined, 'presence-other');
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    t.unsubscribe(connection, room);
    await flush();
    assert.deepEqual(transport.frames, []);
    assert.equal(connection.subscribedTo(room), false);
    assert.equal(await t.hub.userCount(t.app.id, room), 0);
    assert.deepEqual(await t.hub.members(t.app.id, room), []);
    assert.equal(await t.hub.subscriptionCount(t.app.id, room), 0);
    assert.deepEqual(observer.transport.frames, []);
    const names = t.names();
    assert.equal(names.filter((n) => n === 'member_added').length, 1, 'only the observer’s');
    assert.equal(names.includes('member_removed'), false);
  });

  test('with other members present, a cancelled join announces nothing to them', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    t.unsubscribe(connection, room);
    await flush();
    assert.deepEqual(transport.frames, []);
    assert.deepEqual(observer.transport.frames, []);
    assert.deepEqual(await t.hub.members(t.app.id, room), [{ userId: '2', userInfo: undefined }]);
  });

  test('a disconnect while the join is pending: nothing sent, store empty', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    connection.closed(1006, '');
    await flush();
    assert.deepEqual(transport.frames, []);
    assert.deepEqual(transport.sentAfterClose, []);
    assert.deepEqual(observer.transport.frames, []);
    assert.equal(await t.hub.userCount(t.app.id, room), 1);
    assert.equal(await t.hub.subscriptionCount(t.app.id, room), 1);
  });

  test('the channel can be joined normally after a cancelled join', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    t.unsubscribe(connection, room);
    await flush();
    t.subscribe(connection, room, channelData('1'));
    await flush();
    assert.deepEqual(presenceOf(transport.last).ids, ['1']);
    assert.equal(await t.hub.userCount(t.app.id, room), 1);
  });

  test('subscribe, unsubscribe, subscribe before the store answers: the user stays a member', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    t.unsubscribe(connection, room);
    t.subscribe(connection, room, channelData('1'));
    await flush();
    assert.equal(transport.named('pusher_internal:subscription_succeeded').length, 1);
    assert.ok(connection.subscribedTo(room));
    assert.deepEqual(
      (await t.hub.members(t.app.id, room)).map((m) => m.userId),
      ['2', '1'],
    );
    t.unsubscribe(connection, room);
    await flush();
    assert.deepEqual(
      memberEvents(observer.transport).map((frame) => frame.event),
      ['pusher_internal:member_added', 'pusher_internal:member_removed'],
    );
  });

  test('a duplicate subscribe sent while the join is pending gets its own answer', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const { transport, connection } = t.connect();
    t.subscribe(connection, room, channelData('1'));
    t.subscribe(connection, room, channelData('1'));
    await flush();
    const answers = transport.named('pusher_internal:subscription_succeeded');
    assert.equal(answers.length, 2);
    assert.deepEqual(presenceOf(answers[1]).ids, ['2', '1']);
    assert.equal(memberEvents(observer.transport).length, 1);
  });

  test('a cancelled first join does not swallow the member_added of the user’s next connection', async () => {
    const t = createTestHub();
    const observer = await join(t, '2');
    const cancelled = t.connect();
    const kept = t.connect();
    t.subscribe(cancelled.connection, room, channelData('1'));
    t.unsubscribe(cancelled.connection, room);
    t.subscribe(kept.connection, room, channelData('1'));
    await flush();
    const [succeeded] = kept.transport.named('pusher_internal:subscription_succeeded');
    assert.deepEqual(presenceOf(succeeded).ids, ['2', '1']);
    assert.deepEqual(
      memberEvents(observer.transport).map((frame) => [frame.event, dataOf(frame)]),
      [['pusher_internal:member_added', { user_id: '1' }]],
    );
    assert.equal(t.names().filter((n) => n === 'member_added').length, 2);
  });
});

describe('presence: lifecycle', () => {
  test('member_added on a user’s first connection, member_removed after its last', async () => {
    const t = createTestHub();
    const appId = t.app.id;
    const a = await join(t, '1');
    const b = await join(t, '1');
    t.unsubscribe(a.connection, room);
    await flush();
    b.connection.closed(1000, '');
    await flush();
    const presence = t.events.filter(
      (e) => e.name === 'member_added' || e.name === 'member_removed',
    );
    assert.deepEqual(presence, [
      { name: 'member_added', event: { appId, channel: room, userId: '1', resumed: false } },
      { name: 'member_removed', event: { appId, channel: room, userId: '1' } },
    ]);
  });

  test('member_added follows subscribed; member_removed follows unsubscribed', async () => {
    const t = createTestHub();
    const a = await join(t, 1);
    t.unsubscribe(a.connection, room);
    await flush();
    const names = t.names().filter((n) => n !== 'connection_opened' && n !== 'channel_occupied');
    assert.deepEqual(names.slice(0, 2), ['subscribed', 'member_added']);
    assert.ok(names.indexOf('member_removed') > names.indexOf('unsubscribed'));
    assert.deepEqual(t.events.find((e) => e.name === 'member_added')?.event, {
      appId: t.app.id,
      channel: room,
      userId: '1',
      resumed: false,
    });
  });
});

describe('presence: held removals (the vacate delay in the stores)', () => {
  const lifecycleOf = (t: TestHub) =>
    t.events
      .filter((e) => e.name === 'member_added' || e.name === 'member_removed')
      .map(({ name, event }) => ('resumed' in event ? `${name} resumed=${event.resumed}` : name));

  test('a return within the hold is announced to clients, and to the lifecycle as resumed', async () => {
    const t = createTestHub({ holdMs: 3000 });
    const observer = await join(t, '2');
    const first = await join(t, '1');
    first.connection.closed(1000, '');
    await flush();
    await join(t, '1');
    assert.deepEqual(lifecycleOf(t), [
      'member_added resumed=false',
      'member_added resumed=false',
      'member_removed',
      'member_added resumed=true',
    ]);
    assert.deepEqual(
      memberEvents(observer.transport).map((frame) => frame.event),
      [
        'pusher_internal:member_added',
        'pusher_internal:member_removed',
        'pusher_internal:member_added',
      ],
      'clients see every change at once; only webhooks wait',
    );
  });

  test('a cancelled join that took a removal back reports the removal its leave holds anew', async () => {
    const t = createTestHub({ holdMs: 3000 });
    const observer = await join(t, '2');
    const first = await join(t, '1');
    first.connection.closed(1000, '');
    await flush();
    const second = t.connect();
    t.subscribe(second.connection, room, channelData('1'));
    t.unsubscribe(second.connection, room);
    await flush();
    // The join took the first removal back (its holder will not send it), the leave holds a
    // new one: the lifecycle hears both, so a webhook holder exists for the new one.
    assert.deepEqual(lifecycleOf(t).slice(2), [
      'member_removed',
      'member_added resumed=true',
      'member_removed',
    ]);
    assert.deepEqual(
      memberEvents(observer.transport).map((frame) => frame.event),
      ['pusher_internal:member_added', 'pusher_internal:member_removed'],
      'clients never saw the cancelled join',
    );
    assert.equal(await t.hub.userCount(t.app.id, room), 1);
  });

  test('channels: a subscription within the hold occupies the channel as resumed', async () => {
    const t = createTestHub({ holdMs: 3000 });
    const { connection } = t.connect();
    t.subscribe(connection, 'news');
    await flush();
    t.unsubscribe(connection, 'news');
    await flush();
    t.subscribe(connection, 'news');
    await flush();
    assert.deepEqual(
      t.events
        .filter((e) => e.name === 'channel_occupied' || e.name === 'channel_vacated')
        .map(({ name, event }) => ('resumed' in event ? `${name} ${event.resumed}` : name)),
      ['channel_occupied false', 'channel_vacated', 'channel_occupied true'],
    );
  });
});

describe('presence: client events', () => {
  test('carry the sender’s user_id (as a string), not echoed to the sender', async () => {
    const t = createTestHub();
    const sender = await join(t, 10);
    const sameUser = await join(t, '10');
    const other = await join(t, '2');
    clear(sender, sameUser);
    t.receive(sender.connection, { event: 'client-typing', channel: room, data: { on: true } });
    assert.deepEqual(sender.transport.frames, []);
    for (const peer of [sameUser, other]) {
      assert.deepEqual(peer.transport.texts, [
        '{"event":"client-typing","channel":"presence-room","data":"{\\"on\\":true}","user_id":"10"}',
      ]);
    }
    const event = t.events.find((e) => e.name === 'client_event');
    assert.equal(event?.name === 'client_event' && event.event.userId, '10');
  });

  test('private channels carry no user_id even for a member of a presence channel', async () => {
    const t = createTestHub();
    const a = await join(t, '1');
    const b = await join(t, '2');
    t.subscribe(a.connection, 'private-x');
    t.subscribe(b.connection, 'private-x');
    b.transport.clear();
    t.receive(a.connection, { event: 'client-typing', channel: 'private-x', data: 'x' });
    assert.deepEqual(b.transport.parsed, [
      { event: 'client-typing', channel: 'private-x', data: 'x' },
    ]);
  });
});

describe('presence through the signed-in user (§4.5)', () => {
  test('without channel_data and without signin → AuthError 401', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.subscribe(connection, room);
    await flush();
    assert.deepEqual(transport.parsed, [
      {
        event: 'pusher:subscription_error',
        channel: room,
        data: JSON.stringify({
          type: 'AuthError',
          error: 'Presence subscription requires channel_data or a signed-in user',
          status: 401,
        }),
      },
    ]);
    assert.equal(await t.hub.userCount(t.app.id, room), 0);
  });

  test('a signed-in connection joins as its user, with its user_info', async () => {
    const t = createTestHub();
    const observer = await join(t, 'observer');
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42', user_info: { name: 'Ann' } });
    transport.clear();
    // Signed over socket id and channel only.
    t.subscribe(connection, room);
    await flush();
    assert.deepEqual(presenceOf(transport.last), {
      ids: ['observer', '42'],
      hash: { observer: null, 42: { name: 'Ann' } },
      count: 2,
    });
    assert.deepEqual(dataOf(observer.transport.last), {
      user_id: '42',
      user_info: { name: 'Ann' },
    });
    assert.deepEqual(await t.hub.members(t.app.id, room), [
      { userId: 'observer', userInfo: undefined },
      { userId: '42', userInfo: '{"name":"Ann"}' },
    ]);
    t.receive(connection, { event: 'client-x', channel: room, data: '1' });
    assert.equal(observer.transport.last?.user_id, '42');
  });

  test('a signed-in user without user_info is a member without info', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42' });
    t.subscribe(connection, room);
    await flush();
    assert.deepEqual(presenceOf(transport.last).hash, { 42: null });
  });

  test('the token must still be valid', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42' });
    transport.clear();
    t.receive(connection, { event: 'pusher:subscribe', data: { auth: '', channel: room } });
    await flush();
    assert.equal(transport.last?.event, 'pusher:subscription_error');
    assert.equal((dataOf(transport.last) as { status: number }).status, 401);
    assert.equal(await t.hub.userCount(t.app.id, room), 0);
  });

  test('a signed-in connection that sends channel_data joins as the channel_data user', async () => {
    const t = createTestHub();
    const { transport, connection } = t.connect();
    t.signin(connection, { id: '42' });
    t.subscribe(connection, room, channelData('7'));
    await flush();
    assert.deepEqual(presenceOf(transport.last).ids, ['7']);
  });
});
