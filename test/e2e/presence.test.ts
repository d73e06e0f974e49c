/**
 * Presence channels end to end (PROTOCOL.md §2.3, §2.6, §2.8, §4.4, §4.5, §5.3, §5.5–§5.7,
 * §10.7–§10.8): membership per distinct user, announced once per user; ids always strings; every
 * refusal channel-scoped with its type and status; the member list through the HTTP API.
 * pusher-js shows what applications see, raw clients what is on the wire.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import { eventsOf, nextEvent, subscribe } from '../helpers/pusher-js.js';
import {
  AuthClients,
  closeOnServer,
  decoded,
  disconnectOnServer,
  framesBefore,
  hmacHex,
  itemsBefore,
  membersOf,
  nextWithMetadata,
  rawSignin,
  signedSubscribe,
  subscribeAnswer,
  triggerMarker,
  type PresenceMember,
  type SubscribeData,
} from '../helpers/auth.js';

const ANN = { user_id: '1', user_info: { name: 'Ann' } } as const;
const BOB = { user_id: '2', user_info: { name: 'Bob' } } as const;

interface Presence {
  ids: string[];
  hash: Record<string, unknown>;
  count: number;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `presence` object of a `subscription_succeeded` frame, failing on any other answer. */
function presenceOf(frame: ServerFrame): Presence {
  assert.equal(
    frame.event,
    'pusher_internal:subscription_succeeded',
    `subscribed: ${JSON.stringify(frame.data)}`,
  );
  const { presence } = decoded<{ presence: Presence }>(frame);
  assert.equal(presence.count, presence.ids.length, 'count is the number of distinct ids');
  assert.deepEqual(
    Object.keys(presence.hash).sort(byId),
    [...presence.ids].sort(byId),
    'every id is in the hash (§2.3)',
  );
  return presence;
}

/** The decoded data of a `pusher:subscription_error` for `channel`. */
function refusalOf(
  frame: ServerFrame,
  channel: string,
): { type: string; status: number; error: string } {
  assert.equal(frame.event, 'pusher:subscription_error', `refused: ${JSON.stringify(frame)}`);
  assert.equal(frame.channel, channel);
  return decoded(frame);
}

const isMemberEvent = (event: string) =>
  event === 'pusher_internal:member_added' || event === 'pusher_internal:member_removed';

