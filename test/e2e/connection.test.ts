/**
 * The WebSocket connection end to end (PROTOCOL.md §1): handshake, refusals and their close
 * codes, ping/pong, frame limits, malformed input, liveness probes and graceful stop, seen by
 * pusher-js and by raw clients over real loopback sockets.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHerald, type Herald } from '../../src/herald.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLog } from '../../src/core/log.js';
import type { HeraldOptions } from '../../src/config/schema.js';
import type { LifecycleEvents, LifecycleName } from '../../src/core/lifecycle.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { RawClients, WAIT_MS, type RawClient } from '../helpers/ws-client.js';
import {
  PusherJsClients,
  errorsOf,
  messagesOf,
  waitForState,
  type PusherJsTarget,
} from '../helpers/pusher-js.js';

const SOCKET_ID = /^\d+\.\d+$/;

/** The refusal of §1.7: exactly one `pusher:error` carrying `code`, then a close with `code`. */
async function assertRefused(client: RawClient, code: number): Promise<void> {
  const closed = await client.closed();
  assert.equal(closed.code, code, `close code (frames: ${client.texts.join(' | ')})`);
  assert.ok(closed.reason.length > 0, 'the close frame carries a reason');
  assert.equal(client.frames.length, 1, `one frame before the close: ${client.texts.join(' | ')}`);
  const [frame] = client.frames;
  assert.equal(frame!.event, 'pusher:error');
  const data = frame!.data as { code: unknown; message: unknown };
  assert.equal(data.code, code, 'pusher:error carries the close code');
  assert.equal(typeof data.message, 'string');
  assert.ok((data.message as string).length > 0);
}

