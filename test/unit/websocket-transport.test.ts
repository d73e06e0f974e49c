/**
 * The two `ws` internals the WebSocket transport relies on (`Sender.frame` and `_socket`), checked
 * socketless against ws's own Receiver and over real loopback sockets against a real `ws` client.
 * A `ws` upgrade that breaks either one fails here first.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { WebSocket } from 'ws';
import PusherServer from 'pusher';
import { StaticAppRegistry } from '../../src/apps/app.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Connection } from '../../src/core/connection.js';
import { Hub } from '../../src/core/hub.js';
import { Lifecycle } from '../../src/core/lifecycle.js';
import { silentLog } from '../../src/core/log.js';
import { SharedFrame } from '../../src/core/transport.js';
import { channelEventFrame } from '../../src/protocol/frames.js';
import { memoryScaling } from '../../src/scaling/memory/index.js';
import { startHerald } from '../../src/testing/index.js';
import {
  HeraldSocket,
  WebSocketTransport,
  textFrameEncoder,
} from '../../src/transport/websocket.js';
import { testApp } from '../helpers/fake-transport.js';

/** Deadline for a real network event; never reached when things work. */
const EVENT_TIMEOUT_MS = 5000;

type ReceiverLike = Writable & {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): ReceiverLike;
};
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload?: number }) => ReceiverLike;
};

