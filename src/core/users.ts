/**
 * User authentication (PROTOCOL.md §2.10, §2.11, §5.8): `pusher:signin`, watchlist online and
 * offline events, and terminating a user's connections. Cross-node effects travel as channel
 * messages on internal channels (`#herald-…`, a prefix no client may subscribe to), so any broker
 * carries them: a node listens to a user's control channel while that user is signed in on it,
 * and to a watched user's channel while one of its connections watches them.
 */
import type { App } from '../apps/app.js';
import { CloseCode, ErrorCode, ProtocolError, SubscriptionError } from '../protocol/errors.js';
import { userStringToSign, verifyToken } from '../protocol/auth-signature.js';
import {
  connectionEventFrame,
  errorFrame,
  signinSuccessFrame,
  watchlistData,
  type ClientFrame,
} from '../protocol/frames.js';
import { parseUserData } from '../protocol/member-data.js';
import type { Broker, ChannelMessage, UserIndex } from '../scaling/types.js';
import type { Connection } from './connection.js';
import type { Lifecycle } from './lifecycle.js';
import type { Log } from './log.js';
import { SharedFrame } from './transport.js';

type Signin = Extract<ClientFrame, { kind: 'signin' }>;

const INTERNAL_PREFIX = '#herald-';
/** ':' cannot appear in a channel name, so these never collide with a client's channel. */
const controlChannel = (userId: string) => `${INTERNAL_PREFIX}user:${userId}`;
const watchChannel = (userId: string) => `${INTERNAL_PREFIX}watch:${userId}`;
const TERMINATE = 'herald:terminate';
const WATCHLIST_EVENTS = 'pusher_internal:watchlist_events';

export const isInternalChannel = (channel: string) => channel.startsWith(INTERNAL_PREFIX);

export interface UsersDeps {
  readonly broker: Broker;
  readonly users: UserIndex;
  readonly lifecycle: Lifecycle;
  readonly log: Log;
}

export class Users {
  readonly #deps: UsersDeps;
  /** appId → internal channel → local connections listening to it. */
  readonly #apps = new Map<string, Map<string, Set<Connection>>>();

  constructor(deps: UsersDeps) {
    this.#deps = deps;
  }

  /**
   * Handles `pusher:signin`. Failures are `pusher:error` with code null and the connection stays
   * open (herald's decision, §11).
   */
  signin(connection: Connection, frame: Signin): void {
    const { app, socketId } = connection;
    const { auth, userData } = frame;
    if (userData === undefined) throw new ProtocolError('Missing parameter: data.user_data');
    if (auth === undefined || auth === '') throw new ProtocolError('Auth info required to sign in');
    try {
      verifyToken(app, auth, 'signin', [userStringToSign(socketId, userData)]);
    } catch (error) {
      if (error instanceof SubscriptionError) throw new ProtocolError(error.message);
      throw error;
    }
    const user = parseUserData(userData, app);
    if (connection.user !== undefined) {
      if (connection.user.id !== user.id) {
        throw new ProtocolError(
          `Connection is already signed in as a different user (${connection.user.id})`,
        );
      }
      connection.send(signinSuccessFrame(userData));
      return;
    }
    const watchlist = [...new Set(user.watchlist)].slice(0, app.maxWatchlistSize);
    connection.user = { id: user.id, userInfo: user.userInfo, watchlist };
    this.#listen(connection, controlChannel(user.id));
    for (const watched of watchlist) this.#listen(connection, watchChannel(watched));
    connection.send(signinSuccessFrame(userData));
    if (new Set(user.watchlist).size > app.maxWatchlistSize) {
      connection.send(
        errorFrame(
          ErrorCode.watchlist_limit,
          `Watchlist limit exceeded. Only the first ${app.maxWatchlistSize} user IDs are accepted.`,
        ),
      );
    }
    const { users, lifecycle, log } = this.#deps;
    lifecycle.emit('signed_in', { appId: app.id, socketId, userId: user.id });
    users.signin(app.id, user.id, socketId).then(
      (cameOnline) => {
        if (cameOnline) this.announce(app, user.id, 'online');
      },
      (error: unknown) => log.error({ err: error }, 'user index signin failed'),
    );
    if (watchlist.length > 0) {
      users.online(app.id, watchlist).then(
        (online) =>
          connection.send(
            connectionEventFrame(
              WATCHLIST_EVENTS,
              watchlistData([
                { name: 'online', user_ids: watchlist.filter((id) => online.has(id)) },
                { name: 'offline', user_ids: watchlist.filter((id) => !online.has(id)) },
              ]),
            ),
          ),
        (error: unknown) => log.error({ err: error }, 'user index lookup failed'),
      );
    }
  }

