/**
 * Subscriptions on this node: who is subscribed to what, the subscribe/unsubscribe rules of
 * PROTOCOL.md §2.2–§2.6 (presence included), what a cache channel sends a new subscriber (§8),
 * and the cluster-wide facts asked of the {@link ChannelIndex} and {@link PresenceStore}.
 */
import type { App } from '../apps/app.js';
import type { ClientFrame, MemberWire } from '../protocol/frames.js';
import {
  cacheMissFrame,
  channelEventFrame,
  memberAddedData,
  memberRemovedData,
  presenceData,
  subscriptionErrorFrame,
  subscriptionSucceededFrame,
} from '../protocol/frames.js';
import { SubscriptionError } from '../protocol/errors.js';
import { channelStringToSign, verifyToken } from '../protocol/auth-signature.js';
import { channelType, isValidChannelName, userOfChannel } from '../protocol/channel-name.js';
import { parseChannelData } from '../protocol/member-data.js';
import type { Broker, ChannelCache, ChannelIndex, PresenceStore } from '../scaling/types.js';
import type { Orphans } from '../scaling/node-registry.js';
import type { Connection } from './connection.js';
import type { Lifecycle } from './lifecycle.js';
import type { Log } from './log.js';
import type { SubscriptionCounts } from './subscription-counts.js';

type Subscribe = Extract<ClientFrame, { kind: 'subscribe' }>;

export interface ChannelsDeps {
  readonly broker: Broker;
  readonly index: ChannelIndex;
  readonly presence: PresenceStore;
  readonly cache: ChannelCache;
  readonly counts: SubscriptionCounts;
  readonly lifecycle: Lifecycle;
  readonly log: Log;
}

export class Channels {
  readonly #deps: ChannelsDeps;
  /** appId → channel → local subscribers. */
  readonly #apps = new Map<string, Map<string, Set<Connection>>>();
  /** Broker subscriptions still being set up (a round trip for a cross-node broker). */
  readonly #routing = new Map<string, Promise<void>>();

  constructor(deps: ChannelsDeps) {
    this.#deps = deps;
  }

  /** Local subscribers of a channel, or undefined when none on this node. */
  local(appId: string, channel: string): ReadonlySet<Connection> | undefined {
    return this.#apps.get(appId)?.get(channel);
  }

