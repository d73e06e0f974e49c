/**
 * Presence members and signed-in users for end-to-end tests: pusher-js clients whose channel
 * authorization and user authentication are signed in-process by the `pusher` SDK
 * (`authorizeChannel`, `authenticateUser`), so no auth endpoint is needed; the same signing for
 * raw clients; and the bounded waits these features need (signin, watchlist, markers, the
 * server's own view of a close).
 */
import { createHmac } from 'node:crypto';
import type {
  Channel,
  ChannelAuthorizationHandler,
  PresenceChannel,
  UserAuthenticationHandler,
} from 'pusher-js';
import type PusherServer from 'pusher';
import type { Lifecycle, LifecycleEvents, LifecycleName } from '../../src/core/lifecycle.js';
import {
  PusherJsClients,
  Recording,
  messagesOf,
  waitForState,
  type ChannelEvent,
  type PusherJs,
  type PusherJsTarget,
} from './pusher-js.js';
import { WAIT_MS, type RawClient, type ServerFrame } from './ws-client.js';

/** A presence member as `channel_data` carries it; `user_id` may be a number (§4.4). */
export interface PresenceMember {
  readonly user_id: string | number;
  readonly user_info?: unknown;
}

/** The `user_data` a signin authenticates (§2.10). */
export interface SigninUser {
  readonly id: string;
  readonly user_info?: unknown;
  readonly watchlist?: readonly string[];
}

/** Who a pusher-js client is. */
export interface Identity {
  /**
   * `channel_data` of its presence subscriptions. Without one, presence auth carries none and
   * pusher-js waits for signin and uses the signed-in user (§4.5).
   */
  readonly member?: PresenceMember;
  /** Whom `pusher.signin()` authenticates; without one the handler fails the signin. */
  readonly user?: SigninUser;
  /** Signs instead of the clients' default SDK (e.g. one holding a wrong secret). */
  readonly sdk?: PusherServer;
}

const isPresence = (channel: string) => channel.startsWith('presence-');

/**
 * A channel authorizer signing with `sdk.authorizeChannel`: presence channels with `member` as
 * `channel_data` when given, every other channel (and presence without a member) over socket id
 * and channel only.
 */
export function channelAuthorizer(
  sdk: PusherServer,
  member?: PresenceMember,
): ChannelAuthorizationHandler {
  return ({ socketId, channelName }, callback) => {
    try {
      // The SDK types `user_id` as a string; a number is sent as JSON gives it, which is the point.
      const data =
        member !== undefined && isPresence(channelName)
          ? (member as PusherServer.PresenceChannelData)
          : undefined;
      callback(null, sdk.authorizeChannel(socketId, channelName, data));
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)), null);
    }
  };
}

/** A user authenticator signing `user` with `sdk.authenticateUser`. */
export function userAuthenticator(sdk: PusherServer, user?: SigninUser): UserAuthenticationHandler {
  return ({ socketId }, callback) => {
    if (user === undefined) {
      callback(new Error('this test client was given no user to sign in as'), null);
      return;
    }
    try {
      callback(null, sdk.authenticateUser(socketId, user as PusherServer.UserChannelData));
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)), null);
    }
  };
}

/** One element of `pusher_internal:watchlist_events`, as pusher-js emits it on the watchlist. */
export interface WatchlistEvent {
  readonly name: string;
  readonly user_ids: readonly string[];
}

const watchlists = new WeakMap<PusherJs, Recording<WatchlistEvent>>();
const userEvents = new WeakMap<PusherJs, Recording<ChannelEvent>>();

function recorded<T>(map: WeakMap<PusherJs, Recording<T>>, pusher: PusherJs): Recording<T> {
  const recording = map.get(pusher);
  if (recording === undefined) throw new Error('not a client made by AuthClients');
  return recording;
}

/** Watchlist `online` / `offline` events the client emitted, from its creation on. */
export const watchlistOf = (pusher: PusherJs) => recorded(watchlists, pusher);
/** Events pusher-js emitted on `pusher.user` (those of `#server-to-user-{id}`). */
export const userEventsOf = (pusher: PusherJs) => recorded(userEvents, pusher);

/** The parts of pusher-js's Node build reached into by {@link releaseOrphanCloseTimer}. */
interface SocketInternals {
  readonly connection?: {
    readonly transport?: {
      readonly socket?: { readonly readyState?: number; readonly _closeTimer?: NodeJS.Timeout };
    };
  } | null;
}

/**
 * pusher-js's Node build talks through faye-websocket, whose `close()` on a socket that is
 * already closed starts a 30 s timer (`CLOSE_TIMEOUT`) that nothing ever clears. pusher-js makes
 * that call when the server closes with 4000–4099 (its "refused" action: 4009 from
 * terminate_connections), so such a client would hold the test process open for 30 s. Once the
 * client is disconnected and its socket closed, the timer has nothing left to do.
 */
