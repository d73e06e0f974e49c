/**
 * Helpers for users' test suites: a real herald on a free loopback port with ready-made client
 * options, a reset between tests, a recording of what happened to assert on and wait for, and
 * fault injection for testing reconnection logic. docs/testing.md has the whole story.
 */
import { createHerald, type Herald } from '../herald.js';
import type { HeraldOptions } from '../config/schema.js';
import { silentLog, type Log } from '../core/log.js';
import type { Clock } from '../core/clock.js';
import { pusherJsOptions, pusherSdkOptions, urlHost } from '../apps/client-options.js';
import { clientConfig, type ClientConfig } from './client-config.js';
import { resetHerald } from './control.js';
import type { RecordMatch, RecordedEvent, Recorder, WaitOptions } from './recorder.js';

export interface TestHerald {
  readonly server: Herald;
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (`https://` with `tlsCert`/`tlsKey`), the HTTP API's base URL. */
  readonly url: string;
  /** `{url}/__herald`, the control API's base URL, with `dev: true`; else undefined. */
  readonly controlUrl: string | undefined;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** Second argument of `new Pusher(key, options)` from pusher-js (`forceTLS` with TLS). */
  readonly pusherJsOptions: ReturnType<typeof pusherJsOptions>;
  /**
   * Options for `new Pusher(options)` from the `pusher` server SDK (`useTLS` with TLS; a
   * self-signed certificate also needs `agent: new https.Agent({ ca })`).
   */
  readonly pusherOptions: ReturnType<typeof pusherSdkOptions>;
  /** Everything a client of the default app needs: pusher-js and SDK options, `PUSHER_*` env. */
  readonly clientConfig: ClientConfig;

  /**
   * Back to a fresh server between tests: closes every connection with 4099 (pusher-js does not
   * reconnect, so a test's clients cannot leak into the next), which empties channels, presence
   * and sign-ins; empties cache channels; ends a refusal; clears the recording.
   */
  reset(): Promise<void>;
  /** What was recorded (needs `record: true`), oldest first, those matching `match` only. */
  events(match?: RecordMatch): RecordedEvent[];
  /**
   * The first record matching `match`, already recorded or still to come (needs `record:
   * true`). Rejects after `timeout` ms (default 5000) with a message listing what was recorded.
   */
  waitFor(match: RecordMatch, options?: WaitOptions): Promise<RecordedEvent>;
  /** This server's connections, with their channels and signed-in user. */
  connections(): ReturnType<Herald['control']['connections']>;
  /** Occupied channels of the default app (or `appId`) → their connection counts. */
  channels(options?: { appId?: string }): Promise<Record<string, number>>;
  /** The members of a presence channel, each `{ id, info }`. */
  members(
    channel: string,
    options?: { appId?: string },
  ): Promise<Array<{ id: string; info: unknown }>>;
  /**
   * Closes the connection `socketId` (pusher-js: `pusher.connection.socket_id`) with `code`
   * (default 4200: pusher-js reconnects at once; 4100–4199: after a second; 4001–4099: never).
   * Throws when there is no such connection.
   */
  disconnect(socketId: string, options?: { code?: number }): void;
  /** Closes every connection signed in as `userId` with `code` (default 4009). */
  disconnectUser(userId: string, options?: { code?: number; appId?: string }): Promise<void>;
  /** Closes every connection with `code` (default 4200); returns how many. */
  disconnectAll(options?: { code?: number }): number;
  /**
   * For `ms` milliseconds of herald's clock (a `ManualClock` when given one), closes new
   * connections with `code` (default 4100: pusher-js retries every second); 0 stops.
   */
  refuseConnections(ms: number, options?: { code?: number }): void;
  /**
   * Stops the server gracefully and frees every handle. Clients still connected get 4200 and
   * pusher-js retries, keeping the test process alive: disconnect them, or `reset()` first.
   */
  stop(): Promise<void>;
}

/**
 * Starts herald on 127.0.0.1 and a free port (unless `options` say otherwise), logging nothing
 * unless a `log` is given; a `clock` (e.g. `ManualClock`) drives timeouts and TTLs in tests.
 * `record: true` turns the recording on (off by default: then it costs nothing); `dev: true`
 * also serves the control API at `controlUrl`; `console: true` serves the debug console at
 * `{url}/console` (off by default here, unlike `herald start`, for the same reason as the
 * recording). Always `stop()` it: it holds a listening socket.
 */
export async function startHerald(
  options: HeraldOptions = {},
  deps: { log?: Log; clock?: Clock } = {},
): Promise<TestHerald> {
  const server = createHerald(
    { host: '127.0.0.1', port: 0, console: false, ...options },
    { log: deps.log ?? silentLog, ...(deps.clock === undefined ? {} : { clock: deps.clock }) },
  );
  const address = await server.start();
  const app = server.apps[0]!;
  const { host, port } = address.websocket;
  const control = server.control;
  const tls = server.config.tlsCert !== undefined;
  const url = `http${tls ? 's' : ''}://${urlHost(address.api.host)}:${address.api.port}`;
  const appOf = (appId: string | undefined) => {
    if (appId === undefined) return app;
    const found = server.apps.find((candidate) => candidate.id === appId);
    if (found === undefined) throw new Error(`No app with id ${appId}`);
    return found;
  };
  const recorder = (): Recorder => {
    if (server.recorder === undefined) {
      throw new Error('Recording is off: start with startHerald({ record: true })');
    }
    return server.recorder;
  };
  return {
    server,
    host,
    port,
    url,
    controlUrl: server.config.dev ? `${url}/__herald` : undefined,
    app: { id: app.id, key: app.key, secret: app.secret },
    pusherJsOptions: pusherJsOptions(address.websocket, server.config.path, tls),
    pusherOptions: pusherSdkOptions(app, address.api, tls),
    clientConfig: clientConfig(app, address, { path: server.config.path, tls }),

    reset: () => resetHerald(control, server.recorder),
    events: (match) => recorder().events(match),
    waitFor: (match, waitOptions) => recorder().waitFor(match, waitOptions),
    connections: () => control.connections(),
    async channels(channelOptions = {}) {
      const occupied = await control.occupiedChannels(appOf(channelOptions.appId).id);
      return Object.fromEntries(occupied);
    },
    async members(channel, memberOptions = {}) {
      const found = await control.members(appOf(memberOptions.appId).id, channel);
      return found.map((member) => ({
        id: member.userId,
        info: member.userInfo === undefined ? null : (JSON.parse(member.userInfo) as unknown),
      }));
    },
    disconnect(socketId, { code } = {}) {
      if (!control.disconnect(socketId, code)) throw new Error(`No connection ${socketId}`);
    },
    disconnectUser: (userId, { code, appId } = {}) =>
      control.disconnectUser(appOf(appId), userId, code),
    disconnectAll: ({ code } = {}) => control.disconnectAll(code),
    refuseConnections(ms, { code } = {}) {
      control.refuseConnections(ms, code);
    },
    stop: () => server.stop(),
  };
}

export { ManualClock } from '../core/clock.js';
export { RESET_CLOSE_CODE } from './control.js';
export type { ClientConfig } from './client-config.js';
export { WaitError } from './recorder.js';
export type {
  RecordFilter,
  RecordKind,
  RecordMatch,
  RecordedEvent,
  WaitOptions,
} from './recorder.js';
