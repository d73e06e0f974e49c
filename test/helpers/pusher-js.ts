/**
 * pusher-js (its Node build, with encryption) against a test server: clients built from
 * `TestHerald.pusherJsOptions`, channel auth signed in-process by the `pusher` SDK (no HTTP auth
 * endpoint), and recordings of what each client saw so every wait is bounded and can look back.
 */
import PusherJsModule from 'pusher-js';
import type { Channel, ChannelAuthorizationHandler, Options } from 'pusher-js';
import type PusherServer from 'pusher';
import type { TestHerald } from '../../src/testing/index.js';
import { WAIT_MS } from './ws-client.js';

// pusher-js is CommonJS with ES-style declarations: under NodeNext the default import is typed
// as the module namespace, but at run time it is `module.exports`, the Pusher class itself (the
// Node build's class includes tweetnacl, so `private-encrypted-` channels work).
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;
export type PusherJs = InstanceType<typeof PusherJs>;

/** What a pusher-js client needs from a server: `startHerald()`'s result satisfies it. */
export type PusherJsTarget = Pick<TestHerald, 'pusherJsOptions'> & {
  readonly app: { readonly key: string };
};

/** Things a client saw, in order; `next()` waits (bounded) for the first unseen match. */
export class Recording<T> {
  readonly items: T[] = [];
  #cursor = 0;
  readonly #waiters = new Set<() => void>();

