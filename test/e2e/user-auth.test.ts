/**
 * User authentication end to end (PROTOCOL.md §2.10, §2.11, §5.8, §10.12, §10.15): pusher-js
 * `signin()` signed by the `pusher` SDK, `sendToUser` to every connection of a user and no one
 * else, refusals that leave the connection open, `terminateUserConnections` closing 4009 with
 * the normal disconnect path, and watchlist online/offline events.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { get } from '../helpers/rest.js';
import { RawClients, type RawClient, type ServerFrame } from '../helpers/ws-client.js';
import { errorsOf, eventsOf, nextEvent, subscribe, waitForState } from '../helpers/pusher-js.js';
import {
  AuthClients,
  decoded,
  disconnectOnServer,
  framesBefore,
  itemsBefore,
  rawSignin,
  signedSubscribe,
  signin,
  signinData,
  subscribeAnswer,
  triggerMarker,
  userEventsOf,
  watchlistOf,
  type SigninUser,
} from '../helpers/auth.js';

const isWatchlist = (frame: ServerFrame) => frame.event === 'pusher_internal:watchlist_events';

/** Asserts a `pusher:error` with `code` and returns its message. */
function errorMessage(frame: ServerFrame, code: number | null): string {
  assert.equal(frame.event, 'pusher:error', `expected pusher:error: ${JSON.stringify(frame)}`);
  assert.equal(frame.channel, undefined, 'a connection-level error');
  const data = frame.data as { code: unknown; message: unknown };
  assert.equal(data.code, code, `code (message: ${String(data.message)})`);
  assert.equal(typeof data.message, 'string');
  return data.message as string;
}

