/**
 * The baseline: the least a WebSocket fan-out server can do on `ws`. It speaks no Pusher
 * protocol (every connection counts as subscribed, nothing is authenticated or validated) but
 * does the work any REST-triggered server cannot skip: parse the JSON body, serialize the frame
 * once, frame it once, and write the same bytes to every socket, corked until the end of the
 * event-loop turn so a burst leaves in one `writev` per socket. herald's ratio against it is the
 * price of its protocol work.
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

const clients = new Set<ws.WebSocket>();
const sockets = new Set<RawSocket>();
let corked: RawSocket[] | undefined;

function uncorkAll(): void {
  for (const socket of corked!) socket.uncork();
  corked = undefined;
}

function broadcast(text: string): void {
  const parts = Sender.frame(Buffer.from(text, 'utf8'), {
    fin: true,
    opcode: 1,
    mask: false,
    readOnly: true,
    rsv1: false,
  });
  const frame = Buffer.concat(parts);
  if (corked === undefined) {
    corked = [...sockets];
    for (const socket of corked) socket.cork();
    setImmediate(uncorkAll);
  }
  for (const socket of sockets) socket.write(frame);
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
    broadcast(JSON.stringify({ event: body.name, channel: body.channels[0], data: body.data }));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
}

/** `--idle` mode: channel → its subscribed sockets, the only state kept. */
const channels = new Map<string, Set<ws.WebSocket>>();
let socketCount = 0;

// Shared listeners called with the socket as `this`: no closure per connection.
function onSubscribe(this: ws.WebSocket, data: Buffer): void {
  const frame = JSON.parse(data.toString('utf8')) as {
    event?: unknown;
    data?: { channel?: unknown };
  };
  const channel = frame.data?.channel;
  if (frame.event !== 'pusher:subscribe' || typeof channel !== 'string') return;
  let subscribers = channels.get(channel);
  if (subscribers === undefined) channels.set(channel, (subscribers = new Set()));
  subscribers.add(this);
  this.send(
    JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }),
  );
}

function onIdleClose(this: ws.WebSocket): void {
  // Scanning every channel spares the socket a list of its own; there are few channels here.
  for (const [channel, subscribers] of channels) {
    if (subscribers.delete(this) && subscribers.size === 0) channels.delete(channel);
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

function acceptFanout(client: ws.WebSocket): void {
  const raw = (client as unknown as { _socket: RawSocket })._socket;
  clients.add(client);
  sockets.add(raw);
  client.on('error', () => client.terminate());
  client.on('close', () => {
    clients.delete(client);
    sockets.delete(raw);
  });
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
    wss.handleUpgrade(req, socket, head, idle ? acceptIdle : acceptFanout);
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
        for (const subscribers of channels.values()) {
          for (const client of subscribers) client.terminate();
        }
      }),
  };
});