/** Parses server-to-client bytes with ws's own client-side parser. */
function parseWithReceiver(bytes: Buffer): Promise<Array<{ text: string; binary: boolean }>> {
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  const messages: Array<{ text: string; binary: boolean }> = [];
  receiver.on('message', (data, isBinary) =>
    messages.push({ text: data.toString('utf8'), binary: isBinary }),
  );
  return new Promise((resolve, reject) => {
    receiver.on('error', reject);
    receiver.write(bytes, (error) => (error ? reject(error) : resolve(messages)));
  });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}`)),
        EVENT_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A raw `ws` client that records every text message it receives. */
class RawClient {
  readonly socket: WebSocket;
  readonly messages: string[] = [];
  readonly binary: Buffer[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: { autoPong?: boolean } = {}) {
    this.socket = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binary.push(data);
      else this.messages.push(data.toString('utf8'));
      this.#waiters = this.#waiters.filter((waiter) => {
        if (this.messages.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.on('error', reject);
    });
    // Only some tests await `opened`; a failed open still reaches them, and `closed` always settles.
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString('utf8') }),
      );
    });
  }

  /** Resolves with all messages once at least `count` arrived. */
  async waitFor(count: number): Promise<string[]> {
    if (this.messages.length < count) {
      await withTimeout(
        new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
        `${count} messages (got ${this.messages.length})`,
      );
    }
    return this.messages;
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await withTimeout(this.closed, 'client close');
  }
}

/** A hub behind a real `WebSocketTransport` on a loopback port, without the rest of herald. */
async function startTransport(options: { maxMessageBytes?: number } = {}) {
  const app = testApp();
  const clock = new ManualClock();
  const hub = new Hub({
    apps: new StaticAppRegistry([app]),
    ...memoryScaling(clock),
    clock,
    lifecycle: new Lifecycle((error) => {
      throw error;
    }),
    log: silentLog,
    options: { activityTimeout: 120, pongTimeout: 30, path: '', allowMissingProtocol: false },
  });
  const transport = new WebSocketTransport(hub, clock, {
    maxMessageBytes: options.maxMessageBytes ?? 65_536,
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head: Buffer) => transport.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clients: RawClient[] = [];
  return {
    app,
    hub,
    clock,
    transport,
    url: `ws://127.0.0.1:${port}/app/${app.key}?protocol=7`,
    /** Connects, waits for connection_established and subscribes to `channel`. */
    async subscribed(
      channel: string,
      clientOptions: { autoPong?: boolean } = {},
    ): Promise<RawClient> {
      const client = new RawClient(
        `ws://127.0.0.1:${port}/app/${app.key}?protocol=7`,
        clientOptions,
      );
      clients.push(client);
      await client.opened;
      await client.waitFor(1);
      client.send({ event: 'pusher:subscribe', data: { auth: '', channel } });
      await client.waitFor(2);
      assert.equal(
        client.messages[1],
        `{"event":"pusher_internal:subscription_succeeded","channel":"${channel}","data":"{}"}`,
      );
      client.messages.length = 0;
      return client;
    },
    raw(path: string): RawClient {
      const client = new RawClient(`ws://127.0.0.1:${port}${path}`);
      clients.push(client);
      return client;
    },
    /** The server-side connections subscribed to `channel`. */
    local(channel: string): Connection[] {
      return [...(hub.channels.local(app.id, channel) ?? [])];
    },
    async stop(): Promise<void> {
      await Promise.all(clients.map((client) => client.close()));
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Event data that makes the frame text exactly `length` bytes of ASCII. */
function frameOfLength(channel: string, length: number): { data: string; text: string } {
  const overhead = Buffer.byteLength(channelEventFrame('e', channel, ''));
  const data = 'x'.repeat(length - overhead);
  const text = channelEventFrame('e', channel, data);
  assert.equal(Buffer.byteLength(text), length);
  return { data, text };
}

describe('ws internals', () => {
  test('ws exports Sender with a static frame() and Receiver', () => {
    const { Sender } = ws as unknown as { Sender: { frame?: unknown } };
    assert.equal(typeof Sender, 'function');
    assert.equal(typeof Sender.frame, 'function');
    assert.equal(typeof Receiver, 'function');
  });
});

describe('textFrameEncoder', () => {
  const headerCases: Array<[number, number[]]> = [
    [0, [0x81, 0x00]],
    [5, [0x81, 0x05]],
    [125, [0x81, 0x7d]],
    [126, [0x81, 0x7e, 0x00, 0x7e]],
    [65_535, [0x81, 0x7e, 0xff, 0xff]],
    [65_536, [0x81, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]],
    [300_000, [0x81, 0x7f, 0, 0, 0, 0, 0, 0x04, 0x93, 0xe0]],
  ];
  for (const [length, header] of headerCases) {
    test(`${length}-byte payload: FIN text frame, unmasked, ${header.length}-byte header`, () => {
      const text = 'a'.repeat(length);
      const bytes = textFrameEncoder.encode(text);
      assert.ok(Buffer.isBuffer(bytes));
      assert.deepEqual([...bytes.subarray(0, header.length)], header);
      assert.equal(bytes.length, header.length + length);
      assert.equal(bytes.subarray(header.length).toString('utf8'), text);
    });
  }

  test('the length is in UTF-8 bytes, not characters', () => {
    const text = 'é😀'; // 2 + 4 bytes
    const bytes = textFrameEncoder.encode(text);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x81, 0x06]);
    assert.equal(bytes.subarray(2).toString('utf8'), text);
  });

  test('ws’s own client parser reads the frames back, several in one buffer', async () => {
    const texts = ['{"event":"a"}', 'é'.repeat(100), 'b'.repeat(126), 'c'.repeat(70_000), ''];
    const bytes = Buffer.concat(texts.map((text) => textFrameEncoder.encode(text)));
    const parsed = await parseWithReceiver(bytes);
    assert.deepEqual(
      parsed,
      texts.map((text) => ({ text, binary: false })),
    );
  });

  test('a SharedFrame is encoded once per encoder and reused', () => {
    const frame = new SharedFrame('{"event":"x"}');
    const first = frame.encoded(textFrameEncoder);
    assert.equal(frame.encoded(textFrameEncoder), first);
    let calls = 0;
    const other = { encode: (text: string) => (calls++, text.length) };
    assert.equal(frame.encoded(other), 13);
    assert.equal(frame.encoded(other), 13);
    assert.equal(calls, 1);
  });
});

