/**
 * Helpers for users' test suites: a real herald on a free loopback port with ready-made client
 * options. (Reset, recording and fault injection are planned; see the README.)
 */
import { createHerald, type Herald } from '../herald.js';
import type { HeraldOptions } from '../config/schema.js';
import { silentLog, type Log } from '../core/log.js';
import type { Clock } from '../core/clock.js';
import { pusherJsOptions, pusherSdkOptions } from '../apps/client-options.js';

export interface TestHerald {
  readonly server: Herald;
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, the HTTP API's base URL. */
  readonly url: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** Second argument of `new Pusher(key, options)` from pusher-js. */
  readonly pusherJsOptions: ReturnType<typeof pusherJsOptions>;
  /** Options for `new Pusher(options)` from the `pusher` server SDK. */
  readonly pusherOptions: ReturnType<typeof pusherSdkOptions>;
  stop(): Promise<void>;
}

/**
 * Starts herald on 127.0.0.1 and a free port (unless `options` say otherwise), logging nothing
 * unless a `log` is given; a `clock` (e.g. `ManualClock`) drives timeouts and TTLs in tests.
 * Always `stop()` it: it holds a listening socket.
 */
export async function startHerald(
  options: HeraldOptions = {},
  deps: { log?: Log; clock?: Clock } = {},
): Promise<TestHerald> {
  const server = createHerald(
    { host: '127.0.0.1', port: 0, ...options },
    { log: deps.log ?? silentLog, ...(deps.clock === undefined ? {} : { clock: deps.clock }) },
  );
  const address = await server.start();
  const app = server.apps[0]!;
  const { host, port } = address.websocket;
  return {
    server,
    host,
    port,
    url: `http://${address.api.host}:${address.api.port}`,
    app: { id: app.id, key: app.key, secret: app.secret },
    pusherJsOptions: pusherJsOptions(address.websocket, server.config.path),
    pusherOptions: pusherSdkOptions(app, address.api),
    stop: () => server.stop(),
  };
}

export { ManualClock } from '../core/clock.js';
