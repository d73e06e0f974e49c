/**
 * Fault injection through herald/testing with real pusher-js clients: one socket, one user's
 * sockets or all of them closed with a chosen code — and pusher-js reacting as that code tells
 * it (PROTOCOL.md §1.6) — and new connections refused for a while on herald's clock.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { ManualClock, startHerald } from '../../src/testing/index.js';
import { AuthClients, signin } from '../helpers/auth.js';
import {
  errorsOf,
  eventsOf,
  statesOf,
  subscribe,
  waitForState,
  type PusherJs,
} from '../helpers/pusher-js.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(clock?: ManualClock) {
  const herald = await startHerald({ record: true }, clock === undefined ? {} : { clock });
  const sdk = new PusherServer(herald.pusherOptions);
  const clients = new AuthClients(herald, sdk);
  cleanups.push(
    () => herald.stop(),
    () => clients.disconnectAll(),
  );
  return { herald, sdk, clients };
}

type ClientError = { type?: string; data?: { code?: number | null }; error?: unknown };

/**
 * The code pusher-js reported for the close: a `PusherError` on an open connection, wrapped in
 * a `WebSocketError` when the connection was refused during the handshake.
 */
async function closedWith(pusher: PusherJs, code: number): Promise<void> {
  const codeOf = (e: ClientError) =>
    e.type === 'WebSocketError' ? (e.error as ClientError | undefined)?.data?.code : e.data?.code;
  await errorsOf(pusher).next((e) => codeOf(e) === code, `error ${code}`);
}

/** Waits for a new `connected` after the one the client had. */
async function reconnected(pusher: PusherJs): Promise<void> {
  await statesOf(pusher).next((state) => state === 'connecting', 'connecting again');
  await waitForState(pusher, 'connected');
}

describe('disconnect(socketId)', () => {
  it('closes one socket with the code; with 4100 pusher-js backs off, then reconnects and resubscribes', async () => {
    const { herald, clients } = await setup();
    const victim = await clients.connect();
    const bystander = await clients.connect();
    const channel = await subscribe(victim, 'news');
    const before = victim.connection.socket_id;
    const bystanderId = bystander.connection.socket_id;

    herald.disconnect(before, { code: 4100 });
    await closedWith(victim, 4100);
    await reconnected(victim);
    assert.notEqual(victim.connection.socket_id, before, 'a new connection');
    await eventsOf(channel).next(
      (e) => e.event === 'pusher:subscription_succeeded',
      'resubscribed',
    );

    const closed = herald.events({ kind: 'disconnected', socketId: before });
    assert.ok(closed[0]?.kind === 'disconnected');
    assert.equal(closed[0].code, 4100);
    assert.equal(bystander.connection.socket_id, bystanderId);
    assert.equal(bystander.connection.state, 'connected');
    assert.deepEqual(errorsOf(bystander).items, [], 'the bystander saw nothing');
  });

  it('closes with 4200 by default: pusher-js reconnects at once', async () => {
    const { herald, clients } = await setup();
    const pusher = await clients.connect();
    herald.disconnect(pusher.connection.socket_id);
    await closedWith(pusher, 4200);
    await reconnected(pusher);
  });

  it('with a 4000–4099 code pusher-js stays disconnected', async () => {
    const { herald, clients } = await setup();
    const pusher = await clients.connect();
    herald.disconnect(pusher.connection.socket_id, { code: 4042 });
    await closedWith(pusher, 4042);
    await waitForState(pusher, 'disconnected');
    const [record] = herald.events({ kind: 'disconnected' });
    assert.ok(record?.kind === 'disconnected');
    assert.deepEqual([record.code, record.reason], [4042, 'Closed by the server']);
  });

  it('throws for an unknown socket and for codes outside 4000–4999', async () => {
    const { herald, clients } = await setup();
    const pusher = await clients.connect();
    assert.throws(() => herald.disconnect('1.2'), /No connection 1\.2/);
    for (const code of [1000, 3999, 5000, 4100.5]) {
      assert.throws(() => herald.disconnect(pusher.connection.socket_id, { code }), RangeError);
    }
    assert.equal(pusher.connection.state, 'connected');
  });
});

describe('disconnectUser(userId)', () => {
  it('closes every connection signed in as the user, with 4009 by default, and no other', async () => {
    const { herald, clients } = await setup();
    const tab1 = await clients.connect({ user: { id: 'u1' } });
    const tab2 = await clients.connect({ user: { id: 'u1' } });
    const other = await clients.connect({ user: { id: 'u2' } });
    await Promise.all([signin(tab1), signin(tab2), signin(other)]);

    await herald.disconnectUser('u1');
    for (const tab of [tab1, tab2]) {
      await closedWith(tab, 4009);
      await waitForState(tab, 'disconnected');
    }
    assert.equal(other.connection.state, 'connected');
  });

  it('with a chosen code: 4100 makes pusher-js come back', async () => {
    const { herald, clients } = await setup();
    const tab = await clients.connect({ user: { id: 'u1' } });
    await signin(tab);
    await herald.disconnectUser('u1', { code: 4100 });
    await closedWith(tab, 4100);
    await reconnected(tab);
  });
});

describe('disconnectAll()', () => {
  it('closes every connection with the code and says how many', async () => {
    const { herald, clients } = await setup();
    const all = await Promise.all([clients.connect(), clients.connect(), clients.connect()]);
    assert.equal(herald.disconnectAll({ code: 4201 }), 3);
    for (const pusher of all) {
      await closedWith(pusher, 4201);
      await reconnected(pusher);
    }
    assert.equal(herald.events({ kind: 'disconnected' }).length, 3);
  });
});

describe('refuseConnections(ms)', () => {
  it("refuses new connections with 4100 until herald's clock has moved on; open ones stay", async () => {
    const clock = new ManualClock();
    const { herald, clients } = await setup(clock);
    const open = await clients.connect();
    herald.refuseConnections(10_000);

    const late = clients.create();
    // pusher-js retries a 4100 every second: it is refused each time until the window ends.
    const refused = await herald.waitFor({ kind: 'refused' });
    assert.ok(refused.kind === 'refused');
    assert.deepEqual([refused.code, refused.appKey], [4100, herald.app.key]);
    await closedWith(late, 4100);
    assert.notEqual(late.connection.state, 'connected');
    assert.equal(open.connection.state, 'connected');

    clock.advance(10_000);
    await waitForState(late, 'connected');
  });

  it('with a chosen code, and 0 stops refusing', async () => {
    const { herald, clients } = await setup();
    herald.refuseConnections(60_000, { code: 4003 });
    const refused = clients.create();
    await closedWith(refused, 4003);
    await waitForState(refused, 'disconnected');
    herald.refuseConnections(0);
    await clients.connect();
    assert.throws(() => herald.refuseConnections(-1), RangeError);
    assert.throws(() => herald.refuseConnections(1000, { code: 1006 }), RangeError);
  });
});