function releaseOrphanCloseTimer(pusher: PusherJs): void {
  const FAYE_CLOSED = 3;
  type Socket = NonNullable<
    NonNullable<NonNullable<SocketInternals['connection']>['transport']>['socket']
  >;
  let socket: Socket | undefined;
  pusher.connection.bind('state_change', ({ current }: { current: string }) => {
    if (current === 'connected') {
      socket = (pusher.connection as unknown as SocketInternals).connection?.transport?.socket;
    } else if (current === 'disconnected' && socket?.readyState === FAYE_CLOSED) {
      clearTimeout(socket._closeTimer);
    }
  });
}

/** Creates pusher-js clients with an identity each; `disconnectAll()` in cleanup. */
export class AuthClients {
  readonly #groups = new Set<PusherJsClients>();

  constructor(
    private readonly target: PusherJsTarget,
    private readonly sdk: PusherServer,
  ) {}

  /** A client that starts connecting at once. */
  create(identity: Identity = {}): PusherJs {
    const sdk = identity.sdk ?? this.sdk;
    // PusherJsClients spreads its target's options into the pusher-js constructor: a target of
    // one's own is the way to give one client its own user authenticator. (Its failure messages
    // then all say `pusher-js#1`; the stack trace names the test line.)
    const target = {
      app: this.target.app,
      pusherJsOptions: {
        ...this.target.pusherJsOptions,
        userAuthentication: { customHandler: userAuthenticator(sdk, identity.user) },
      },
    };
    const clients = new PusherJsClients(target, {
      authorizer: channelAuthorizer(sdk, identity.member),
    });
    this.#groups.add(clients);
    const pusher = clients.create();
    releaseOrphanCloseTimer(pusher);
    // Bound now: the initial watchlist status arrives right after signin_success.
    const label = identity.user?.id ?? String(identity.member?.user_id ?? 'anonymous');
    const watchlist = new Recording<WatchlistEvent>(`${label}'s watchlist`);
    for (const name of ['online', 'offline']) {
      pusher.user.watchlist.bind(name, (event: WatchlistEvent) => watchlist.push(event));
    }
    watchlists.set(pusher, watchlist);
    const events = new Recording<ChannelEvent>(`${label}'s user events`);
    pusher.user.bind_global((event: string, data: unknown) => events.push({ event, data }));
    userEvents.set(pusher, events);
    return pusher;
  }

  /** A client that has reached `connected`. */
  async connect(identity: Identity = {}): Promise<PusherJs> {
    const pusher = this.create(identity);
    await waitForState(pusher, 'connected');
    return pusher;
  }