describe('user authentication', () => {
  let herald: TestHerald;
  let sdk: PusherServer;
  let raw: RawClients;
  let clients: AuthClients;

  /** A raw connection signed in as `user` (signin_success awaited). */
  async function rawUser(user: SigninUser): Promise<RawClient> {
    const client = await raw.connect();
    const answer = await rawSignin(client, sdk.authenticateUser(client.socketId, user));
    assert.equal(answer.event, 'pusher:signin_success', JSON.stringify(answer.data));
    return client;
  }

  /** A pusher-js client signed in as `user`, a presence member under the same id. */
  async function signedIn(user: SigninUser) {
    const pusher = await clients.connect({ user, member: { user_id: user.id } });
    await signin(pusher);
    return pusher;
  }

  /** The answer to subscribing `channel` with an empty auth, as pusher-js does for user channels. */
  const userChannelAnswer = (client: RawClient, channel: string) =>
    subscribeAnswer(client, { auth: '', channel });

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

  describe('signin (§2.10)', () => {
    it('pusher-js signin() succeeds: user.user_data is set and #server-to-user-{id} subscribed', async () => {
      const pusher = await clients.connect({ user: { id: 'ann', user_info: { name: 'Ann' } } });
      assert.deepEqual(await signin(pusher), { id: 'ann', user_info: { name: 'Ann' } });
      assert.deepEqual(pusher.user.user_data, { id: 'ann', user_info: { name: 'Ann' } });
      assert.equal(pusher.connection.state, 'connected');
    });

    it('signin_success echoes user_data byte-for-byte as a string inside the data string', async () => {
      const client = await raw.connect();
      // Spaces and key order no JSON.stringify would produce: it must come back as sent.
      const userData = '{"user_info": {"name": "Ann"},  "id": "ann"}';
      const answer = await rawSignin(client, signinData(herald.app, client.socketId, userData));
      assert.deepEqual(answer, {
        event: 'pusher:signin_success',
        data: JSON.stringify({ user_data: userData }),
      });
      assert.deepEqual(await userChannelAnswer(client, '#server-to-user-ann'), {
        event: 'pusher_internal:subscription_succeeded',
        channel: '#server-to-user-ann',
        data: '{}',
      });
    });

    it('signing in again as the same user succeeds again', async () => {
      const client = await rawUser({ id: 'ann' });
      const again = await rawSignin(client, sdk.authenticateUser(client.socketId, { id: 'ann' }));
      assert.equal(again.event, 'pusher:signin_success');
    });

    it('a wrong signature from pusher-js is pusher:error code null; it stays connected', async () => {
      const pusher = await clients.connect({
        user: { id: 'ann' },
        sdk: new PusherServer({ ...herald.pusherOptions, secret: 'not-the-secret' }),
      });
      pusher.signin();
      const error = await errorsOf(pusher).next(
        (e) => e.type === 'PusherError',
        'a PusherError after signin',
      );
      assert.equal(error.data?.code, null);
      assert.equal(pusher.user.user_data, null);
      // Still a working connection.
      const channel = await subscribe(pusher, 'after-failed-signin');
      const got = nextEvent(channel, 'ping');
      await sdk.trigger('after-failed-signin', 'ping', { ok: true });
      assert.deepEqual(await got, { ok: true });
      assert.equal(pusher.connection.state, 'connected');
    });

    const refusals: ReadonlyArray<{ what: string; data: (client: RawClient) => object }> = [
      {
        what: 'a bad signature',
        data: () => ({ auth: `${herald.app.key}:${'0'.repeat(64)}`, user_data: '{"id":"ann"}' }),
      },
      {
        what: 'a signature by another key',
        data: (client) =>
          signinData(
            { key: 'other-key', secret: herald.app.secret },
            client.socketId,
            '{"id":"ann"}',
          ),
      },
      { what: 'no auth', data: () => ({ user_data: '{"id":"ann"}' }) },
      {
        what: 'user_data that is not a JSON object',
        data: (client) => signinData(herald.app, client.socketId, '"ann"'),
      },
      {
        what: 'a numeric id',
        data: (client) => signinData(herald.app, client.socketId, '{"id":10}'),
      },
      {
        what: 'an empty id',
        data: (client) => signinData(herald.app, client.socketId, '{"id":""}'),
      },
      {
        what: 'an id of 129 characters',
        data: (client) =>
          signinData(herald.app, client.socketId, JSON.stringify({ id: 'u'.repeat(129) })),
      },
    ];
    for (const refusal of refusals) {
      it(`refuses ${refusal.what}: pusher:error code null, open, not signed in`, async () => {
        const client = await raw.connect();
        client.send({ event: 'pusher:signin', data: refusal.data(client) });
        errorMessage(await client.nextEvent('pusher:error'), null);
        await client.roundTrip();
        assert.equal(client.closedWith, undefined, 'the connection stays open');
        const answer = await userChannelAnswer(client, '#server-to-user-ann');
        assert.equal(answer.event, 'pusher:subscription_error', 'not signed in as ann');
      });
    }

    it('refuses signing in as a different user on a signed-in connection; the first stays', async () => {
      const client = await rawUser({ id: 'ann' });
      const answer = await rawSignin(client, sdk.authenticateUser(client.socketId, { id: 'bob' }));
      errorMessage(answer, null);
      assert.equal(client.closedWith, undefined);
      assert.equal(
        (await userChannelAnswer(client, '#server-to-user-ann')).event,
        'pusher_internal:subscription_succeeded',
      );
      assert.equal(
        (await userChannelAnswer(client, '#server-to-user-bob')).event,
        'pusher:subscription_error',
      );
    });
  });

  describe('#server-to-user-{id} (§2.10)', () => {
    it('sendToUser reaches every connection signed in as that user and no other', async () => {
      const ann1 = await signedIn({ id: 'ann' });
      const ann2 = await signedIn({ id: 'ann' });
      const bob = await signedIn({ id: 'bob' });

      await sdk.sendToUser('ann', 'notice', { n: 1 });
      for (const pusher of [ann1, ann2]) {
        const got = await userEventsOf(pusher).next((e) => e.event === 'notice', 'notice');
        assert.deepEqual(got.data, { n: 1 });
      }
      await sdk.sendToUser('bob', 'for-bob', {});
      const bobSaw = await itemsBefore(userEventsOf(bob), (e) => e.event === 'for-bob', 'for-bob');
      assert.deepEqual(bobSaw, [], "bob got nothing of ann's");
    });

    it('user channels are not listed by GET /channels (§5.5)', async () => {
      await signedIn({ id: 'listed' });
      const response = await sdk.get({ path: '/channels' });
      const { channels } = (await response.json()) as { channels: Record<string, unknown> };
      assert.deepEqual(
        Object.keys(channels).filter((name) => name.startsWith('#')),
        [],
      );
      // Sent encoded: the Node SDK puts query values in the URL as they are, and '#' would
      // start the fragment.
      const filtered = await get(
        herald,
        '/channels',
        { filter_by_prefix: '#server-to-user-' },
        {
          style: 'ruby',
        },
      );
      assert.equal(filtered.status, 200, filtered.body);
      assert.deepEqual(JSON.parse(filtered.body), { channels: {} });
    });

    it("refuses another user's channel with 403 AuthError, signed in or not", async () => {
      const ann = await rawUser({ id: 'ann' });
      const anonymous = await raw.connect();
      for (const [client, channel] of [
        [ann, '#server-to-user-bob'],
        [anonymous, '#server-to-user-ann'],
      ] as const) {
        const answer = await userChannelAnswer(client, channel);
        assert.equal(answer.event, 'pusher:subscription_error');
        assert.equal(answer.channel, channel);
        assert.deepEqual(decoded(answer), {
          type: 'AuthError',
          status: 403,
          error: `Cannot subscribe to ${channel}`,
        });
        await client.roundTrip();
        assert.equal(client.closedWith, undefined);
      }
      // The refused subscriber really receives nothing.
      const own = await userChannelAnswer(ann, '#server-to-user-ann');
      assert.equal(own.event, 'pusher_internal:subscription_succeeded');
      await sdk.sendToUser('bob', 'secret', {});
      await sdk.sendToUser('ann', 'mine', {});
      const seen = await framesBefore(ann, (f) => f.event === 'mine', 'mine');
      assert.deepEqual(seen, []);
    });
  });

  describe('terminateUserConnections (§5.8)', () => {
    it('closes every connection of the user with 4009, removes its presence, leaves others', async () => {
      const channel = 'presence-terminate';
      const ann1 = await signedIn({ id: 'ann' });
      const ann2 = await signedIn({ id: 'ann' });
      await subscribe(ann1, channel);
      await subscribe(ann2, channel);
      const annRaw = await rawUser({ id: 'ann' });
      const bob = await signedIn({ id: 'bob', watchlist: ['ann'] });
      const bobChannel = await subscribe(bob, channel);
      assert.deepEqual(await watchlistOf(bob).next(() => true, 'the initial watchlist status'), {
        name: 'online',
        user_ids: ['ann'],
      });

      const response = await sdk.terminateUserConnections('ann');
      assert.deepEqual(await response.json(), {});

      for (const pusher of [ann1, ann2]) {
        const error = await errorsOf(pusher).next(
          (e) => e.type === 'PusherError' && e.data?.code === 4009,
          'pusher:error 4009',
        );
        assert.equal(error.data?.code, 4009);
        await waitForState(pusher, 'disconnected');
      }
      errorMessage(await annRaw.nextEvent('pusher:error'), 4009);
      assert.equal((await annRaw.closed()).code, 4009);

      assert.deepEqual(await nextEvent(bobChannel, 'pusher:member_removed'), {
        id: 'ann',
        info: null,
      });
      assert.deepEqual(await watchlistOf(bob).next(() => true, 'offline for ann'), {
        name: 'offline',
        user_ids: ['ann'],
      });
      const marker = await triggerMarker(sdk, channel);
      const later = await itemsBefore(eventsOf(bobChannel), (e) => e.event === marker, marker);
      assert.deepEqual(later, [], 'member_removed once');
      assert.equal(bob.connection.state, 'connected');
      // pusher-js treats 4009 as "refused": it does not come back.
      for (const pusher of [ann1, ann2]) assert.equal(pusher.connection.state, 'disconnected');
      assert.deepEqual(await (await sdk.get({ path: `/channels/${channel}/users` })).json(), {
        users: [{ id: 'bob' }],
      });
    });

    it('leaves connections that only joined presence with that user id, not signed in', async () => {
      const channel = 'presence-not-signed-in';
      const member = await raw.connect();
      const joined = await subscribeAnswer(
        member,
        signedSubscribe(sdk, member, channel, { user_id: 'ann' }),
      );
      assert.equal(joined.event, 'pusher_internal:subscription_succeeded');
      const signedInAnn = await rawUser({ id: 'ann' });

      await sdk.terminateUserConnections('ann');
      assert.equal((await signedInAnn.closed()).code, 4009);
      await member.roundTrip();
      assert.equal(member.closedWith, undefined);
      assert.deepEqual(await (await sdk.get({ path: `/channels/${channel}/users` })).json(), {
        users: [{ id: 'ann' }],
      });
    });
  });

  describe('watchlist (§2.11)', () => {
    it('initial offline status, then online and offline as users come and go (per user, not connection)', async () => {
      const lifecycle = herald.server.lifecycle;
      const watcher = await signedIn({ id: 'A', watchlist: ['B', 'C'] });
      const events = watchlistOf(watcher);
      const b1 = await signedIn({ id: 'B' });
      // Nothing online yet: only the offline list (empty lists are left out).
      assert.deepEqual(await itemsBefore(events, (e) => e.name === 'online', 'online for B'), [
        { name: 'offline', user_ids: ['B', 'C'] },
      ]);
      assert.deepEqual(events.items.at(-1), { name: 'online', user_ids: ['B'] });

      // A second connection of B is not news; C's coming online is the next event.
      const b2 = await signedIn({ id: 'B' });
      const c = await signedIn({ id: 'C' });
      assert.deepEqual(await itemsBefore(events, (e) => e.name === 'online', 'online for C'), []);
      assert.deepEqual(events.items.at(-1), { name: 'online', user_ids: ['C'] });

      await disconnectOnServer(lifecycle, b1);
      await disconnectOnServer(lifecycle, c);
      assert.deepEqual(await itemsBefore(events, (e) => e.name === 'offline', 'offline'), []);
      assert.deepEqual(events.items.at(-1), { name: 'offline', user_ids: ['C'] });
      await disconnectOnServer(lifecycle, b2);
      assert.deepEqual(await events.next((e) => e.name === 'offline', 'offline for B'), {
        name: 'offline',
        user_ids: ['B'],
      });
    });

    it('raw: the initial status is one frame with online and offline lists, no channel', async () => {
      await rawUser({ id: 'D' });
      const watcher = await raw.connect();
      const answer = await rawSignin(
        watcher,
        sdk.authenticateUser(watcher.socketId, { id: 'W', watchlist: ['D', 'E'] }),
      );
      assert.equal(answer.event, 'pusher:signin_success');
      const status = await watcher.next(isWatchlist, 'the initial watchlist status');
      assert.deepEqual(Object.keys(status).sort(), ['data', 'event']);
      assert.deepEqual(decoded(status), {
        events: [
          { name: 'online', user_ids: ['D'] },
          { name: 'offline', user_ids: ['E'] },
        ],
      });
    });

    it('a watchlist of 101 ids: signin_success, then pusher:error 4302; only the first 100 count', async () => {
      const ids = Array.from({ length: 101 }, (_, i) => `w${i}`);
      const watcher = await raw.connect();
      const answer = await rawSignin(
        watcher,
        sdk.authenticateUser(watcher.socketId, { id: 'many', watchlist: ids }),
      );
      assert.equal(answer.event, 'pusher:signin_success');
      const message = errorMessage(await watcher.nextEvent('pusher:error'), 4302);
      assert.equal(message, 'Watchlist limit exceeded. Only the first 100 user IDs are accepted.');
      const status = await watcher.next(isWatchlist, 'the initial watchlist status');
      assert.deepEqual(decoded(status), {
        events: [{ name: 'offline', user_ids: ids.slice(0, 100) }],
      });

      await rawUser({ id: 'w100' });
      await rawUser({ id: 'w99' });
      // w100 came online first: had it been watched, its event would come first.
      const next = await watcher.next(isWatchlist, 'the next watchlist event');
      assert.deepEqual(decoded(next), { events: [{ name: 'online', user_ids: ['w99'] }] });
      await watcher.roundTrip();
      assert.equal(watcher.closedWith, undefined, 'the connection stays open');
    });
  });
});