describe('WebSocketTransport over loopback', () => {
  let stack: Awaited<ReturnType<typeof startTransport>>;

  before(async () => {
    stack = await startTransport();
  });

  after(async () => {
    await stack.stop();
  });

  test('the server socket is a HeraldSocket with an underlying _socket after the handshake', async () => {
    await stack.subscribed('internals');
    const [connection] = stack.local('internals');
    assert.ok(connection);
    const socket = connection.transport;
    assert.ok(socket instanceof HeraldSocket);
    const raw = (socket as unknown as { _socket?: Record<string, unknown> })._socket;
    assert.ok(raw, '_socket is set');
    for (const method of ['cork', 'uncork', 'write']) {
      assert.equal(typeof raw[method], 'function', `_socket.${method}`);
    }
    assert.equal(socket.readyState, WebSocket.OPEN);
  });

  for (const length of [60, 125, 126, 1000, 65_535, 65_536, 300_000]) {
    test(`a pre-framed ${length}-byte broadcast arrives intact at every client`, async () => {
      const channel = `size-${length}`;
      const clients = [await stack.subscribed(channel), await stack.subscribed(channel)];
      const { data, text } = frameOfLength(channel, length);
      await stack.hub.trigger(stack.app, { name: 'e', data, channels: [channel] });
      for (const client of clients) {
        const [received] = await client.waitFor(1);
        assert.equal(received?.length, text.length);
        assert.equal(received, text);
      }
    });
  }

  test('multi-byte UTF-8 data arrives intact', async () => {
    const channel = 'utf8';
    const client = await stack.subscribed(channel);
    const data = `{"s":"é€😀 ${'ü'.repeat(40_000)}"}`;
    await stack.hub.trigger(stack.app, { name: 'e', data, channels: [channel] });
    const [received] = await client.waitFor(1);
    assert.equal(received, channelEventFrame('e', channel, data));
  });

  test('many frames sent in one tick arrive in order, across both write paths', async () => {
    const channel = 'burst';
    const client = await stack.subscribed(channel);
    const [connection] = stack.local(channel);
    assert.ok(connection);
    const count = 3000;
    const expected: string[] = [];
    // All in one synchronous run: triggers go out pre-framed on _socket, the direct string sends
    // through ws's own Sender; the client must see them interleaved exactly as sent.
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) {
        const text = `{"event":"direct","data":"${i}"}`;
        connection.send(text);
        expected.push(text);
      } else {
        const data = i % 100 === 1 ? 'y'.repeat(70_000) : String(i);
        void stack.hub.trigger(stack.app, { name: 'tick', data, channels: [channel] });
        expected.push(channelEventFrame('tick', channel, data));
      }
    }
    const received = await client.waitFor(count);
    assert.equal(received.length, count);
    for (let i = 0; i < count; i++) {
      if (received[i] !== expected[i]) {
        assert.fail(
          `frame ${i} out of order: ${received[i]?.slice(0, 60)} ≠ ${expected[i]?.slice(0, 60)}`,
        );
      }
    }
  });

  test('a frame after the burst still goes out (the socket was uncorked)', async () => {
    const channel = 'after-burst';
    const client = await stack.subscribed(channel);
    for (let i = 0; i < 10; i++) {
      void stack.hub.trigger(stack.app, { name: 'e', data: String(i), channels: [channel] });
    }
    await client.waitFor(10);
    // A later turn of the event loop: must not stay stuck in a cork.
    await new Promise((resolve) => setImmediate(resolve));
    await stack.hub.trigger(stack.app, { name: 'e', data: 'late', channels: [channel] });
    const received = await client.waitFor(11);
    assert.equal(received[10], channelEventFrame('e', channel, 'late'));
  });

  test('frames queued before a server close arrive before pusher:error and the close', async () => {
    const channel = 'closing';
    const client = await stack.subscribed(channel);
    const [connection] = stack.local(channel);
    assert.ok(connection);
    for (let i = 0; i < 5; i++) {
      void stack.hub.trigger(stack.app, { name: 'e', data: String(i), channels: [channel] });
    }
    connection.terminate(4200);
    // Nothing is written after the close frame.
    void stack.hub.trigger(stack.app, { name: 'e', data: 'too late', channels: [channel] });
    connection.transport.send(new SharedFrame('{"event":"too late"}'));
    const closed = await withTimeout(client.closed, 'close');
    assert.deepEqual(client.messages, [
      ...Array.from({ length: 5 }, (_, i) => channelEventFrame('e', channel, String(i))),
      '{"event":"pusher:error","data":{"code":4200,"message":"Server is restarting, reconnect immediately"}}',
    ]);
    assert.deepEqual(closed, { code: 4200, reason: 'Server is restarting, reconnect immediately' });
  });

  test('a binary frame gets pusher:error and the connection stays open', async () => {
    const client = await stack.subscribed('binary');
    client.socket.send(Buffer.from([1, 2, 3]));
    const [error] = await client.waitFor(1);
    const frame = JSON.parse(error!) as { event: string; data: { code: unknown } };
    assert.equal(frame.event, 'pusher:error');
    assert.equal(frame.data.code, null);
    client.send({ event: 'pusher:ping' });
    assert.equal((await client.waitFor(2))[1], '{"event":"pusher:pong","data":"{}"}');
    assert.equal(client.socket.readyState, WebSocket.OPEN);
  });

  test('a close the client starts, with or without a code, is echoed without a pusher:error', async () => {
    // pusher-js under Node (faye-websocket) and the Java client close with 1000; browsers send none.
    for (const args of [[], [1000], [1000, 'bye'], [4000, 'x']] as Array<[number?, string?]>) {
      const client = await stack.subscribed('client-close');
      client.socket.close(...args);
      const closed = await withTimeout(client.closed, 'close');
      assert.deepEqual(client.messages, [], `close(${args.join(', ')})`);
      assert.equal(closed.code, args[0] ?? 1005);
    }
    assert.equal(stack.local('client-close').length, 0);
  });

  test('a refused connection gets pusher:error then the close code', async () => {
    const client = stack.raw('/app/unknown-key?protocol=7');
    const closed = await withTimeout(client.closed, 'close');
    assert.deepEqual(client.messages, [
      '{"event":"pusher:error","data":{"code":4001,"message":"Application does not exist"}}',
    ]);
    assert.deepEqual(closed, { code: 4001, reason: 'Application does not exist' });
  });

  test('a ping frame from the client is answered with a pong (ws does this)', async () => {
    const client = await stack.subscribed('ws-ping');
    const pong = new Promise<Buffer>((resolve) => client.socket.once('pong', resolve));
    client.socket.ping(Buffer.from('hi'));
    assert.equal((await withTimeout(pong, 'pong')).toString(), 'hi');
  });
});

