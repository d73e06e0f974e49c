/**
 * The node's real-time core: accepts connections, dispatches their frames, fans channel messages
 * out to local subscribers and probes liveness. It writes only through {@link Transport}, keeps
 * cluster-wide facts behind the scaling interfaces and reports through {@link Lifecycle}.
 */
import type { App, AppRegistry } from '../apps/app.js';
import {
  CloseCode,
  ProtocolError,
  SubscriptionError,
  checkCloseCode,
  closeMessageOf,
} from '../protocol/errors.js';
import { parseConnectionRequest } from '../protocol/connection-request.js';
import {
  channelEventFrame,
  connectionEstablishedFrame,
  errorFrame,
  parseClientFrame,
  pingFrame,
  pongFrame,
} from '../protocol/frames.js';
import { newSocketId } from '../protocol/socket-id.js';
import { channelType } from '../protocol/channel-name.js';
import type {
  Broker,
  CachedEvent,
  ChannelCache,
  ChannelIndex,
  ChannelMessage,
  PresenceMember,
  PresenceStore,
  UserIndex,
} from '../scaling/types.js';
import type { Holdings, Orphans } from '../scaling/node-registry.js';
import type { Clock } from './clock.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { Channels } from './channels.js';
import { acceptClientEvent } from './client-events.js';
import type { Lifecycle } from './lifecycle.js';
import type { Log } from './log.js';
import { SubscriptionCounts } from './subscription-counts.js';
import { SharedFrame, type Transport } from './transport.js';
import { Users, isInternalChannel } from './users.js';

export interface HubOptions {
  /** Announced to clients and used for the server's own probe, in seconds. */
  readonly activityTimeout: number;
  /** Seconds to wait for any frame after a probe before closing with 4201. */
  readonly pongTimeout: number;
  /** WebSocket path prefix before `/app/{key}`. */
  readonly path: string;
  readonly allowMissingProtocol: boolean;
}

export interface HubDeps {
  readonly apps: AppRegistry;
  readonly broker: Broker;
  readonly index: ChannelIndex;
  readonly presence: PresenceStore;
  readonly users: UserIndex;
  readonly cache: ChannelCache;
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  readonly log: Log;
  readonly options: HubOptions;
}

/** Live connections of one app on this node. */
class AppConnections {
  readonly bySocketId = new Map<string, Connection>();
}

export class Hub implements ConnectionOwner {
  readonly #deps: HubDeps;
  readonly #apps = new Map<string, AppConnections>();
  readonly channels: Channels;
  readonly users: Users;
  readonly #counts: SubscriptionCounts;
  #accepting = true;
  /** Set by {@link refuseConnections}: new connections are closed with `code` until `until`. */
  #refusal: { until: number; code: number } | undefined;