  /** The disconnect path of a signed-in connection: stop listening, maybe announce offline. */
  release(connection: Connection): void {
    const user = connection.user;
    if (user === undefined) return;
    const { app, socketId } = connection;
    this.#unlisten(connection, controlChannel(user.id));
    for (const watched of user.watchlist) this.#unlisten(connection, watchChannel(watched));
    this.#deps.users.signout(app.id, user.id, socketId).then(
      (wentOffline) => {
        if (wentOffline) this.announce(app, user.id, 'offline');
      },
      (error: unknown) => this.#deps.log.error({ err: error }, 'user index signout failed'),
    );
  }

  /**
   * Closes every connection signed in as `userId`, on every node, with `code` (default 4009, as
   * §5.8 wants). The code travels as the message's data; empty means 4009.
   */
  terminate(app: App, userId: string, code: number = CloseCode.unauthorized): Promise<void> {
    return this.#deps.broker.publish(app.id, controlChannel(userId), {
      event: TERMINATE,
      data: code === CloseCode.unauthorized ? '' : String(code),
    });
  }

  /** Broker → this node, for an internal channel. */
  deliver(appId: string, channel: string, message: ChannelMessage): void {
    const listeners = this.#apps.get(appId)?.get(channel);
    if (listeners === undefined) return;
    if (message.event === TERMINATE) {
      const given = Number(message.data);
      // Validated by the sender; a node of another version could still send anything.
      const code =
        Number.isInteger(given) && given >= 4000 && given <= 4999 ? given : CloseCode.unauthorized;
      for (const connection of [...listeners]) connection.terminate(code);
      return;
    }
    const frame = new SharedFrame(connectionEventFrame(message.event, message.data));
    for (const connection of listeners) connection.send(frame);
  }

  /** Records every local sign-in in the user index again, announcing nothing (see Channels). */
  async reregister(connections: Iterable<Connection>): Promise<void> {
    const signins: Array<Promise<boolean>> = [];
    for (const connection of connections) {
      if (connection.user === undefined) continue;
      signins.push(
        this.#deps.users.signin(connection.app.id, connection.user.id, connection.socketId),
      );
    }
    await Promise.all(signins);
  }

  /** Tells every watcher of `userId`, on every node, that the user came online or went offline. */
  announce(app: App, userId: string, name: 'online' | 'offline'): void {
    this.#deps.broker
      .publish(app.id, watchChannel(userId), {
        event: WATCHLIST_EVENTS,
        data: watchlistData([{ name, user_ids: [userId] }]),
      })
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'watchlist event failed'));
  }

  #listen(connection: Connection, channel: string): void {
    const appId = connection.app.id;
    let channels = this.#apps.get(appId);
    if (channels === undefined) this.#apps.set(appId, (channels = new Map()));
    let listeners = channels.get(channel);
    if (listeners === undefined) {
      channels.set(channel, (listeners = new Set()));
      this.#deps.broker.subscribe(appId, channel);
    }
    listeners.add(connection);
  }

  #unlisten(connection: Connection, channel: string): void {
    const appId = connection.app.id;
    const channels = this.#apps.get(appId);
    const listeners = channels?.get(channel);
    if (listeners === undefined || !listeners.delete(connection) || listeners.size > 0) return;
    channels!.delete(channel);
    this.#deps.broker.unsubscribe(appId, channel);
  }
}