describe('WebSocketTransport: the liveness probe over a real socket', () => {
  // Each test has its own server: advancing the clock probes every connection of a hub.
  let stack: Awaited<ReturnType<typeof startTransport>>;

  beforeEach(async () => {
    stack = await startTransport();
  });

  afterEach(async () => {
    await stack.stop();
  });

  test('the liveness probe is a WebSocket ping too; ws’s automatic pong cancels it', async () => {
    const channel = 'probe-answered';
    const client = await stack.subscribed(channel);
    const [connection] = stack.local(channel);
    assert.ok(connection);
    const socket = connection.transport as HeraldSocket;
    const pinged = new Promise<void>((resolve) => client.socket.once('ping', () => resolve()));
    // The transport handles 'pong' before any listener runs, so the connection is updated by then.
    const ponged = new Promise<void>((resolve) => socket.once('pong', () => resolve()));
    stack.clock.advance(120_000);
    stack.hub.sweep();
    await withTimeout(pinged, 'a WebSocket ping');
    await withTimeout(ponged, 'the pong at the server');
    assert.deepEqual(await client.waitFor(1), ['{"event":"pusher:ping","data":"{}"}']);
    assert.equal(connection.probedAt, 0);
    stack.clock.advance(30_000);
    stack.hub.sweep();
    assert.equal(connection.open, true);
  });

  test('a peer that answers nothing is closed with 4201 after pongTimeout', async () => {
    const channel = 'probe-unanswered';
    const client = await stack.subscribed(channel, { autoPong: false });
    const [connection] = stack.local(channel);
    assert.ok(connection);
    const pinged = new Promise<void>((resolve) => client.socket.once('ping', () => resolve()));
    stack.clock.advance(120_000);
    stack.hub.sweep();
    await withTimeout(pinged, 'a WebSocket ping');
    stack.clock.advance(30_000);
    stack.hub.sweep();
    const closed = await withTimeout(client.closed, 'close');
    assert.deepEqual(client.messages, [
      '{"event":"pusher:ping","data":"{}"}',
      '{"event":"pusher:error","data":{"code":4201,"message":"Pong reply not received"}}',
    ]);
    assert.deepEqual(closed, { code: 4201, reason: 'Pong reply not received' });
    assert.equal(stack.local(channel).length, 0);
  });
});

