/**
 * The core without sockets: a transport that records what the core writes, and a hub wired to
 * it with a manual clock, the memory scaling implementations and a lifecycle recorder.
 */
import { StaticAppRegistry, type App } from '../../src/apps/app.js';
import {
  channelStringToSign,
  signToken,
  userStringToSign,
} from '../../src/protocol/auth-signature.js';
import { channelType } from '../../src/protocol/channel-name.js';
import { appSchema, type AppOptions } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Connection } from '../../src/core/connection.js';
import { Hub, type HubOptions } from '../../src/core/hub.js';
import {
  Lifecycle,
  lifecycleNames,
  type LifecycleEvents,
  type LifecycleName,
} from '../../src/core/lifecycle.js';
import { silentLog } from '../../src/core/log.js';
import { SharedFrame, type Frame, type Transport } from '../../src/core/transport.js';
import { memoryScaling } from '../../src/scaling/memory/index.js';

/** A parsed server frame; `data` keeps its wire shape (string or object). */
export interface WireFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

export class FakeTransport implements Transport {
  /** Every frame as the core handed it over, in order (strings and SharedFrames). */
  readonly frames: Frame[] = [];
  /** Frames sent after close(); a correct core sends none. */
  readonly sentAfterClose: Frame[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  probes = 0;

  get closed(): boolean {
    return this.closes.length > 0;
  }

  send(frame: Frame): void {
    (this.closed ? this.sentAfterClose : this.frames).push(frame);
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }

  probe(): void {
    this.probes += 1;
  }

  /** The wire text of every frame sent, in order. */
  get texts(): string[] {
    return this.frames.map((frame) => (frame instanceof SharedFrame ? frame.text : frame));
  }

  get parsed(): WireFrame[] {
    return this.texts.map((text) => JSON.parse(text) as WireFrame);
  }

  get last(): WireFrame | undefined {
    return this.parsed.at(-1);
  }

  /** The parsed frames named `event`, in order. */
  named(event: string): WireFrame[] {
    return this.parsed.filter((frame) => frame.event === event);
  }

  /** Forgets the frames seen so far, so a test can assert only on what follows. */
  clear(): void {
    this.frames.length = 0;
  }
}

export const testAppOptions = { id: 'app-1', key: 'app-key', secret: 'app-secret' } as const;

/** An app with every default of the config schema applied. */
export function testApp(overrides: Partial<AppOptions> = {}): App {
  return appSchema.parse({ ...testAppOptions, ...overrides });
}

export type RecordedEvent = {
  [K in LifecycleName]: { readonly name: K; readonly event: LifecycleEvents[K] };
}[LifecycleName];

/** Recorded by default: all but `delivered`, the per-broadcast count only metrics read. */
const recordedNames = lifecycleNames.filter((name) => name !== 'delivered');

export interface TestHub {
  readonly hub: Hub;
  readonly clock: ManualClock;
  readonly apps: readonly App[];
  /** The default app (the first one). */
  readonly app: App;
  /** Every lifecycle event, in emit order. */
  readonly events: RecordedEvent[];
  /** Errors thrown by lifecycle listeners; a correct setup has none. */
  readonly listenerErrors: unknown[];
  /** Names of the recorded events, in order. */
  names(): LifecycleName[];
  /** Opens a connection; the default URL is the app's `/app/{key}?protocol=7`. */
  open(url?: string): { transport: FakeTransport; connection: Connection | undefined };
  /** Opens a connection that must be accepted, and drops its handshake frame. */
  connect(url?: string): { transport: FakeTransport; connection: Connection };
  /** Feeds a frame from the peer; objects are JSON-encoded. */
  receive(connection: Connection, frame: string | object): void;
  /**
   * Sends `pusher:subscribe`, signed with this connection's socket id when the channel needs auth
   * (over `channelData` too when given, as an app's auth endpoint does).
   */
  subscribe(connection: Connection, channel: string, channelData?: string): void;
  unsubscribe(connection: Connection, channel: string): void;
  /** Sends `pusher:signin` with `userData` (objects are JSON-encoded), correctly signed. */
  signin(connection: Connection, userData: string | object): void;
}

export interface TestHubOptions extends Partial<HubOptions> {
  readonly apps?: ReadonlyArray<Partial<AppOptions>>;
  /** Listening to `api_message` changes nothing but is off by default like in production. */
  readonly record?: readonly LifecycleName[];
  /** How long the stores hold vacancies and presence removals (the vacate delay); default 0. */
  readonly holdMs?: number;
}

export function createTestHub(options: TestHubOptions = {}): TestHub {
  const apps = (options.apps ?? [{}]).map((overrides, index) =>
    testApp(
      index === 0 ? overrides : { id: `app-${index + 1}`, key: `key-${index + 1}`, ...overrides },
    ),
  );
  const clock = new ManualClock();
  const listenerErrors: unknown[] = [];
  const lifecycle = new Lifecycle((error) => listenerErrors.push(error));
  const events: RecordedEvent[] = [];
  for (const name of options.record ?? recordedNames) {
    lifecycle.on(name, (event) => events.push({ name, event } as RecordedEvent));
  }
  const hub = new Hub({
    apps: new StaticAppRegistry(apps),
    ...memoryScaling(clock, options.holdMs ?? 0),
    clock,
    lifecycle,
    log: silentLog,
    options: {
      activityTimeout: options.activityTimeout ?? 120,
      pongTimeout: options.pongTimeout ?? 30,
      path: options.path ?? '',
      allowMissingProtocol: options.allowMissingProtocol ?? false,
    },
  });
  const app = apps[0]!;
  const receive = (connection: Connection, frame: string | object) =>
    connection.receive(typeof frame === 'string' ? frame : JSON.stringify(frame), clock.now());
  const open = (url = `/app/${app.key}?protocol=7`) => {
    const parsed = new URL(url, 'http://localhost');
    const transport = new FakeTransport();
    const connection = hub.open(parsed.pathname, parsed.searchParams, transport);
    return { transport, connection };
  };
  return {
    hub,
    clock,
    apps,
    app,
    events,
    listenerErrors,
    names: () => events.map((recorded) => recorded.name),
    open,
    connect(url) {
      const { transport, connection } = open(url);
      if (connection === undefined) {
        throw new Error(`connection refused: ${transport.texts.join(' ')}`);
      }
      transport.clear();
      return { transport, connection };
    },
    receive,
    subscribe(connection, channel, channelData) {
      const auth = channelType(channel).authorized
        ? signToken(connection.app, channelStringToSign(connection.socketId, channel, channelData))
        : '';
      const data =
        channelData === undefined
          ? { auth, channel }
          : { auth, channel_data: channelData, channel };
      receive(connection, { event: 'pusher:subscribe', data });
    },
    unsubscribe(connection, channel) {
      receive(connection, { event: 'pusher:unsubscribe', data: { channel } });
    },
    signin(connection, userData) {
      const text = typeof userData === 'string' ? userData : JSON.stringify(userData);
      const auth = signToken(connection.app, userStringToSign(connection.socketId, text));
      receive(connection, { event: 'pusher:signin', data: { auth, user_data: text } });
    },
  };
}

/** Lets promise callbacks (channel index answers) and immediates run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Decodes the JSON string `data` of a server frame. */
export function dataOf(frame: WireFrame | undefined): unknown {
  if (frame === undefined) throw new Error('no frame');
  if (typeof frame.data !== 'string')
    throw new Error(`data is not a string: ${String(frame.data)}`);
  return JSON.parse(frame.data);
}