  disconnectAll(): void {
    for (const clients of this.#groups) clients.disconnectAll();
    this.#groups.clear();
  }
}

/**
 * `pusher.signin()` and the wait for it to take effect: `pusher:signin_success` accepted by
 * pusher-js (`user.user_data` set) and its automatic `#server-to-user-{id}` subscription
 * succeeded, so `sendToUser` reaches it from then on. Throws on a `pusher:error` instead.
 */
export async function signin(pusher: PusherJs, timeoutMs = WAIT_MS): Promise<unknown> {
  const messages = messagesOf(pusher);
  pusher.signin();
  const answer = await messages.next(
    (m) => m.event === 'pusher:signin_success' || m.event === 'pusher:error',
    'the answer to pusher:signin',
    timeoutMs,
  );
  if (answer.event === 'pusher:error') {
    throw new Error(`signin refused: ${JSON.stringify(answer.data)}`);
  }
  const userData = pusher.user.user_data as { id?: unknown } | null;
  if (userData === null || typeof userData.id !== 'string') {
    throw new Error(`pusher-js discarded signin_success: ${JSON.stringify(answer.data)}`);
  }
  const channel = `#server-to-user-${userData.id}`;
  await messages.next(
    (m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === channel,
    `subscription_succeeded on ${channel}`,
    timeoutMs,
  );
  return userData;
}

/** A presence channel's members as pusher-js holds them, sorted by id for comparisons. */
export function membersOf(channel: Channel): {
  count: number;
  me: unknown;
  each: Array<{ id: string; info: unknown }>;
} {
  const { members } = channel as PresenceChannel;
  const each: Array<{ id: string; info: unknown }> = [];
  members.each((member: { id: string; info: unknown }) => each.push(member));
  each.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { count: members.count, me: members.me, each };
}

/** Lowercase hex HMAC-SHA256: for tokens over strings the SDK would never sign (§4.1). */
export const hmacHex = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('hex');

/** The `data` of a `pusher:subscribe` frame. */
export type SubscribeData = { readonly channel: string } & Readonly<Record<string, unknown>>;

/**
 * `pusher:subscribe` data for a raw client, signed by `sdk` (presence with `member` as
 * `channel_data`, or over socket id and channel only when there is none).
 */
export function signedSubscribe(
  sdk: PusherServer,
  client: RawClient,
  channel: string,
  member?: PresenceMember,
): SubscribeData {
  const { auth, channel_data } = sdk.authorizeChannel(
    client.socketId,
    channel,
    member as PusherServer.PresenceChannelData | undefined,
  );
  // Not shared_secret: the auth endpoint hands it to the client, which never sends it on (§7).
  return channel_data === undefined ? { auth, channel } : { auth, channel_data, channel };
}

/** Sends `pusher:subscribe` with `data` and returns the answer for its channel. */
export function subscribeAnswer(
  client: RawClient,
  data: SubscribeData,
  timeoutMs = WAIT_MS,
): Promise<ServerFrame> {
  client.send({ event: 'pusher:subscribe', data });
  return client.next(
    (f) =>
      f.channel === data.channel &&
      (f.event === 'pusher:subscription_error' ||
        f.event === 'pusher_internal:subscription_succeeded'),
    `the answer to subscribing ${JSON.stringify(data.channel)}`,
    timeoutMs,
  );
}

/** `pusher:signin` data over `userData` exactly as given, for strings the SDK would not sign. */
export function signinData(
  app: { readonly key: string; readonly secret: string },
  socketId: string,
  userData: string,
): { auth: string; user_data: string } {
  return {
    auth: `${app.key}:${hmacHex(app.secret, `${socketId}::user::${userData}`)}`,
    user_data: userData,
  };
}

/**
 * Sends `pusher:signin` with `data` (e.g. `sdk.authenticateUser(...)`) and returns the answer:
 * `pusher:signin_success` or `pusher:error`.
 */
export function rawSignin(
  client: RawClient,
  data: { auth: string; user_data: string },
  timeoutMs = WAIT_MS,
): Promise<ServerFrame> {
  client.send({ event: 'pusher:signin', data });
  return client.next(
    (f) => f.event === 'pusher:signin_success' || f.event === 'pusher:error',
    'the answer to pusher:signin',
    timeoutMs,
  );
}

/** A frame's `data`, which must be a JSON string (§1.3), decoded. */
export function decoded<T = Record<string, unknown>>(frame: ServerFrame): T {
  if (typeof frame.data !== 'string') {
    throw new Error(`${frame.event}: data is not a JSON string: ${JSON.stringify(frame.data)}`);
  }
  return JSON.parse(frame.data) as T;
}

let markers = 0;

/**
 * Triggers a uniquely named event on `channel` through REST and returns its name. Whatever the
 * server sent a subscriber before this event (member events, counts, …) reaches that subscriber
 * before it, so waiting for the marker bounds a check that something did *not* happen.
 */
export async function triggerMarker(sdk: PusherServer, channel: string): Promise<string> {
  const name = `marker-${++markers}`;
  await sdk.trigger(channel, name, '{}');
  return name;
}

/** Waits for a match in `recording` and returns the unseen items that came before it. */
export async function itemsBefore<T>(
  recording: Recording<T>,
  match: (item: T) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T[]> {
  const start = recording.items.length - recording.pending().length;
  const found = await recording.next(match, what, timeoutMs);
  return recording.items.slice(start, recording.items.indexOf(found, start));
}

/** Waits for a match in a raw client's frames and returns the unseen frames before it. */
export async function framesBefore(
  client: RawClient,
  match: (frame: ServerFrame) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<ServerFrame[]> {
  const start = client.frames.length - client.pending().length;
  const found = await client.next(match, what, timeoutMs);
  return client.frames.slice(start, client.frames.indexOf(found, start));
}

/**
 * Resolves with the first lifecycle event `name` matching `match`; start waiting *before*
 * causing it. Used to know the server has handled something the client cannot observe (its
 * own close) before checking what others saw.
 */
export function serverEvent<K extends LifecycleName>(
  lifecycle: Lifecycle,
  name: K,
  match: (event: LifecycleEvents[K]) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<LifecycleEvents[K]> {
  return new Promise((resolve, reject) => {
    const off = lifecycle.on(name, (event) => {
      if (!match(event)) return;
      off();
      clearTimeout(timer);
      resolve(event);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`server: no ${name} (${what}) within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** Disconnects a pusher-js client and waits until the server has released its connection. */
export async function disconnectOnServer(lifecycle: Lifecycle, pusher: PusherJs): Promise<void> {
  const socketId = pusher.connection.socket_id;
  const closed = serverEvent(
    lifecycle,
    'connection_closed',
    (event) => event.socketId === socketId,
    `close of ${socketId}`,
  );
  pusher.disconnect();
  await closed;
}

/** Closes a raw client and waits until the server has released its connection. */
export async function closeOnServer(lifecycle: Lifecycle, client: RawClient): Promise<void> {
  const closed = serverEvent(
    lifecycle,
    'connection_closed',
    (event) => event.socketId === client.socketId,
    `close of ${client.socketId}`,
  );
  client.terminate();
  await closed;
}

/**
 * The next `event` on `channel` with the metadata pusher-js passes only to named bindings
 * (`{user_id}` of a presence client event); start waiting before it is sent.
 */
export function nextWithMetadata(
  channel: Channel,
  event: string,
  timeoutMs = WAIT_MS,
): Promise<{ data: unknown; metadata: unknown }> {
  return new Promise((resolve, reject) => {
    const listener = (data: unknown, metadata: unknown) => {
      clearTimeout(timer);
      channel.unbind(event, listener);
      resolve({ data, metadata });
    };
    const timer = setTimeout(() => {
      channel.unbind(event, listener);
      reject(new Error(`channel ${channel.name}: no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    channel.bind(event, listener);
  });
}
