/**
 * The listening side: one `node:http` server per distinct address. WebSocket upgrades go to the
 * WebSocket transport, requests to the HTTP API. With the default single port both share it;
 * with pusher-fake's `--socket-port`/`--web-port` set apart, each port serves only its part.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Listener {
  readonly host: string;
  readonly port: number;
  readonly websocket: boolean;
  readonly api: boolean;
}

export interface BoundListener extends Listener {
  readonly server: Server;
}

export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not found: this port serves WebSocket connections only\n');
}

/** Starts listening; resolves with the actual ports (port 0 picks a free one). */
export async function listen(
  listeners: readonly Listener[],
  handlers: HttpHandlers,
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const listener of listeners) {
      const server = createServer({ keepAliveTimeout: 30_000 });
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const path = req.url ?? '/';
        if (listener.api || path === '/' || path.startsWith('/ready')) handlers.request(req, res);
        else notFound(res);
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (listener.websocket) handlers.upgrade(req, socket, head);
        else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      });
      // A client that sends garbage gets a 400 from Node; it must never reach 'error' unhandled.
      server.on('clientError', (_error, socket: Duplex) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, listener.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      bound.push({ ...listener, port, server });
    }
  } catch (error) {
    await close(bound);
    throw error;
  }
  return bound;
}

/** Stops accepting, lets in-flight requests finish, and resolves when the servers are closed. */
export async function close(bound: readonly BoundListener[]): Promise<void> {
  await Promise.all(
    bound.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    ),
  );
}