  constructor(private readonly label: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Items after the last match, not consumed. */
  pending(): T[] {
    return this.items.slice(this.#cursor);
  }

  next(match: (item: T) => boolean, what: string, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = this.#cursor; i < this.items.length; i++) {
          const item = this.items[i]!;
          if (match(item)) {
            this.#cursor = i + 1;
            clearTimeout(timer);
            this.#waiters.delete(check);
            resolve(item);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; seen since the ` +
              `last match: ${JSON.stringify(this.pending()) || '(none)'}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

export interface ProtocolMessage {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
}

export interface ChannelEvent {
  readonly event: string;
  readonly data: unknown;
}

interface ClientLog {
  readonly states: Recording<string>;
  /** `error` events of the connection (handshake refusals, pusher:error frames, socket errors). */
  readonly errors: Recording<{ type?: string; data?: { code?: number | null }; error?: unknown }>;
  /** Every decoded protocol message, pusher:ping and pusher:pong included. */
  readonly messages: Recording<ProtocolMessage>;
}

const logs = new WeakMap<PusherJs, ClientLog>();
const channelLogs = new WeakMap<Channel, Recording<ChannelEvent>>();

function logOf(pusher: PusherJs): ClientLog {
  const log = logs.get(pusher);
  if (log === undefined) throw new Error('not a client made by PusherJsClients');
  return log;
}

/**
 * A pusher-js channel authorizer that signs with the app secret through the `pusher` SDK's
 * `authorizeChannel` (which adds `shared_secret` for `private-encrypted-` channels when the SDK
 * has `encryptionMasterKeyBase64`).
 */
export function channelAuthorizer(sdk: PusherServer): ChannelAuthorizationHandler {
  return ({ socketId, channelName }, callback) => {
    let auth: ReturnType<PusherServer['authorizeChannel']>;
    try {
      auth = sdk.authorizeChannel(socketId, channelName);
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)), null);
      return;
    }
    callback(null, auth);
  };
}

export interface PusherJsClientOptions {
  /** App key; default the target's. */
  readonly key?: string;
  /** Signs private and encrypted subscriptions; a handler, or an SDK to sign with. */
  readonly authorizer?: PusherServer | ChannelAuthorizationHandler;
}

/** Creates pusher-js clients for one server; `disconnectAll()` in cleanup disconnects them all. */
export class PusherJsClients {
  readonly #clients = new Set<PusherJs>();

  constructor(
    private readonly target: PusherJsTarget,
    private readonly defaults: PusherJsClientOptions = {},
  ) {}

  /** A client that starts connecting at once. */
  create(options: PusherJsClientOptions = {}): PusherJs {
    const authorizer = options.authorizer ?? this.defaults.authorizer;
    const pusherOptions: Options = {
      ...this.target.pusherJsOptions,
      ...(authorizer === undefined
        ? {}
        : {
            channelAuthorization: {
              customHandler:
                typeof authorizer === 'function' ? authorizer : channelAuthorizer(authorizer),
            },
          }),
    };
    const key = options.key ?? this.defaults.key ?? this.target.app.key;
    const pusher = new PusherJs(key, pusherOptions);
    const label = `pusher-js#${this.#clients.size + 1}`;
    const log: ClientLog = {
      states: new Recording(`${label} states`),
      errors: new Recording(`${label} errors`),
      messages: new Recording(`${label} messages`),
    };
    log.states.push(pusher.connection.state);
    pusher.connection.bind('state_change', ({ current }: { current: string }) =>
      log.states.push(current),
    );
    pusher.connection.bind('error', (error: ClientLog['errors']['items'][number]) =>
      log.errors.push(error),
    );
    pusher.connection.bind('message', (message: ProtocolMessage) => log.messages.push(message));
    logs.set(pusher, log);
    this.#clients.add(pusher);
    return pusher;
  }

  /** A client that has reached `connected`. */
  async connect(options: PusherJsClientOptions = {}): Promise<PusherJs> {
    const pusher = this.create(options);
    await waitForState(pusher, 'connected');
    return pusher;
  }

  disconnectAll(): void {
    for (const pusher of this.#clients) {
      pusher.disconnect();
      // pusher-js 8.6 can leave a retry timer behind: after a close it retries on (4200–4299
      // codes), `retryIn(0)` and then the `closed` handler's `retryIn(1000)` each start a timer,
      // and disconnect() cancels only the last. The orphan reconnects later, forever; undo that
      // once connect() has returned (disconnecting inside it would leave its timers running).
      pusher.connection.bind('state_change', ({ current }: { current: string }) => {
        if (current !== 'disconnected') queueMicrotask(() => pusher.disconnect());
      });
    }
    this.#clients.clear();
  }
}

/** Waits until the client enters `state` (now or later). */
export async function waitForState(
  pusher: PusherJs,
  state: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  if (pusher.connection.state === state) return;
  await logOf(pusher).states.next((s) => s === state, `state ${state}`, timeoutMs);
}

export const statesOf = (pusher: PusherJs): Recording<string> => logOf(pusher).states;
export const errorsOf = (pusher: PusherJs): ClientLog['errors'] => logOf(pusher).errors;
export const messagesOf = (pusher: PusherJs): Recording<ProtocolMessage> => logOf(pusher).messages;

/** Everything the channel emitted (its own events and pusher:* ones), recorded from now on. */
export function eventsOf(channel: Channel): Recording<ChannelEvent> {
  let recording = channelLogs.get(channel);
  if (recording === undefined) {
    const log = new Recording<ChannelEvent>(`channel ${channel.name}`);
    channel.bind_global((event: string, data: unknown) => log.push({ event, data }));
    channelLogs.set(channel, (recording = log));
  }
  return recording;
}

/** Subscribes and waits for the outcome; throws with the subscription error's data if refused. */
export async function subscribe(
  pusher: PusherJs,
  name: string,
  timeoutMs = WAIT_MS,
): Promise<Channel> {
  const channel = pusher.subscribe(name);
  const outcome = await eventsOf(channel).next(
    (e) => e.event === 'pusher:subscription_succeeded' || e.event === 'pusher:subscription_error',
    `the answer to subscribing ${name}`,
    timeoutMs,
  );
  if (outcome.event === 'pusher:subscription_error') {
    throw new Error(`subscribing ${name} failed: ${JSON.stringify(outcome.data)}`);
  }
  return channel;
}

/** The next `event` emitted on `channel`, as pusher-js hands it to the app. */
export async function nextEvent(
  channel: Channel,
  event: string,
  timeoutMs = WAIT_MS,
): Promise<unknown> {
  const got = await eventsOf(channel).next((e) => e.event === event, event, timeoutMs);
  return got.data;
}
