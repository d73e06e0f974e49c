/**
 * The chat's backend on `node:http`: the page with its scripts, the JSON endpoints and the two
 * endpoints pusher-js calls. It is given herald's address and the app's credentials, so a test
 * starts it next to `startHerald()` from `herald/testing`, and `main.ts` next to `createHerald()`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import { HttpError, sendError } from './http.js';
import { MemoryMessageStore, type MessageStore } from './messages.js';
import {
  authenticateUser,
  authorizeChannel,
  CHAT_CHANNEL,
  getMessages,
  getSession,
  postMessage,
  postSession,
  type ChatDeps,
  type Handler,
} from './routes.js';
import { Sessions } from './sessions.js';

export interface ChatServerOptions {
  /** Options of the `pusher` SDK's `new Pusher(options)`: herald's HTTP API, the app's credentials. */
  readonly pusher: Pusher.Options;
  /**
   * What the page passes to pusher-js as `new Pusher(key, options)`'s options: where herald's
   * WebSocket endpoint is. The key is `pusher.key`.
   */
  readonly pusherJs: Readonly<Record<string, unknown>>;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on. Default 3000; 0 picks a free one. */
  readonly port?: number;
  /** Where messages are kept. Default: a new MemoryMessageStore. */
  readonly store?: MessageStore;
  /** Where unexpected errors (our bugs) are reported. Default `console.error`. */
  readonly log?: (error: unknown) => void;
}

export interface ChatServer {
  /** The page, e.g. `http://127.0.0.1:3000/`. */
  readonly url: string;
  readonly port: number;
  readonly store: MessageStore;
  /** Stops listening and closes idle connections; resolves once the server is closed. */
  stop(): Promise<void>;
}

const routes: Readonly<Record<string, Handler>> = {
  'GET /session': getSession,
  'POST /session': postSession,
  'GET /messages': getMessages,
  'POST /messages': postMessage,
  'POST /pusher/auth': authorizeChannel,
  'POST /pusher/user-auth': authenticateUser,
};

interface Asset {
  readonly type: string;
  readonly body: Buffer | string;
}

/**
 * The page and its scripts, read once at start. tsc compiles `page/chat.ts` next to this file
 * in dist/; the HTML is not compiled and is read from the source tree.
 */
async function loadAssets(options: ChatServerOptions): Promise<Record<string, Asset>> {
  const here = (path: string) => new URL(path, import.meta.url);
  const read = async (url: URL | string) => {
    try {
      return await readFile(url);
    } catch (error) {
      throw new Error(`Cannot read ${String(url)}: run \`npm run build\` first`, { cause: error });
    }
  };
  const pusherJsBuild = createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.min.js');
  const config = { key: options.pusher.key, options: options.pusherJs, channel: CHAT_CHANNEL };
  return {
    '/': { type: 'text/html', body: await read(here('../../../examples/chat/page/index.html')) },
    '/chat.js': { type: 'text/javascript', body: await read(here('./page/chat.js')) },
    '/pusher.min.js': { type: 'text/javascript', body: await read(pusherJsBuild) },
    '/config.json': { type: 'application/json', body: JSON.stringify(config) },
  };
}

/** 404 for an unknown path, 405 (with `Allow`) for a known path and another method. */
function notFound(method: string, path: string, assets: Record<string, Asset>): HttpError {
  const allowed = Object.keys(routes)
    .filter((route) => route.endsWith(` ${path}`))
    .map((route) => route.split(' ')[0]!);
  if (path in assets) allowed.push('GET');
  if (allowed.length === 0) return new HttpError(404, `No such page: ${path}`);
  return new HttpError(405, `${method} is not allowed here`, { allow: allowed.join(', ') });
}

/** Starts the backend; resolves once it listens. Always `stop()` it. */
export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const assets = await loadAssets(options);
  const store = options.store ?? new MemoryMessageStore();
  const deps: ChatDeps = { pusher: new Pusher(options.pusher), store, sessions: new Sessions() };
  const log = options.log ?? ((error: unknown) => console.error(error));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const asset = method === 'GET' ? assets[path] : undefined;
    if (asset !== undefined) {
      res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8` }).end(asset.body);
      return;
    }
    const route = routes[`${method} ${path}`];
    if (route === undefined) throw notFound(method, path, assets);
    await route(deps, req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error, log));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    port,
    store,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