describe('WebSocketTransport: what a socket keeps', () => {
  let stack: Awaited<ReturnType<typeof startTransport>>;

  beforeEach(async () => {
    stack = await startTransport();
  });

  afterEach(async () => {
    await stack.stop();
  });

  test('an open socket has no listener dictionary; a listener added later still runs', async () => {
    const channel = 'no-listeners';
    const client = await stack.subscribed(channel);
    const [connection] = stack.local(channel);
    assert.ok(connection);
    const socket = connection.transport as HeraldSocket;
    assert.equal((socket as unknown as { _events?: unknown })._events, undefined);
    const heard = new Promise<string>((resolve) =>
      socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
    );
    client.send({ event: 'pusher:ping' });
    assert.equal(await withTimeout(heard, 'the listener'), '{"event":"pusher:ping"}');
    // The transport handled the frame too, before the listener.
    assert.deepEqual(await client.waitFor(1), ['{"event":"pusher:pong","data":"{}"}']);
  });

  test('a socket is listed as closing from its close until ws reports it closed', async () => {
    const channel = 'listed-closing';
    const client = await stack.subscribed(channel);
    const [connection] = stack.local(channel);
    assert.ok(connection);
    assert.equal(stack.transport.closing, 0, 'open sockets are not listed');
    const closed = new Promise<void>((resolve) =>
      (connection.transport as HeraldSocket).once('close', () => resolve()),
    );
    connection.terminate(4200);
    assert.equal(stack.transport.closing, 1);
    await withTimeout(client.closed, 'the client side close');
    await withTimeout(closed, 'the server side close');
    assert.equal(stack.transport.closing, 0);
  });

  test('drain waits for every closed connection, and cuts one that does not answer', async () => {
    const answering = await stack.subscribed('drain');
    const silent = await stack.subscribed('drain');
    const serverSides = stack
      .local('drain')
      .map(
        (connection) =>
          new Promise<void>((resolve) =>
            (connection.transport as HeraldSocket).once('close', () => resolve()),
          ),
      );
    // A paused client reads nothing: it never answers the close handshake.
    silent.socket.pause();
    stack.hub.closeAll();
    assert.equal(stack.transport.closing, 2);
    await stack.transport.drain(200);
    assert.equal((await withTimeout(answering.closed, 'close')).code, 4200);
    assert.deepEqual(silent.messages, [], 'the silent client read nothing, so answered nothing');
    // Cut at the deadline: both server sides are closed, and none is listed any more.
    await withTimeout(Promise.all(serverSides), 'the server side closes');
    assert.equal(stack.transport.closing, 0);
    silent.socket.resume();
  });
});

describe('WebSocketTransport: closes ws starts itself', () => {
  test('a message over maxMessageBytes → pusher:error 1009, then close 1009', async () => {
    const stack = await startTransport({ maxMessageBytes: 1024 });
    try {
      const client = await stack.subscribed('big');
      client.socket.send(JSON.stringify({ event: 'pusher:ping', data: 'x'.repeat(2000) }));
      const closed = await withTimeout(client.closed, 'close');
      assert.equal(closed.code, 1009);
      assert.deepEqual(client.messages, [
        '{"event":"pusher:error","data":{"code":1009,"message":"Message too big"}}',
      ]);
      assert.equal(stack.local('big').length, 0, 'the disconnect path ran');
    } finally {
      await stack.stop();
    }
  });
});

describe('the whole server: REST trigger to a raw ws client', () => {
  test('payloads of every frame-length class arrive byte for byte', async () => {
    const herald = await startHerald({
      apps: [{ id: 'app-1', key: 'app-key', secret: 'app-secret', maxEventDataBytes: 200_000 }],
    });
    const client = new RawClient(
      `ws://${herald.host}:${herald.port}/app/${herald.app.key}?protocol=7`,
    );
    try {
      await client.opened;
      await client.waitFor(1);
      client.send({ event: 'pusher:subscribe', data: { auth: '', channel: 'rest' } });
      await client.waitFor(2);
      client.messages.length = 0;
      const pusher = new PusherServer(herald.pusherOptions);
      const lengths = [100, 125, 126, 65_535, 65_536, 150_000];
      const expected: string[] = [];
      for (const length of lengths) {
        const { data, text } = frameOfLength('rest', length);
        const response = await pusher.trigger('rest', 'e', data);
        assert.equal(response.status, 200);
        expected.push(text);
      }
      assert.deepEqual(await client.waitFor(lengths.length), expected);
    } finally {
      await client.close();
      await herald.stop();
    }
  });
});