/** The next lifecycle event `name` matching `match`, bounded by `timeoutMs`. */
function nextLifecycle<K extends LifecycleName>(
  server: Herald,
  name: K,
  match: (event: LifecycleEvents[K]) => boolean = () => true,
  timeoutMs = WAIT_MS,
): Promise<LifecycleEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} lifecycle event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = server.lifecycle.on(name, (event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** pusher-js options for a server started with `createHerald` directly. */
function pusherJsTarget(host: string, port: number): PusherJsTarget {
  return {
    app: { key: 'app-key' },
    pusherJsOptions: {
      cluster: 'herald',
      wsHost: host,
      wsPort: port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
    },
  };
}

/** A server driven by a manual clock (startHerald takes no clock), on a free loopback port. */
async function startWithClock(options: HeraldOptions, clock: ManualClock) {
  const server = createHerald(
    { host: '127.0.0.1', port: 0, ...options },
    { clock, log: silentLog },
  );
  const { websocket } = await server.start();
  return { server, host: websocket.host, port: websocket.port };
}

/** Lets the event loop run its I/O phase twice, so bytes already written on loopback are read. */
async function drainLoopback(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('connection handshake and refusals (§1.1–§1.4)', () => {
  let herald: TestHerald;
  let raw: RawClients;
  let pusherJs: PusherJsClients;

  before(async () => {
    herald = await startHerald();
    raw = new RawClients(herald);
    pusherJs = new PusherJsClients(herald);
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => herald.stop());

  it('pusher-js reaches connected with a socket id of the form \\d+.\\d+, unique per client', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => pusherJs.connect()));
    const ids = clients.map((client) => client.connection.socket_id);
    for (const id of ids) assert.match(id, SOCKET_ID);
    assert.equal(new Set(ids).size, ids.length, `socket ids are unique: ${ids.join(', ')}`);
  });

  it('sends pusher:connection_established first, with activity_timeout 120 in a JSON string', async () => {
    const client = raw.open();
    await client.established();
    const [first] = client.frames;
    assert.equal(first!.event, 'pusher:connection_established');
    assert.equal(typeof first!.data, 'string', 'data is double-encoded (§1.3)');
    const data = JSON.parse(first!.data as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(data).sort(), ['activity_timeout', 'socket_id']);
    assert.equal(data.activity_timeout, 120);
    assert.match(data.socket_id as string, SOCKET_ID);
    assert.equal(client.closedWith, undefined);
  });

  it('refuses an unknown app key with pusher:error 4001, then close 4001', async () => {
    await assertRefused(raw.open({ key: 'no-such-key' }), 4001);
  });

  it('leaves pusher-js disconnected, not reconnecting, after an unknown app key', async () => {
    const client = pusherJs.create({ key: 'no-such-key' });
    const error = await errorsOf(client).next(
      (e) => e.error !== undefined || e.data !== undefined,
      'the handshake error',
    );
    const refusal = (error.error ?? error) as { data?: { code?: number } };
    assert.equal(refusal.data?.code, 4001);
    // pusher-js enters `disconnected` only through disconnect(), which cancels every retry timer;
    // a code it would retry (4100–4299, < 4000) keeps it in `connecting` instead.
    await waitForState(client, 'disconnected');
    assert.equal(client.connection.state, 'disconnected');
  });

  for (const path of ['/foo', '/app/', '/app', '/apps/app-key', '/app/app-key/extra', '/']) {
    it(`closes an upgrade on ${path} with 4005`, async () => {
      await assertRefused(raw.open({ path: `${path}?protocol=7` }), 4005);
    });
  }

  it('closes a connection without ?protocol with 4008', async () => {
    await assertRefused(raw.open({ path: '/app/app-key?client=js&version=8.6.0' }), 4008);
  });

  for (const version of ['abc', '', '7.0', '-7']) {
    it(`closes protocol=${version} (not an integer) with 4006`, async () => {
      await assertRefused(raw.open({ path: `/app/app-key?protocol=${version}` }), 4006);
    });
  }

  for (const version of ['3', '8', '1', '70']) {
    it(`closes protocol=${version} (unsupported) with 4007`, async () => {
      await assertRefused(raw.open({ path: `/app/app-key?protocol=${version}` }), 4007);
    });
  }

  for (const version of ['4', '5', '6']) {
    it(`accepts protocol=${version} like 7`, async () => {
      const client = raw.open({ path: `/app/app-key?protocol=${version}` });
      assert.match(await client.established(), SOCKET_ID);
      await client.roundTrip();
    });
  }

  it('answers pusher:ping with pusher:pong whatever its data (object, string, absent)', async () => {
    const client = await raw.connect();
    for (const ping of [
      '{"event":"pusher:ping","data":{}}',
      '{"event":"pusher:ping","data":"{}"}',
      '{"event":"pusher:ping"}',
    ]) {
      client.send(ping);
      const pong = await client.nextEvent('pusher:pong');
      assert.deepEqual(pong, { event: 'pusher:pong', data: '{}' }, `answer to ${ping}`);
    }
  });

  for (const [what, frame] of [
    ['not JSON', 'hello'],
    ['a JSON array', '[{"event":"pusher:ping"}]'],
    ['JSON null', 'null'],
    ['an object without event', '{"data":{}}'],
    ['an object whose event is not a string', '{"event":42,"data":{}}'],
    ['a subscribe without data.channel', '{"event":"pusher:subscribe","data":{"auth":""}}'],
  ] as const) {
    it(`answers ${what} with pusher:error code null and stays open`, async () => {
      const client = await raw.connect();
      client.send(frame);
      const error = await client.nextEvent('pusher:error');
      const data = error.data as { code: unknown; message: unknown };
      assert.equal(data.code, null);
      assert.equal(typeof data.message, 'string');
      await client.roundTrip();
      assert.equal(client.closedWith, undefined);
    });
  }

  it('answers a binary frame with pusher:error code null and stays open', async () => {
    const client = await raw.connect();
    client.sendBinary(Buffer.from('{"event":"pusher:ping","data":{}}'));
    const error = await client.nextEvent('pusher:error');
    assert.equal((error.data as { code: unknown }).code, null);
    await client.roundTrip();
    assert.equal(
      client.frames.filter((f) => f.event === 'pusher:pong').length,
      1,
      'only the text ping was answered',
    );
    assert.equal(client.closedWith, undefined);
  });

  it('ignores unknown pusher:* events and names outside both namespaces (no reply)', async () => {
    const client = await raw.connect();
    client.send({ event: 'pusher:no_such_thing', data: {} });
    client.send({ event: 'my-event', data: {} });
    assert.deepEqual(await client.roundTrip(), []);
  });
});

describe('per-app refusals (§1.6: 4003, 4004)', () => {
  let herald: TestHerald;
  let raw: RawClients;

  before(async () => {
    herald = await startHerald({
      apps: [
        { id: 'quota', key: 'quota-key', secret: 'quota-secret', maxConnections: 2 },
        { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false },
      ],
    });
    raw = new RawClients(herald);
  });
  afterEach(() => raw.closeAll());
  after(() => herald.stop());

  it('closes the connection over the app quota with pusher:error 4004 and close 4004', async () => {
    const first = await raw.connect({ key: 'quota-key' });
    await raw.connect({ key: 'quota-key' });
    await assertRefused(raw.open({ key: 'quota-key' }), 4004);

    // A closed connection frees its place.
    const released = nextLifecycle(
      herald.server,
      'connection_closed',
      (e) => e.socketId === first.socketId,
    );
    first.terminate();
    await released;
    assert.match(await raw.open({ key: 'quota-key' }).established(), SOCKET_ID);
  });

  it('closes a connection to a disabled app with pusher:error 4003 and close 4003', async () => {
    await assertRefused(raw.open({ key: 'off-key' }), 4003);
  });
});

describe('inbound frame size limit (maxMessageBytes)', () => {
  let herald: TestHerald;
  let raw: RawClients;

  before(async () => {
    herald = await startHerald({ maxMessageBytes: 1024 });
    raw = new RawClients(herald);
  });
  afterEach(() => raw.closeAll());
  after(() => herald.stop());

  /** A pusher:ping frame of exactly `bytes` bytes. */
  const pingOf = (bytes: number) => {
    const empty = '{"event":"pusher:ping","data":{"pad":""}}';
    return empty.replace('""', `"${'x'.repeat(bytes - empty.length)}"`);
  };

  it('accepts a frame of exactly maxMessageBytes', async () => {
    const client = await raw.connect();
    const frame = pingOf(1024);
    assert.equal(Buffer.byteLength(frame), 1024);
    client.send(frame);
    await client.nextEvent('pusher:pong');
  });

  it('answers a larger frame with pusher:error 1009, then close 1009', async () => {
    const client = await raw.connect();
    client.skipAll();
    client.send(pingOf(1025));
    const error = await client.nextEvent('pusher:error');
    assert.equal((error.data as { code: unknown }).code, 1009);
    const closed = await client.closed();
    assert.equal(closed.code, 1009);
    assert.deepEqual(
      client.pending().map((f) => f.event),
      [],
      'nothing after the pusher:error but the close',
    );
  });
});

describe('liveness (§1.5): server probe, 4201', () => {
  const clock = new ManualClock(Date.now());
  let started: Awaited<ReturnType<typeof startWithClock>>;
  let raw: RawClients;
  let pusherJs: PusherJsClients;

  before(async () => {
    started = await startWithClock({ activityTimeout: 120, pongTimeout: 30 }, clock);
    raw = new RawClients(started);
    pusherJs = new PusherJsClients(pusherJsTarget(started.host, started.port));
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => started.server.stop());

  it('probes a silent connection with pusher:ping and closes it with 4201 when unanswered', async () => {
    // Neither raw peer answers WebSocket-level pings: only pusher:pong can keep one alive.
    const silent = await raw.connect({ autoPong: false });
    const answering = await raw.connect({ autoPong: false });
    const browser = await pusherJs.connect();

    clock.advance(120_000);
    // The sweep runs once a second of real time; the probe goes out on the next one.
    const ping = await silent.nextEvent('pusher:ping');
    assert.deepEqual(ping, { event: 'pusher:ping', data: '{}' });
    await answering.nextEvent('pusher:ping');
    answering.send({ event: 'pusher:pong', data: {} });
    // pusher-js writes its pusher:pong as soon as the ping arrives.
    await messagesOf(browser).next((m) => m.event === 'pusher:ping', 'the server probe');
    // Both pongs are written; let the server read them before time moves on.
    await drainLoopback();

    clock.advance(30_000);
    const error = await silent.nextEvent('pusher:error');
    assert.equal((error.data as { code: unknown }).code, 4201);
    assert.equal((await silent.closed()).code, 4201);

    // The sweep that closed the silent peer judged the others too: they are still open.
    await answering.roundTrip();
    assert.equal(answering.closedWith, undefined);
    browser.send_event('pusher:ping', {});
    await messagesOf(browser).next((m) => m.event === 'pusher:pong', 'pong after the sweep');
    assert.equal(browser.connection.state, 'connected');
    assert.deepEqual(errorsOf(browser).items, [], 'pusher-js saw no pusher:error and no close');
  });
});

describe('graceful stop', () => {
  it('closes every client with pusher:error 4200 and close 4200, and stop() resolves', async () => {
    const herald = await startHerald({ shutdownTimeout: 10_000 });
    const raw = new RawClients(herald);
    const pusherJs = new PusherJsClients(herald);
    try {
      const clients = await Promise.all([raw.connect(), raw.connect()]);
      const browser = await pusherJs.connect();

      const stopping = herald.stop();
      for (const client of clients) {
        const closed = await client.closed();
        assert.equal(closed.code, 4200);
        const codes = client.frames
          .filter((f) => f.event === 'pusher:error')
          .map((f) => (f.data as { code: unknown }).code);
        assert.deepEqual(codes, [4200]);
      }
      const error = await errorsOf(browser).next(
        (e) => e.data?.code === 4200,
        'pusher:error 4200 on pusher-js',
      );
      assert.equal(error.type, 'PusherError');
      // 4200 means "reconnect now" (§1.6): pusher-js goes straight back to connecting.
      await waitForState(browser, 'connecting');

      // Well before shutdownTimeout: the stop did not need to cut anyone.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        stopping,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('stop() did not resolve in 3 s')), 3000);
        }),
      ]);
      clearTimeout(timer);
    } finally {
      pusherJs.disconnectAll();
      await raw.closeAll();
      await herald.stop();
    }
  });
});