describe('presence channels', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let clients: AuthClients;
  let channels = 0;
  /** A channel name no earlier test used: their clean-up may still be in flight on the server. */
  const fresh = (base = 'presence-room') => `${base}-${++channels}`;

  /** Joins `channel` as `member` with a raw client and returns the member list it was given. */
  async function rawJoin(channel: string, member: PresenceMember): Promise<[RawClient, Presence]> {
    const client = await raw.connect();
    const answer = await subscribeAnswer(client, signedSubscribe(sdk, client, channel, member));
    return [client, presenceOf(answer)];
  }

  /** Member events `client` got on `channel` up to a marker triggered now. */
  async function memberFramesUntilMarker(client: RawClient, channel: string) {
    const marker = await triggerMarker(sdk, channel);
    const frames = await framesBefore(client, (f) => f.event === marker, marker);
    return frames.filter((f) => isMemberEvent(f.event));
  }

  async function getJson(path: string, params: Record<string, string> = {}): Promise<unknown> {
    const response = await sdk.get({ path, params });
    return response.json();
  }

  before(async () => {
    herald = await startHerald();
    sdk = new PusherServer(herald.pusherOptions);
    raw = new RawClients(herald);
    clients = new AuthClients(herald, sdk);
  });
  afterEach(async () => {
    clients.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  describe('membership with pusher-js (§2.3, §2.6, §10.7, §10.8)', () => {
    it('two users: both in subscription_succeeded, me set, the first told once of the second', async () => {
      const channel = fresh();
      const ann = await clients.connect({ member: ANN });
      const bob = await clients.connect({ member: BOB });
      const annChannel = await subscribe(ann, channel);
      assert.deepEqual(membersOf(annChannel), {
        count: 1,
        me: { id: '1', info: { name: 'Ann' } },
        each: [{ id: '1', info: { name: 'Ann' } }],
      });

      const bobChannel = await subscribe(bob, channel);
      assert.deepEqual(membersOf(bobChannel), {
        count: 2,
        me: { id: '2', info: { name: 'Bob' } },
        each: [
          { id: '1', info: { name: 'Ann' } },
          { id: '2', info: { name: 'Bob' } },
        ],
      });
      assert.deepEqual(await nextEvent(annChannel, 'pusher:member_added'), {
        id: '2',
        info: { name: 'Bob' },
      });
      assert.equal(membersOf(annChannel).count, 2);

      const marker = await triggerMarker(sdk, channel);
      const annSaw = await itemsBefore(eventsOf(annChannel), (e) => e.event === marker, marker);
      const bobSaw = await itemsBefore(eventsOf(bobChannel), (e) => e.event === marker, marker);
      assert.deepEqual(annSaw, [], 'member_added came once');
      assert.deepEqual(bobSaw, [], 'the joining connection is not told about itself');
    });

    it("a user's second tab changes nothing; only closing the last tab removes the member, once", async () => {
      const channel = fresh();
      const lifecycle = herald.server.lifecycle;
      const ann = await clients.connect({ member: ANN });
      const annChannel = await subscribe(ann, channel);
      const bob1 = await clients.connect({ member: BOB });
      await subscribe(bob1, channel);
      await nextEvent(annChannel, 'pusher:member_added');

      // Other info on the second tab: the membership keeps the info it was announced with (§2.6).
      const bob2 = await clients.connect({
        member: { user_id: '2', user_info: { name: 'Bobby' } },
      });
      const bob2Channel = await subscribe(bob2, channel);
      assert.deepEqual(membersOf(bob2Channel), {
        count: 2,
        me: { id: '2', info: { name: 'Bob' } },
        each: [
          { id: '1', info: { name: 'Ann' } },
          { id: '2', info: { name: 'Bob' } },
        ],
      });
      let marker = await triggerMarker(sdk, channel);
      let annSaw = await itemsBefore(eventsOf(annChannel), (e) => e.event === marker, marker);
      assert.deepEqual(annSaw, [], 'no member_added for a second connection of a member');
      assert.equal(membersOf(annChannel).count, 2);

      await disconnectOnServer(lifecycle, bob2);
      marker = await triggerMarker(sdk, channel);
      annSaw = await itemsBefore(eventsOf(annChannel), (e) => e.event === marker, marker);
      assert.deepEqual(annSaw, [], 'no member_removed while another tab of the user remains');
      assert.equal(membersOf(annChannel).count, 2);

      await disconnectOnServer(lifecycle, bob1);
      assert.deepEqual(await nextEvent(annChannel, 'pusher:member_removed'), {
        id: '2',
        info: { name: 'Bob' },
      });
      assert.deepEqual(membersOf(annChannel).each, [{ id: '1', info: { name: 'Ann' } }]);
      marker = await triggerMarker(sdk, channel);
      annSaw = await itemsBefore(eventsOf(annChannel), (e) => e.event === marker, marker);
      assert.deepEqual(annSaw, [], 'member_removed came once');
    });

    it('unsubscribing the only connection of a user removes the member (§2.5)', async () => {
      const channel = fresh();
      const ann = await clients.connect({ member: ANN });
      const annChannel = await subscribe(ann, channel);
      const bob = await clients.connect({ member: BOB });
      await subscribe(bob, channel);
      await nextEvent(annChannel, 'pusher:member_added');

      bob.unsubscribe(channel);
      assert.deepEqual(await nextEvent(annChannel, 'pusher:member_removed'), {
        id: '2',
        info: { name: 'Bob' },
      });
      assert.equal(membersOf(annChannel).count, 1);
    });

    it('members.each lists a member without user_info with info null', async () => {
      const channel = fresh();
      await rawJoin(channel, { user_id: '7' });
      const pusher = await clients.connect({ member: { user_id: '5' } });
      const joined = await subscribe(pusher, channel);
      assert.deepEqual(membersOf(joined), {
        count: 2,
        me: { id: '5', info: null },
        each: [
          { id: '5', info: null },
          { id: '7', info: null },
        ],
      });
    });
  });

  describe('what is on the wire (§2.3, §2.6, §4.4)', () => {
    it('ids are strings, the hash has every id (null without user_info), count distinct users', async () => {
      const channel = fresh();
      const [first, alone] = await rawJoin(channel, { user_id: '7' });
      assert.deepEqual(alone, { ids: ['7'], hash: { '7': null }, count: 1 });

      const [, both] = await rawJoin(channel, { user_id: '42', user_info: { name: 'Ann' } });
      assert.deepEqual([...both.ids].sort(byId), ['42', '7']);
      assert.deepEqual(both.hash, { '7': null, '42': { name: 'Ann' } });
      assert.equal(both.count, 2);
      const added = await first.nextEvent('pusher_internal:member_added', channel);
      assert.deepEqual(decoded(added), { user_id: '42', user_info: { name: 'Ann' } });

      await rawJoin(channel, { user_id: '9' });
      const bare = decoded(await first.nextEvent('pusher_internal:member_added', channel));
      assert.equal(bare.user_id, '9');
      assert.ok(
        !('user_info' in bare) || bare.user_info === null,
        `no user_info, or null: ${JSON.stringify(bare)}`,
      );
    });

    it('a numeric user_id 10 is "10" in ids, hash, member_added, /users and client events', async () => {
      const channel = fresh();
      const lifecycle = herald.server.lifecycle;
      const [one] = await rawJoin(channel, { user_id: '1' });
      const [ten, seen] = await rawJoin(channel, { user_id: 10, user_info: { name: 'Ten' } });
      assert.deepEqual([...seen.ids].sort(byId), ['1', '10']);
      assert.deepEqual(seen.hash, { '1': null, '10': { name: 'Ten' } });
      const added = await one.nextEvent('pusher_internal:member_added', channel);
      assert.deepEqual(decoded(added), { user_id: '10', user_info: { name: 'Ten' } });

      // 10 and "10" are one user: a second tab announcing "10" adds nobody.
      const [tenAgain, again] = await rawJoin(channel, {
        user_id: '10',
        user_info: { name: 'Ten' },
      });
      assert.equal(again.count, 2);
      assert.deepEqual(await memberFramesUntilMarker(one, channel), []);
      assert.deepEqual(await getJson(`/channels/${channel}/users`), {
        users: [{ id: '1' }, { id: '10' }],
      });

      ten.send({ event: 'client-hello', channel, data: { x: 1 } });
      for (const receiver of [one, tenAgain]) {
        const relayed = await receiver.nextEvent('client-hello', channel);
        assert.equal(relayed.user_id, '10', 'user_id of the sender, as a string');
      }

      await closeOnServer(lifecycle, ten);
      assert.deepEqual(await memberFramesUntilMarker(one, channel), []);
      await closeOnServer(lifecycle, tenAgain);
      const removed = await one.nextEvent('pusher_internal:member_removed', channel);
      assert.deepEqual(decoded(removed), { user_id: '10' });
    });

    it('pusher-js sees a numeric id as "10" in members and in client-event metadata', async () => {
      const channel = fresh();
      const ten = await clients.connect({ member: { user_id: 10, user_info: { name: 'Ten' } } });
      const ann = await clients.connect({ member: ANN });
      const tenChannel = await subscribe(ten, channel);
      const annChannel = await subscribe(ann, channel);
      assert.deepEqual(
        membersOf(annChannel).each.map((m) => m.id),
        ['1', '10'],
      );
      // pusher-js keeps members.me.id as its own channel_data gave it (the number, CLIENTS.md);
      // the info still comes from the server's hash under "10".
      assert.deepEqual((membersOf(tenChannel).me as { info: unknown }).info, { name: 'Ten' });

      const got = nextWithMetadata(annChannel, 'client-wave');
      assert.equal(tenChannel.trigger('client-wave', { hi: true }), true);
      assert.deepEqual(await got, { data: { hi: true }, metadata: { user_id: '10' } });
    });

    it('client events carry the user_id of the sender, also to its other tabs (§2.8)', async () => {
      const channel = fresh();
      const ann = await clients.connect({ member: ANN });
      const bob1 = await clients.connect({ member: BOB });
      const bob2 = await clients.connect({ member: BOB });
      const annChannel = await subscribe(ann, channel);
      const bob1Channel = await subscribe(bob1, channel);
      const bob2Channel = await subscribe(bob2, channel);

      const atBob1 = nextWithMetadata(bob1Channel, 'client-typing');
      let atBob2 = nextWithMetadata(bob2Channel, 'client-typing');
      annChannel.trigger('client-typing', { typing: true });
      for (const got of [await atBob1, await atBob2]) {
        assert.deepEqual(got, { data: { typing: true }, metadata: { user_id: '1' } });
      }

      const atAnn = nextWithMetadata(annChannel, 'client-typing');
      atBob2 = nextWithMetadata(bob2Channel, 'client-typing');
      bob1Channel.trigger('client-typing', { typing: false });
      for (const got of [await atAnn, await atBob2]) {
        assert.deepEqual(got, { data: { typing: false }, metadata: { user_id: '2' } });
      }
    });

    it('a duplicate subscribe answers the current member list again, announcing nothing', async () => {
      const channel = fresh();
      const [first] = await rawJoin(channel, { user_id: 'a' });
      const [second] = await rawJoin(channel, { user_id: 'b' });
      await first.nextEvent('pusher_internal:member_added', channel);

      const answer = await subscribeAnswer(
        second,
        signedSubscribe(sdk, second, channel, { user_id: 'b' }),
      );
      const again = presenceOf(answer);
      assert.deepEqual([...again.ids].sort(byId), ['a', 'b']);
      assert.equal(again.count, 2);
      assert.deepEqual(await memberFramesUntilMarker(first, channel), []);
      assert.deepEqual(
        await getJson(`/channels/${channel}`, { info: 'user_count,subscription_count' }),
        { occupied: true, user_count: 2, subscription_count: 2 },
      );
    });
  });

  describe('races a hand-written client can make (§2.3, §2.5, §10.9)', () => {
    // Frames sent back to back usually reach the server in one read, so each is handled while
    // the presence join before it is still waiting for the store. Whatever the interleaving,
    // the end state must be consistent: the members others were told about, /users and the
    // connection's own subscription agree.

    /** Who `observer` believes is in `channel`, from the member events it got until a marker. */
    async function believedMembers(observer: RawClient, channel: string, initial: string[]) {
      const members = new Set(initial);
      const marker = await triggerMarker(sdk, channel);
      for (const frame of await framesBefore(observer, (f) => f.event === marker, marker)) {
        if (!isMemberEvent(frame.event)) continue;
        const { user_id: id } = decoded<{ user_id: string }>(frame);
        if (frame.event === 'pusher_internal:member_added') members.add(id);
        if (frame.event === 'pusher_internal:member_removed') members.delete(id);
      }
      return [...members].sort(byId);
    }

    const users = async (channel: string) =>
      ((await getJson(`/channels/${channel}/users`)) as { users: Array<{ id: string }> }).users
        .map((user) => user.id)
        .sort(byId);

    for (const [what, sequence, subscribed] of [
      ['subscribe, unsubscribe, subscribe', ['sub', 'unsub', 'sub'], true],
      ['subscribe twice', ['sub', 'sub'], true],
      ['subscribe, unsubscribe', ['sub', 'unsub'], false],
    ] as const) {
      it(`${what} at once: members, /users and the subscription agree`, async () => {
        const channel = fresh();
        const lifecycle = herald.server.lifecycle;
        const [observer] = await rawJoin(channel, { user_id: 'obs' });
        const client = await raw.connect();
        const subscribeData = signedSubscribe(sdk, client, channel, { user_id: 'x' });
        for (const step of sequence) {
          client.send(
            step === 'sub'
              ? { event: 'pusher:subscribe', data: subscribeData }
              : { event: 'pusher:unsubscribe', data: { channel } },
          );
        }
        await client.roundTrip();
        const expected = subscribed ? ['obs', 'x'] : ['obs'];
        assert.deepEqual(await believedMembers(observer, channel, ['obs']), expected);
        assert.deepEqual(await users(channel), expected);
        // The connection's own view: a client event is relayed only from a subscriber.
        client.skipAll();
        client.send({ event: 'client-probe', channel, data: {} });
        if (subscribed) await observer.nextEvent('client-probe', channel);
        else await client.nextEvent('pusher:error');

        await closeOnServer(lifecycle, client);
        assert.deepEqual(await believedMembers(observer, channel, expected), ['obs']);
        assert.deepEqual(await users(channel), ['obs']);
      });
    }
  });

  describe('presence through the signed-in user (§4.5)', () => {
    it('pusher-js: an auth response without channel_data uses the signed-in user and its user_info', async () => {
      const channel = fresh();
      const observer = await clients.connect({ member: ANN });
      const observed = await subscribe(observer, channel);
      const una = await clients.connect({ user: { id: 'una', user_info: { name: 'Una' } } });
      // Not awaited: pusher-js's presence authorizer itself waits for the signin to finish.
      una.signin();
      const joined = await subscribe(una, channel);
      assert.deepEqual(membersOf(joined), {
        count: 2,
        me: { id: 'una', info: { name: 'Una' } },
        each: [
          { id: '1', info: { name: 'Ann' } },
          { id: 'una', info: { name: 'Una' } },
        ],
      });
      assert.deepEqual(await nextEvent(observed, 'pusher:member_added'), {
        id: 'una',
        info: { name: 'Una' },
      });
    });

    it('raw: signed in, a presence subscribe signed over socket id and channel only is accepted', async () => {
      const channel = fresh();
      const client = await raw.connect();
      const answer = await rawSignin(
        client,
        sdk.authenticateUser(client.socketId, { id: 'ray', user_info: { r: 1 } }),
      );
      assert.equal(answer.event, 'pusher:signin_success');
      const joined = presenceOf(
        await subscribeAnswer(client, signedSubscribe(sdk, client, channel)),
      );
      assert.deepEqual(joined, { ids: ['ray'], hash: { ray: { r: 1 } }, count: 1 });
    });

    it('pusher-js without channel_data and without signin does not subscribe', async () => {
      const channel = fresh();
      const pusher = await clients.connect({});
      const events = eventsOf(pusher.subscribe(channel));
      const failed = await events.next(
        (e) =>
          e.event === 'pusher:subscription_error' || e.event === 'pusher:subscription_succeeded',
        `the outcome of subscribing ${channel}`,
      );
      // pusher-js refuses on its own (its presence authorizer needs channel_data or a user).
      assert.equal(failed.event, 'pusher:subscription_error');
      assert.deepEqual(await getJson(`/channels/${channel}/users`), { users: [] });
    });
  });

  describe('refusals are channel-scoped, with type and status (§2.4)', () => {
    /** A presence token over exactly `channelData` (which the SDK would re-serialize). */
    const handSigned = (client: RawClient, channel: string, channelData: string) => ({
      channel,
      channel_data: channelData,
      auth: `${herald.app.key}:${hmacHex(herald.app.secret, `${client.socketId}:${channel}:${channelData}`)}`,
    });
    const viaSdk = (member: unknown) => (client: RawClient, channel: string) =>
      signedSubscribe(sdk, client, channel, member as PresenceMember);

    const refusals: ReadonlyArray<{
      what: string;
      data: (client: RawClient, channel: string) => SubscribeData;
      type: string;
      status: number;
      error?: string;
    }> = [
      {
        what: 'a bad signature',
        data: (_client, channel) => ({
          channel,
          channel_data: '{"user_id":"1"}',
          auth: `${herald.app.key}:${'0'.repeat(64)}`,
        }),
        type: 'AuthError',
        status: 401,
      },
      {
        what: 'a signature by another secret',
        data: (client, channel) =>
          signedSubscribe(
            new PusherServer({ ...herald.pusherOptions, secret: 'not-the-secret' }),
            client,
            channel,
            { user_id: '1' },
          ),
        type: 'AuthError',
        status: 401,
      },
      {
        what: 'channel_data that is not JSON',
        data: (client, channel) => handSigned(client, channel, 'not json'),
        type: 'AuthError',
        status: 400,
        error: 'Invalid channel_data',
      },
      {
        what: 'channel_data that is a JSON array',
        data: (client, channel) => handSigned(client, channel, '[{"user_id":"1"}]'),
        type: 'AuthError',
        status: 400,
        error: 'Invalid channel_data',
      },
      {
        what: 'channel_data without user_id',
        data: viaSdk({ user_info: { name: 'Nobody' } }),
        type: 'AuthError',
        status: 400,
        error: 'Invalid channel_data',
      },
      {
        what: 'an empty user_id',
        data: viaSdk({ user_id: '' }),
        type: 'AuthError',
        status: 400,
        error: 'Invalid channel_data',
      },
      {
        what: 'a user_id of 129 characters',
        data: viaSdk({ user_id: 'u'.repeat(129) }),
        type: 'LimitReached',
        status: 413,
      },
      {
        what: 'user_info of 1025 bytes',
        // {"a":"…"} is 8 bytes around the string.
        data: viaSdk({ user_id: '1', user_info: { a: 'x'.repeat(1017) } }),
        type: 'LimitReached',
        status: 413,
      },
      {
        what: 'no channel_data on a connection not signed in',
        data: (client, channel) => signedSubscribe(sdk, client, channel),
        type: 'AuthError',
        status: 401,
      },
    ];

    for (const refusal of refusals) {
      it(`refuses ${refusal.what}: ${refusal.type} ${refusal.status}, connection open`, async () => {
        const channel = fresh();
        const client = await raw.connect();
        const answer = await subscribeAnswer(client, refusal.data(client, channel));
        const data = refusalOf(answer, channel);
        assert.equal(data.type, refusal.type, data.error);
        assert.equal(data.status, refusal.status, data.error);
        if (refusal.error !== undefined) assert.equal(data.error, refusal.error);
        await client.roundTrip();
        assert.equal(client.closedWith, undefined, 'the connection stays open');
        assert.deepEqual(await getJson(`/channels/${channel}/users`), { users: [] });
      });
    }

    it('accepts the limits themselves: a 128-character user_id and 1024 bytes of user_info', async () => {
      const channel = fresh();
      const longId = 'u'.repeat(128);
      const [, withId] = await rawJoin(channel, { user_id: longId });
      assert.deepEqual(withId.ids, [longId]);
      const info = { a: 'x'.repeat(1016) };
      assert.equal(Buffer.byteLength(JSON.stringify(info)), 1024);
      const [, withInfo] = await rawJoin(channel, { user_id: '2', user_info: info });
      assert.deepEqual(withInfo.hash['2'], info);
    });

    it('pusher-js gets the refusal as pusher:subscription_error {type, error, status}', async () => {
      const channel = fresh();
      const pusher = await clients.connect({
        member: ANN,
        sdk: new PusherServer({ ...herald.pusherOptions, secret: 'not-the-secret' }),
      });
      const events = eventsOf(pusher.subscribe(channel));
      const refused = await events.next(
        (e) => e.event === 'pusher:subscription_error',
        'pusher:subscription_error',
      );
      const data = refused.data as { type: string; status: number; error: string };
      assert.equal(data.type, 'AuthError');
      assert.equal(data.status, 401);
      assert.match(data.error, /signature/i);
    });
  });

  describe('HTTP API (§5.3, §5.5–§5.7)', () => {
    it('/users lists distinct ids; user_count counts users, subscription_count connections', async () => {
      const prefix = `${fresh('presence-http')}-`;
      const [big, small] = [`${prefix}big`, `${prefix}small`];
      const lifecycle = herald.server.lifecycle;
      const [one] = await rawJoin(big, { user_id: '1' });
      await rawJoin(big, { user_id: '2' });
      await rawJoin(big, { user_id: '2' });
      await rawJoin(small, { user_id: '3' });

      const users = (await getJson(`/channels/${big}/users`)) as { users: Array<{ id: string }> };
      assert.deepEqual(Object.keys(users), ['users']);
      assert.deepEqual(
        [...users.users].sort((a, b) => byId(a.id, b.id)),
        [{ id: '1' }, { id: '2' }],
      );

      assert.deepEqual(
        await getJson(`/channels/${big}`, { info: 'user_count,subscription_count' }),
        { occupied: true, user_count: 2, subscription_count: 3 },
      );
      assert.deepEqual(await getJson(`/channels/${big}`, { info: 'user_count' }), {
        occupied: true,
        user_count: 2,
      });
      assert.deepEqual(
        await getJson('/channels', { filter_by_prefix: prefix, info: 'user_count' }),
        { channels: { [big]: { user_count: 2 }, [small]: { user_count: 1 } } },
      );
      assert.deepEqual(
        await getJson('/channels', {
          filter_by_prefix: prefix,
          info: 'user_count,subscription_count',
        }),
        {
          channels: {
            [big]: { user_count: 2, subscription_count: 3 },
            [small]: { user_count: 1, subscription_count: 1 },
          },
        },
      );

      await closeOnServer(lifecycle, one);
      assert.deepEqual(await getJson(`/channels/${big}/users`), { users: [{ id: '2' }] });
    });

    it('trigger and batch info report user_count only for presence channels', async () => {
      const channel = fresh();
      await rawJoin(channel, { user_id: '1' });
      await rawJoin(channel, { user_id: '2' });
      await rawJoin(channel, { user_id: '2' });
      const plain = `plain-${channels}`;

      const triggered = await sdk.trigger(
        [channel, plain],
        'info-please',
        {},
        {
          info: 'user_count,subscription_count',
        },
      );
      assert.deepEqual(await triggered.json(), {
        channels: {
          [channel]: { user_count: 2, subscription_count: 3 },
          [plain]: { subscription_count: 0 },
        },
      });

      const batch = await sdk.triggerBatch([
        { channel, name: 'one', data: '{}', info: 'user_count' },
        { channel: plain, name: 'two', data: '{}' },
      ]);
      assert.deepEqual(await batch.json(), { batch: [{ user_count: 2 }, {}] });
    });

    it('/users of a non-presence channel is 400; of an empty presence channel {"users":[]}', async () => {
      for (const channel of ['news', 'private-orders', 'cache-prices']) {
        await assert.rejects(sdk.get({ path: `/channels/${channel}/users` }), { status: 400 });
      }
      assert.deepEqual(await getJson(`/channels/${fresh()}/users`), { users: [] });
      await assert.rejects(
        sdk.get({
          path: '/channels',
          params: { filter_by_prefix: 'private-', info: 'user_count' },
        }),
        { status: 400 },
      );
      await assert.rejects(sdk.get({ path: '/channels/news', params: { info: 'user_count' } }), {
        status: 400,
      });
    });
  });
});

describe('presence member limit (§2.4, §9)', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;

  before(async () => {
    herald = await startHerald({
      apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret', maxPresenceMembers: 2 }],
    });
    sdk = new PusherServer(herald.pusherOptions);
    raw = new RawClients(herald);
  });
  after(async () => {
    await raw.closeAll();
    await herald.stop();
  });

  it('refuses a third distinct user with 429 LimitReached, accepts a second tab, frees on leave', async () => {
    const channel = 'presence-full';
    const join = async (userId: string) => {
      const client = await raw.connect();
      const answer = await subscribeAnswer(
        client,
        signedSubscribe(sdk, client, channel, { user_id: userId }),
      );
      return { client, answer };
    };
    const one = await join('1');
    const two = await join('2');
    await one.client.nextEvent('pusher_internal:member_added', channel);

    const three = await join('3');
    const data = refusalOf(three.answer, channel);
    assert.deepEqual(data, {
      type: 'LimitReached',
      status: 429,
      error: 'Presence channel member limit (2) reached',
    });
    await three.client.roundTrip();
    assert.equal(three.client.closedWith, undefined, 'the refused connection stays open');

    const twoAgain = await join('2');
    assert.equal(twoAgain.answer.event, 'pusher_internal:subscription_succeeded');
    assert.equal(presenceOf(twoAgain.answer).count, 2);

    const marker = await triggerMarker(sdk, channel);
    const seen = await framesBefore(one.client, (f) => f.event === marker, marker);
    assert.deepEqual(
      seen.filter((f) => isMemberEvent(f.event)),
      [],
      'neither is announced',
    );

    one.client.send({ event: 'pusher:unsubscribe', data: { channel } });
    await one.client.roundTrip();
    await two.client.nextEvent('pusher_internal:member_removed', channel);
    const retried = await subscribeAnswer(
      three.client,
      signedSubscribe(sdk, three.client, channel, { user_id: '3' }),
    );
    assert.deepEqual([...presenceOf(retried).ids].sort(byId), ['2', '3']);
  });
});
