/**
 * The listening side: one `node:http` server per distinct address (`node:https` with TLS, on
 * every port alike). WebSocket upgrades go to the WebSocket transport, requests to the HTTP API.
 * With the default single port both share it; with pusher-fake's `--socket-port`/`--web-port`
 * set apart, each port serves only its part.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { endHandshakes, guardHandshakes, type TlsCredentials } from './tls.js';

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

/** Milliseconds an idle kept-alive connection stays open. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

function createServerFor(tls: TlsCredentials | undefined): Server {
  if (tls === undefined) return createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
  const server = createTlsServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, ...tls });
  guardHandshakes(server);
  // An https.Server is an http.Server behind its handshake: same events, same connection API.
  return server;
}

/**
 * Starts listening; resolves with the actual ports (port 0 picks a free one). With `tls`, every
 * listener serves TLS only.
 */
export async function listen(
  listeners: readonly Listener[],
  handlers: HttpHandlers,
  tls?: TlsCredentials,
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const listener of listeners) {
      const server = createServerFor(tls);
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
          endHandshakes(server);
        }),
    ),
  );
}
