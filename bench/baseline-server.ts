/**
 * The baseline: the least a WebSocket fan-out server can do on `ws`. It speaks almost no Pusher
 * protocol (nothing is authenticated or validated) but does the work any REST-triggered server
 * cannot skip: parse the JSON body, serialize the frame once, frame it once, and write the same
 * bytes to every subscriber, corked until the end of the event-loop turn so a burst leaves in
 * one `writev` per socket. herald's ratio against it is the price of its protocol work.
 *
 * Two ways in:
 * - `/`: every socket gets every event and nothing is read from it, the one-channel fast path
 *   (the fan-out 1 x N: no lookup per socket, no parsing).
 * - `/channels`: the handshake a routed server needs, as short as it can be. A constant
 *   `pusher:connection_established`, then each `pusher:subscribe` is parsed and the socket joins
 *   that channel's set (a `Map<channel, Set<socket>>`) and gets
 *   `pusher_internal:subscription_succeeded`. Used for many channels and the connection rate.
 *
 * With `--idle` it is instead the least a Pusher server keeps for an idle subscribed connection
 * (the idle-memory bench): `ws`'s socket, a `pusher:connection_established` frame, a parsed
 * `pusher:subscribe` answered with `subscription_succeeded`, and the socket in a
 * `Map<channel, Set<socket>>`. Nothing else: no per-socket state, closures or timers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ws from 'ws';
import { WebSocketServer } from 'ws';
import { serveChild } from './child.js';

interface RawSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

const established = JSON.stringify({
  event: 'pusher:connection_established',
  data: JSON.stringify({ socket_id: '1.1', activity_timeout: 120 }),
});

const clients = new Set<ws.WebSocket>();
/** Sockets on `/`: subscribed to every channel. */
const everyone = new Set<RawSocket>();
const byChannel = new Map<string, Set<RawSocket>>();
/** Socket sets corked during this event-loop turn, uncorked together at its end. */
const corked = new Set<Set<RawSocket>>();

function uncorkAll(): void {
  for (const group of corked) for (const socket of group) socket.uncork();
  corked.clear();
}

function writeTo(group: Set<RawSocket>, frame: Buffer): void {
  if (group.size === 0) return;
  if (!corked.has(group)) {
    if (corked.size === 0) setImmediate(uncorkAll);
    corked.add(group);
    for (const socket of group) socket.cork();
  }
  for (const socket of group) socket.write(frame);
}

function broadcast(channel: string, text: string): void {
  const parts = Sender.frame(Buffer.from(text, 'utf8'), {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: true,
    rsv1: false,
  });
  const frame = Buffer.concat(parts);
  writeTo(everyone, frame);
  const group = byChannel.get(channel);
  if (group !== undefined) writeTo(group, frame);
}

function publish(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      name: string;
      channels: string[];
      data: string;
    };
    const channel = body.channels[0]!;
    broadcast(channel, JSON.stringify({ event: body.name, channel, data: body.data }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
}

/** The routed handshake of `/channels`: one subscribe frame parsed per channel joined. */
function route(client: ws.WebSocket, raw: RawSocket): void {
  const joined: Set<RawSocket>[] = [];
  client.send(established);
  client.on('message', (data: Buffer) => {
    let frame: { event?: string; data?: { channel?: string } };
    try {
      frame = JSON.parse(data.toString('utf8')) as typeof frame;
    } catch {
      return client.close(1007, 'not JSON');
    }
    const channel = frame.data?.channel;
    if (frame.event !== 'pusher:subscribe' || typeof channel !== 'string') return;
    let group = byChannel.get(channel);
    if (group === undefined) byChannel.set(channel, (group = new Set()));
    group.add(raw);
    joined.push(group);
    client.send(
      JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }),
    );
  });
  client.on('close', () => {
    for (const group of joined) group.delete(raw);
  });
}

/** `--idle` mode: channel → its subscribed sockets, the only state kept. */
const idleChannels = new Map<string, Set<ws.WebSocket>>();
let socketCount = 0;

// Shared listeners called with the socket as `this`: no closure per connection.
function onSubscribe(this: ws.WebSocket, data: Buffer): void {
  const frame = JSON.parse(data.toString('utf8')) as {
    event?: unknown;
    data?: { channel?: unknown };
  };
  const channel = frame.data?.channel;
  if (frame.event !== 'pusher:subscribe' || typeof channel !== 'string') return;
  let subscribers = idleChannels.get(channel);
  if (subscribers === undefined) idleChannels.set(channel, (subscribers = new Set()));
  subscribers.add(this);
  this.send(
    JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }),
  );
}

function onIdleClose(this: ws.WebSocket): void {
  // Scanning every channel spares the socket a list of its own; there are few channels here.
  for (const [channel, subscribers] of idleChannels) {
    if (subscribers.delete(this) && subscribers.size === 0) idleChannels.delete(channel);
  }
}

function onIdleError(this: ws.WebSocket): void {
  this.terminate();
}

function acceptIdle(client: ws.WebSocket): void {
  client.on('error', onIdleError);
  client.on('message', onSubscribe);
  client.on('close', onIdleClose);
  socketCount += 1;
  const established = JSON.stringify({
    socket_id: `${process.pid}.${socketCount}`,
    activity_timeout: 120,
  });
  client.send(JSON.stringify({ event: 'pusher:connection_established', data: established }));
}

const idle = process.argv.includes('--idle');

serveChild(async () => {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    if (req.method === 'POST' && req.url === '/publish') return publish(req, res);
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (idle) return wss.handleUpgrade(req, socket, head, acceptIdle);
    wss.handleUpgrade(req, socket, head, (client) => {
      const raw = (client as unknown as { _socket: RawSocket })._socket;
      clients.add(client);
      client.on('error', () => client.terminate());
      client.on('close', () => clients.delete(client));
      if (req.url === '/channels') return route(client, raw);
      everyone.add(raw);
      client.on('close', () => everyone.delete(raw));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // Upgraded sockets are no longer the HTTP server's: cut the ones still open.
        for (const client of clients) client.terminate();
        for (const subscribers of idleChannels.values()) {
          for (const client of subscribers) client.terminate();
        }
      }),
  };
});