  /** Handles `pusher:subscribe`; a refusal becomes a channel-scoped `pusher:subscription_error`. */
  subscribe(connection: Connection, frame: Subscribe): void {
    const { channel } = frame;
    let member: MemberWire | undefined;
    try {
      member = this.#authorize(connection, frame);
    } catch (error) {
      this.#refuse(connection, channel, error);
      return;
    }
    if (member !== undefined) {
      this.#subscribePresence(connection, channel, member);
      return;
    }
    // A duplicate subscribe is answered again and changes nothing (§2.3, §11).
    if (connection.subscribedTo(channel)) {
      connection.send(subscriptionSucceededFrame(channel));
      return;
    }
    this.#whenRouted(connection, channel, this.#add(connection, channel), () => {
      connection.send(subscriptionSucceededFrame(channel));
      this.#afterSucceeded(connection, channel);
    });
  }

  /**
   * Confirms a subscription once the broker routes the channel here, so an event published on
   * another node right after the client saw `subscription_succeeded` is not missed.
   */
  #whenRouted(
    connection: Connection,
    channel: string,
    routed: Promise<void> | undefined,
    confirm: () => void,
  ): void {
    if (routed === undefined) {
      confirm();
      return;
    }
    routed.then(
      () => {
        if (connection.open && connection.subscribedTo(channel)) confirm();
      },
      (error: unknown) => {
        this.#deps.log.error({ err: error, channel }, 'broker subscribe failed');
        // Delivery from this node still works; confirm rather than leave the client waiting.
        if (connection.open && connection.subscribedTo(channel)) confirm();
      },
    );
  }

  /** Handles `pusher:unsubscribe`; unknown subscriptions are ignored (§2.5). */
  unsubscribe(connection: Connection, channel: string): void {
    // A presence join still in flight is cancelled; its completion cleans up.
    const pending = connection.pending?.get(channel);
    if (pending !== undefined) {
      pending.cancelled = true;
      return;
    }
    if (connection.subscribedTo(channel)) this.remove(connection, channel);
  }

  /** Removes one subscription and runs its consequences (broker, occupancy, presence, events). */
  remove(connection: Connection, channel: string): void {
    const { app, socketId } = connection;
    const channels = this.#apps.get(app.id);
    const subscribers = channels?.get(channel);
    connection.removeChannel(channel);
    if (subscribers === undefined || !subscribers.delete(connection)) return;
    if (subscribers.size === 0) {
      channels!.delete(channel);
      this.#deps.broker.unsubscribe(app.id, channel);
    }
    const { index, lifecycle, log } = this.#deps;
    lifecycle.emit('unsubscribed', { appId: app.id, socketId, channel });
    const member = connection.presence?.get(channel);
    if (member !== undefined) {
      connection.presence!.delete(channel);
      this.#leavePresence(app, channel, socketId, member.userId);
    }
    index.leave(app.id, channel, socketId).then(
      (vacated) => {
        if (vacated) lifecycle.emit('channel_vacated', { appId: app.id, channel });
        else this.#countChanged(app, channel);
      },
      (error: unknown) => log.error({ err: error, channel }, 'channel index leave failed'),
    );
  }

  /** Checks name and auth; returns the presence member for presence channels. */
  #authorize(connection: Connection, frame: Subscribe): MemberWire | undefined {
    const { app, socketId } = connection;
    const { channel, channelData } = frame;
    if (!isValidChannelName(channel, app.maxChannelNameLength)) {
      throw new SubscriptionError('InvalidChannel', 400, `Invalid channel name: ${channel}`);
    }
    switch (channelType(channel).kind) {
      case 'public':
        return undefined;
      case 'user':
        // Only the connection signed in as that user may listen to its channel (§2.2 step 2).
        if (connection.user?.id !== userOfChannel(channel)) {
          throw new SubscriptionError('AuthError', 403, `Cannot subscribe to ${channel}`);
        }
        return undefined;
      case 'private':
      case 'encrypted': {
        const candidates: [string, ...string[]] = [channelStringToSign(socketId, channel)];
        // pusher-http-node signs channel_data for any channel type when given one (§4.1).
        if (channelData !== undefined) {
          candidates.push(channelStringToSign(socketId, channel, channelData));
        }
        verifyToken(app, frame.auth, channel, candidates);
        return undefined;
      }
      case 'presence': {
        if (channelData === undefined) {
          // Presence through the signed-in user (§4.5): signed over socket id and channel only.
          const user = connection.user;
          if (user === undefined) {
            throw new SubscriptionError(
              'AuthError',
              401,
              'Presence subscription requires channel_data or a signed-in user',
            );
          }
          verifyToken(app, frame.auth, channel, [channelStringToSign(socketId, channel)]);
          return { userId: user.id, userInfo: user.userInfo };
        }
        verifyToken(app, frame.auth, channel, [
          channelStringToSign(socketId, channel, channelData),
        ]);
        return parseChannelData(channelData, app);
      }
    }
  }

  #refuse(connection: Connection, channel: string, error: unknown): void {
    if (!(error instanceof SubscriptionError)) throw error;
    connection.send(
      subscriptionErrorFrame(channel, {
        type: error.type,
        error: error.message,
        status: error.status,
      }),
    );
    this.#deps.lifecycle.emit('subscription_failed', {
      appId: connection.app.id,
      socketId: connection.socketId,
      channel,
      type: error.type,
      status: error.status,
      error: error.message,
    });
  }

  /**
   * Presence: the store decides atomically whether the channel is full and whether this is the
   * user's first connection; only then is the subscription made. An unsubscribe or disconnect
   * while the answer is pending cancels it without announcing anything.
   */
  #subscribePresence(connection: Connection, channel: string, member: MemberWire): void {
    const { app, socketId } = connection;
    const { presence, log } = this.#deps;
    if (connection.subscribedTo(channel)) {
      // Duplicate: the current member list again, no state change (§2.3).
      presence.members(app.id, channel).then(
        (members) => connection.send(subscriptionSucceededFrame(channel, presenceData(members))),
        (error: unknown) => log.error({ err: error, channel }, 'presence members failed'),
      );
      return;
    }
    const joins = (connection.pending ??= new Map());
    const inFlight = joins.get(channel);
    if (inFlight !== undefined) {
      // Subscribed again while the first join is pending: that join serves this subscribe too.
      // After an unsubscribe it answers once; a plain duplicate gets its own answer (§2.3).
      inFlight.answers = inFlight.cancelled ? 1 : inFlight.answers + 1;
      inFlight.cancelled = false;
      return;
    }
    const pending = { cancelled: false, answers: 1 };
    joins.set(channel, pending);
    presence.join(app.id, channel, socketId, member, app.maxPresenceMembers).then(
      (result) => {
        joins.delete(channel);
        const cancelled = pending.cancelled || !connection.open;
        if (result.full) {
          if (!cancelled) {
            const limit = app.maxPresenceMembers;
            this.#refuse(
              connection,
              channel,
              new SubscriptionError(
                'LimitReached',
                429,
                `Presence channel member limit (${limit}) reached`,
              ),
            );
          }
          return;
        }
        if (cancelled) {
          presence.leave(app.id, channel, socketId, member.userId).then(
            (last) => {
              if (!result.first) return;
              // Another connection of this user joined meanwhile and was told it was not the
              // first: the announcement this join owed is made now.
              if (!last) this.#announceMember(app, channel, member, socketId, result.resumed);
              // The join took back a removal held elsewhere, and this leave holds a new one:
              // whoever held the first will not report it, so this node reports the second.
              else if (result.resumed) this.#retakeRemoval(app, channel, member.userId);
            },
            (error: unknown) => log.error({ err: error, channel }, 'presence leave failed'),
          );
          return;
        }
        (connection.presence ??= new Map()).set(channel, member);
        const routed = this.#add(connection, channel);
        if (result.first) this.#announceMember(app, channel, member, socketId, result.resumed);
        this.#whenRouted(connection, channel, routed, () => {
          const succeeded = subscriptionSucceededFrame(channel, presenceData(result.members));
          for (let answer = 0; answer < pending.answers; answer += 1) connection.send(succeeded);
          this.#afterSucceeded(connection, channel);
        });
      },
      (error: unknown) => {
        joins.delete(channel);
        log.error({ err: error, channel }, 'presence join failed');
        this.#refuse(connection, channel, new SubscriptionError('AuthError', 500, 'Server error'));
      },
    );
  }

  #announceMember(
    app: App,
    channel: string,
    member: MemberWire,
    socketId: string,
    resumed: boolean,
  ): void {
    const { broker, lifecycle, log } = this.#deps;
    broker
      .publish(app.id, channel, {
        event: 'pusher_internal:member_added',
        data: memberAddedData(member),
        exceptSocketId: socketId,
      })
      .catch((error: unknown) => log.error({ err: error, channel }, 'member_added failed'));
    lifecycle.emit('member_added', { appId: app.id, channel, userId: member.userId, resumed });
  }

  /**
   * A join cancelled before it was confirmed took back a held removal, and its leave held the
   * removal again: the lifecycle hears both, so the new hold has a reporter. Clients saw
   * neither (the join was never announced to them), so nothing is published.
   */
  #retakeRemoval(app: App, channel: string, userId: string): void {
    const { lifecycle } = this.#deps;
    lifecycle.emit('member_added', { appId: app.id, channel, userId, resumed: true });
    lifecycle.emit('member_removed', { appId: app.id, channel, userId });
  }

  #leavePresence(app: App, channel: string, socketId: string, userId: string): void {
    const { broker, presence, lifecycle, log } = this.#deps;
    presence.leave(app.id, channel, socketId, userId).then(
      (last) => {
        if (!last) return;
        lifecycle.emit('member_removed', { appId: app.id, channel, userId });
        return broker.publish(app.id, channel, {
          event: 'pusher_internal:member_removed',
          data: memberRemovedData(userId),
        });
      },
      (error: unknown) => log.error({ err: error, channel }, 'presence leave failed'),
    );
  }

  /** Adds a local subscription; returns the broker's pending routing of the channel, if any. */
  #add(connection: Connection, channel: string): Promise<void> | undefined {
    const { app, socketId } = connection;
    let channels = this.#apps.get(app.id);
    if (channels === undefined) this.#apps.set(app.id, (channels = new Map()));
    let subscribers = channels.get(channel);
    const key = `${app.id}\u0000${channel}`;
    if (subscribers === undefined) {
      channels.set(channel, (subscribers = new Set()));
      const routing = this.#deps.broker.subscribe(app.id, channel);
      if (routing !== undefined) {
        const settled = routing.finally(() => this.#routing.delete(key));
        this.#routing.set(key, settled);
      }
    }
    subscribers.add(connection);
    connection.addChannel(channel);
    const { index, lifecycle, log } = this.#deps;
    lifecycle.emit('subscribed', { appId: app.id, socketId, channel });
    index.join(app.id, channel, socketId).then(
      (occupancy) => {
        if (occupancy !== 'unchanged') {
          lifecycle.emit('channel_occupied', {
            appId: app.id,
            channel,
            resumed: occupancy === 'resumed',
          });
        }
        this.#countChanged(app, channel);
      },
      (error: unknown) => log.error({ err: error, channel }, 'channel index join failed'),
    );
    return this.#routing.get(key);
  }

  /**
   * Records every local subscription, presence membership included, in the cluster-wide stores
   * again (after they lost them: a Redis restart, or this node taken for dead). Nothing is
   * announced: for the clients nothing changed.
   */
  async reregister(connections: Iterable<Connection>): Promise<void> {
    const { index, presence } = this.#deps;
    const joins: Array<Promise<unknown>> = [];
    for (const connection of connections) {
      const { app, socketId } = connection;
      for (const channel of connection.channelNames()) {
        joins.push(index.join(app.id, channel, socketId));
        const member = connection.presence?.get(channel);
        // The limit does not apply: these members were admitted before the state was lost.
        if (member !== undefined) {
          joins.push(presence.join(app.id, channel, socketId, member, Number.MAX_SAFE_INTEGER));
        }
      }
    }
    await Promise.all(joins);
  }

  /** Announces what a dead node's connections left behind (the stores already removed it). */
  announceOrphans(app: App, orphans: Orphans): void {
    const { broker, lifecycle, log } = this.#deps;
    for (const { channel, userId } of orphans.membersRemoved.filter((m) => m.appId === app.id)) {
      lifecycle.emit('member_removed', { appId: app.id, channel, userId });
      broker
        .publish(app.id, channel, {
          event: 'pusher_internal:member_removed',
          data: memberRemovedData(userId),
        })
        .catch((error: unknown) => log.error({ err: error, channel }, 'member_removed failed'));
    }
    for (const { channel } of orphans.vacated.filter((c) => c.appId === app.id)) {
      lifecycle.emit('channel_vacated', { appId: app.id, channel });
    }
    for (const { channel } of orphans.countChanged.filter((c) => c.appId === app.id)) {
      this.#countChanged(app, channel);
    }
  }

  /** What follows `subscription_succeeded`: the cached event or `pusher:cache_miss` (§8). */
  #afterSucceeded(connection: Connection, channel: string): void {
    if (!channelType(channel).cached) return;
    const { app, socketId } = connection;
    const { cache, lifecycle, log } = this.#deps;
    cache.get(app.id, channel).then(
      (cached) => {
        if (cached !== undefined) {
          connection.send(channelEventFrame(cached.event, channel, cached.data));
        } else {
          connection.send(cacheMissFrame(channel));
          lifecycle.emit('cache_miss', { appId: app.id, channel, socketId });
        }
      },
      (error: unknown) => log.error({ err: error, channel }, 'channel cache read failed'),
    );
  }

  #countChanged(app: App, channel: string): void {
    const kind = channelType(channel).kind;
    if (kind !== 'presence' && kind !== 'user') this.#deps.counts.changed(app, channel);
  }
}