  constructor(deps: HubDeps) {
    this.#deps = deps;
    this.#counts = new SubscriptionCounts(deps);
    this.channels = new Channels({ ...deps, counts: this.#counts });
    this.users = new Users(deps);
    deps.broker.onMessage((appId, channel, message) => this.#deliver(appId, channel, message));
  }

  get lifecycle(): Lifecycle {
    return this.#deps.lifecycle;
  }

  /**
   * A transport has an upgraded socket for `pathname?query`. Returns the connection it must feed,
   * or undefined after refusing it (`pusher:error` then close, with the code of §1.6).
   */
  open(pathname: string, query: URLSearchParams, transport: Transport): Connection | undefined {
    const { options, apps, clock, lifecycle } = this.#deps;
    const request = parseConnectionRequest(
      pathname,
      query,
      options.path,
      options.allowMissingProtocol,
    );
    const refuse = (code: number, appKey: string | undefined) => {
      const reason = closeMessageOf(code);
      transport.send(errorFrame(code, reason));
      transport.close(code, reason);
      lifecycle.emit('connection_refused', { appKey, code, reason });
      return undefined;
    };
    if (!this.#accepting) return refuse(CloseCode.reconnect_now, undefined);
    if (this.#refusal !== undefined && this.#refusing()) {
      return refuse(this.#refusal.code, request.ok ? request.appKey : undefined);
    }
    if (!request.ok) return refuse(request.code, request.appKey);
    const app = apps.byKey(request.appKey);
    if (app === undefined) return refuse(CloseCode.app_not_found, request.appKey);
    if (!app.enabled) return refuse(CloseCode.app_disabled, app.key);
    const local = this.#local(app.id);
    if (app.maxConnections !== null && local.bySocketId.size >= app.maxConnections) {
      return refuse(CloseCode.over_connection_quota, app.key);
    }
    let socketId = newSocketId();
    while (local.bySocketId.has(socketId)) socketId = newSocketId();
    const connection = new Connection(this, app, socketId, transport, clock.now());
    local.bySocketId.set(socketId, connection);
    transport.send(connectionEstablishedFrame(socketId, options.activityTimeout));
    lifecycle.emit('connection_opened', { appId: app.id, socketId });
    return connection;
  }

  handle(connection: Connection, text: string): void {
    try {
      const frame = parseClientFrame(text);
      switch (frame.kind) {
        case 'ping':
          connection.send(pongFrame);
          return;
        case 'pong':
          return;
        case 'subscribe':
          this.channels.subscribe(connection, frame);
          return;
        case 'unsubscribe':
          this.channels.unsubscribe(connection, frame.channel);
          return;
        case 'signin':
          this.users.signin(connection, frame);
          return;
        case 'client-event': {
          const accepted = acceptClientEvent(connection, frame, this.#deps.clock.now());
          // user_id only on presence channels: the sender's membership there (§2.8).
          const userId = connection.presence?.get(accepted.channel)?.userId;
          const message: ChannelMessage = {
            event: accepted.event,
            data: accepted.data,
            exceptSocketId: connection.socketId,
            userId,
          };
          this.#publish(connection.app.id, accepted.channel, message);
          this.#deps.lifecycle.emit('client_event', {
            appId: connection.app.id,
            socketId: connection.socketId,
            channel: accepted.channel,
            event: accepted.event,
            data: accepted.data,
            userId,
          });
          return;
        }
        case 'ignored':
          this.#deps.log.debug({ event: frame.event }, 'ignored unknown event');
          return;
      }
    } catch (error) {
      this.#reportFrameError(connection, error);
    }
  }

  handleBinary(connection: Connection): void {
    connection.send(errorFrame(null, 'Binary frames are not supported; send JSON text frames'));
  }

  release(connection: Connection, code: number, reason: string): void {
    const { app, socketId } = connection;
    this.#apps.get(app.id)?.bySocketId.delete(socketId);
    for (const channel of connection.channelNames()) this.channels.remove(connection, channel);
    this.users.release(connection);
    this.#deps.lifecycle.emit('connection_closed', { appId: app.id, socketId, code, reason });
  }

  /**
   * The one trigger path (REST, batch, console): publishes a validated event to each channel.
   * Resolves when every channel's message was accepted by the broker.
   */
  async trigger(
    app: App,
    event: { name: string; data: string; channels: readonly string[]; socketId?: string },
  ): Promise<void> {
    const message: ChannelMessage = {
      event: event.name,
      data: event.data,
      exceptSocketId: event.socketId,
    };
    const { cache } = this.#deps;
    const ttlMs = app.cacheTtl * 1000;
    // A cache channel stores the event before publishing it, so a subscriber that arrives in
    // between gets it from the cache (§8); the socket_id exclusion affects delivery only.
    // A failed cache write (the shared store is down) must not cost the delivery itself.
    const published = event.channels.map((channel) =>
      channelType(channel).cached
        ? cache.set(app.id, channel, event.name, event.data, ttlMs).then(
            () => this.#publish(app.id, channel, message),
            (error: unknown) => {
              this.#deps.log.error({ err: error, channel }, 'channel cache write failed');
              return this.#publish(app.id, channel, message);
            },
          )
        : this.#publish(app.id, channel, message),
    );
    const { lifecycle } = this.#deps;
    if (lifecycle.has('api_message')) {
      for (const channel of event.channels) {
        lifecycle.emit('api_message', {
          appId: app.id,
          channel,
          event: event.name,
          data: event.data,
          socketId: event.socketId,
        });
      }
    }
    await Promise.all(published);
  }

  /** Subscribed connections of a channel, cluster-wide. */
  subscriptionCount(appId: string, channel: string): Promise<number> {
    return this.#deps.index.count(appId, channel);
  }

  /** Distinct users of a presence channel, cluster-wide. */
  userCount(appId: string, channel: string): Promise<number> {
    return this.#deps.presence.count(appId, channel);
  }

  /** Distinct members of a presence channel, cluster-wide. */
  members(appId: string, channel: string): Promise<PresenceMember[]> {
    return this.#deps.presence.members(appId, channel);
  }

  /** A cache channel's live entry. */
  cached(appId: string, channel: string): Promise<CachedEvent | undefined> {
    return this.#deps.cache.get(appId, channel);
  }

  /** The core's clock, in ms (for TTLs reported by the API). */
  now(): number {
    return this.#deps.clock.now();
  }

  /** Closes with 4009 every connection signed in as `userId`, cluster-wide (§5.8). */
  terminateUser(app: App, userId: string): Promise<void> {
    return this.users.terminate(app, userId);
  }

  /** Occupied channels whose name starts with `prefix`, with their connection counts. */
  occupiedChannels(appId: string, prefix?: string): Promise<Map<string, number>> {
    return this.#deps.index.list(appId, prefix);
  }

  /**
   * Records this node's connections in the cluster-wide stores again, after they lost them
   * (Redis restarted empty, or this node was taken for dead). Clients notice nothing.
   */
  async reregister(): Promise<void> {
    const connections = [...this.#apps.values()].flatMap((local) => [...local.bySocketId.values()]);
    await Promise.all([this.channels.reregister(connections), this.users.reregister(connections)]);
  }

  /** What this node's connections hold: subscriptions, presence memberships, sign-ins. */
  holdings(): Holdings {
    const channels: Array<Holdings['channels'][number]> = [];
    const presence: Array<Holdings['presence'][number]> = [];
    const users: Array<Holdings['users'][number]> = [];
    for (const [appId, local] of this.#apps) {
      for (const connection of local.bySocketId.values()) {
        const { socketId, presence: members, user } = connection;
        for (const channel of connection.channelNames()) {
          channels.push({ appId, channel, socketId });
        }
        for (const [channel, member] of members ?? []) {
          presence.push({ appId, channel, socketId, userId: member.userId });
        }
        if (user !== undefined) users.push({ appId, userId: user.id, socketId });
      }
    }
    return { channels, presence, users };
  }

  /** Announces, with the normal events, what a dead node's connections left behind. */
  announceOrphans(orphans: Orphans): void {
    for (const app of this.#deps.apps.all()) {
      this.channels.announceOrphans(app, orphans);
      for (const { userId } of orphans.wentOffline.filter((user) => user.appId === app.id)) {
        this.users.announce(app, userId, 'offline');
      }
    }
  }

  /** Connections of an app on this node. */
  localConnectionCount(appId: string): number {
    return this.#apps.get(appId)?.bySocketId.size ?? 0;
  }

  /**
   * Liveness (PROTOCOL.md §1.5): probes connections silent for `activityTimeout`, closes with
   * 4201 those that stay silent `pongTimeout` after the probe. The composition root calls this on
   * a timer; one sweep serves every connection, so idle sockets hold no timers of their own.
   */
  sweep(): void {
    this.#counts.sweep();
    const now = this.#deps.clock.now();
    const idleMs = this.#deps.options.activityTimeout * 1000;
    const pongMs = this.#deps.options.pongTimeout * 1000;
    for (const local of this.#apps.values()) {
      for (const connection of local.bySocketId.values()) {
        if (connection.probedAt !== 0) {
          if (now - connection.probedAt >= pongMs)
            connection.terminate(CloseCode.pong_not_received);
        } else if (now - connection.lastSeen >= idleMs) {
          connection.probedAt = now;
          connection.transport.probe?.();
          connection.send(pingFrame);
        }
      }
    }
  }

  /** Refuses new connections from now on (they get 4200: reconnect, to another node). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Closes every connection with `code` (4200 on a graceful stop). */
  closeAll(code: CloseCode = CloseCode.reconnect_now): void {
    for (const local of this.#apps.values()) {
      for (const connection of [...local.bySocketId.values()]) connection.terminate(code);
    }
  }

  #local(appId: string): AppConnections {
    let local = this.#apps.get(appId);
    if (local === undefined) this.#apps.set(appId, (local = new AppConnections()));
    return local;
  }

  #publish(appId: string, channel: string, message: ChannelMessage): Promise<void> {
    return this.#deps.broker.publish(appId, channel, message);
  }

  /** Broker → local subscribers: serialized once, encoded once per transport, sent to each. */
  #deliver(appId: string, channel: string, message: ChannelMessage): void {
    if (isInternalChannel(channel)) {
      this.users.deliver(appId, channel, message);
      return;
    }
    const subscribers = this.channels.local(appId, channel);
    if (subscribers === undefined) return;
    const frame = new SharedFrame(
      channelEventFrame(message.event, channel, message.data, message.userId),
    );
    // Subscribers are open connections (release() removes them synchronously), so the loop
    // writes to their transports directly: this is the per-delivery hot path.
    const except = message.exceptSocketId;
    let recipients = subscribers.size;
    if (except === undefined) {
      for (const connection of subscribers) connection.transport.send(frame);
    } else {
      for (const connection of subscribers) {
        if (connection.socketId !== except) connection.transport.send(frame);
        else recipients -= 1;
      }
    }
    // One event per message, not per recipient: metrics add the counts up.
    const { lifecycle } = this.#deps;
    if (recipients > 0 && lifecycle.has('delivered')) {
      const bytes = Buffer.byteLength(frame.text, 'utf8') * recipients;
      lifecycle.emit('delivered', { appId, channel, recipients, bytes });
    }
  }

  #reportFrameError(connection: Connection, error: unknown): void {
    if (error instanceof ProtocolError) {
      connection.send(errorFrame(error.code, error.message, error.channel));
    } else if (error instanceof SubscriptionError) {
      // Raised outside a subscribe (should not happen); keep the client informed anyway.
      connection.send(errorFrame(null, error.message));
    } else {
      this.#deps.log.error({ err: error, socketId: connection.socketId }, 'frame handling failed');
      connection.send(errorFrame(null, 'Server error'));
    }
  }

  // ─── Testing and fault injection ─────────────────────────────────────────────────────────
  // For herald/testing and the --dev control API. Nothing above calls these; the one cost on a
  // hot path is the refusal check in open(). Close codes are 4000–4999 (PROTOCOL.md §1.6 says
  // how pusher-js reacts to each range); anything else throws a RangeError before acting.

  /** This node's connections (of one app, or all), with their channels and signed-in user. */
  connections(
    appId?: string,
  ): Array<{ appId: string; socketId: string; channels: string[]; userId: string | undefined }> {
    const found = [];
    for (const [id, local] of this.#apps) {
      if (appId !== undefined && id !== appId) continue;
      for (const connection of local.bySocketId.values()) {
        const { socketId, user } = connection;
        found.push({ appId: id, socketId, channels: connection.channelNames(), userId: user?.id });
      }
    }
    return found;
  }

  /**
   * Closes one connection of this node with `code` (default 4200: pusher-js reconnects at
   * once). Socket ids are per node, so this is local; false when the socket is not here.
   */
  disconnect(
    socketId: string,
    code: number = CloseCode.reconnect_now,
    appId?: string,
    message: string = closeMessageOf(code),
  ): boolean {
    checkCloseCode(code);
    for (const [id, local] of this.#apps) {
      if (appId !== undefined && id !== appId) continue;
      const connection = local.bySocketId.get(socketId);
      if (connection === undefined) continue;
      connection.terminate(code, message);
      return true;
    }
    return false;
  }

  /**
   * Closes every connection signed in as `userId`, on every node, with `code` (default 4009,
   * as the REST API's terminate_connections). Resolves once the broker accepted the request.
   */
  disconnectUser(app: App, userId: string, code: number = CloseCode.unauthorized): Promise<void> {
    checkCloseCode(code);
    return this.users.terminate(app, userId, code);
  }

  /** Closes every connection of this node with `code` (default 4200); returns how many. */
  disconnectAll(
    code: number = CloseCode.reconnect_now,
    message: string = closeMessageOf(code),
  ): number {
    checkCloseCode(code);
    let closed = 0;
    for (const local of this.#apps.values()) {
      for (const connection of [...local.bySocketId.values()]) {
        connection.terminate(code, message);
        closed += 1;
      }
    }
    return closed;
  }

  /**
   * For the next `forMs` milliseconds of the hub's clock, this node closes new connections with
   * `code` (default 4100: pusher-js retries every second) right after the upgrade; 0 stops
   * refusing. Open connections are not touched. Returns the clock time the refusal ends.
   */
  refuseConnections(forMs: number, code: number = CloseCode.over_capacity): number {
    checkCloseCode(code);
    if (!Number.isFinite(forMs) || forMs < 0) {
      throw new RangeError(`Refusal duration must be a finite number of ms ≥ 0, got ${forMs}`);
    }
    const until = this.#deps.clock.now() + forMs;
    this.#refusal = forMs === 0 ? undefined : { until, code };
    return until;
  }

  /**
   * Back to a node as it started: stops refusing, closes every connection with `code` (their
   * subscriptions, presence memberships and sign-ins go through the normal disconnect path),
   * then empties every app's cache channels. Resolves once the stores have recorded it all.
   */
  async reset(code: number, message: string = closeMessageOf(code)): Promise<void> {
    checkCloseCode(code);
    this.#refusal = undefined;
    this.disconnectAll(code, message);
    const { apps, index, presence, cache } = this.#deps;
    // The disconnects sent their leaves (channels, presence, sign-ins) to the stores just now; a
    // request sent after them is answered after them (memory: promise order; Redis: the roles
    // share one connection, whose replies come in order).
    await Promise.all(
      apps.all().flatMap((app) => [index.list(app.id), presence.count(app.id, '')]),
    );
    await Promise.all(apps.all().map((app) => cache.clear(app.id)));
  }

  #refusing(): boolean {
    if (this.#deps.clock.now() < this.#refusal!.until) return true;
    this.#refusal = undefined;
    return false;
  }
}
