/**
 * Subscriptions on this node: who is subscribed to what, the subscribe/unsubscribe rules of
 * PROTOCOL.md §2.2–§2.5, and the occupancy facts asked of the {@link ChannelIndex}.
 */
import type { ClientFrame } from '../protocol/frames.js';
import { subscriptionErrorFrame, subscriptionSucceededFrame } from '../protocol/frames.js';
import { SubscriptionError } from '../protocol/errors.js';
import { channelStringToSign, verifyToken } from '../protocol/auth-signature.js';
import { channelType, isValidChannelName } from '../protocol/channel-name.js';
import type { Broker, ChannelIndex } from '../scaling/types.js';
import type { Connection } from './connection.js';
import type { Lifecycle } from './lifecycle.js';
import type { Log } from './log.js';

type Subscribe = Extract<ClientFrame, { kind: 'subscribe' }>;

export interface ChannelsDeps {
  readonly broker: Broker;
  readonly index: ChannelIndex;
  readonly lifecycle: Lifecycle;
  readonly log: Log;
}

export class Channels {
  readonly #deps: ChannelsDeps;
  /** appId → channel → local subscribers. */
  readonly #apps = new Map<string, Map<string, Set<Connection>>>();

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
    try {
      this.#authorize(connection, frame);
    } catch (error) {
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
      return;
    }
    // A duplicate subscribe is answered again and changes nothing (§2.3, §11).
    if (!connection.channels.has(channel)) this.#add(connection, channel);
    connection.send(subscriptionSucceededFrame(channel));
  }

  /** Handles `pusher:unsubscribe`; unknown subscriptions are ignored (§2.5). */
  unsubscribe(connection: Connection, channel: string): void {
    if (connection.channels.has(channel)) this.remove(connection, channel);
  }

  /** Removes one subscription and runs its consequences (broker, occupancy, lifecycle). */
  remove(connection: Connection, channel: string): void {
    const appId = connection.app.id;
    const channels = this.#apps.get(appId);
    const subscribers = channels?.get(channel);
    connection.channels.delete(channel);
    if (subscribers === undefined || !subscribers.delete(connection)) return;
    if (subscribers.size === 0) {
      channels!.delete(channel);
      this.#deps.broker.unsubscribe(appId, channel);
    }
    const { index, lifecycle, log } = this.#deps;
    lifecycle.emit('unsubscribed', { appId, socketId: connection.socketId, channel });
    index.leave(appId, channel, connection.socketId).then(
      (vacated) => {
        if (vacated) lifecycle.emit('channel_vacated', { appId, channel });
      },
      (error: unknown) => log.error({ err: error, channel }, 'channel index leave failed'),
    );
  }

  #authorize(connection: Connection, frame: Subscribe): void {
    const { app, socketId } = connection;
    const { channel } = frame;
    if (!isValidChannelName(channel, app.maxChannelNameLength)) {
      throw new SubscriptionError('InvalidChannel', 400, `Invalid channel name: ${channel}`);
    }
    const type = channelType(channel);
    switch (type.kind) {
      case 'public':
        return;
      case 'user':
        // Only a connection signed in as that user may listen to its channel (§2.2 step 2), and
        // signin is not supported yet, so nobody may.
        throw new SubscriptionError('AuthError', 403, `Cannot subscribe to ${channel}`);
      case 'presence':
        throw new SubscriptionError(
          'InvalidChannel',
          501,
          `Presence channels are not supported yet: ${channel}`,
        );
      case 'private':
      case 'encrypted': {
        const candidates: [string, ...string[]] = [channelStringToSign(socketId, channel)];
        // pusher-http-node signs channel_data for any channel type when given one (§4.1).
        if (frame.channelData !== undefined) {
          candidates.push(channelStringToSign(socketId, channel, frame.channelData));
        }
        verifyToken(app, frame.auth, channel, candidates);
        return;
      }
    }
  }

  #add(connection: Connection, channel: string): void {
    const appId = connection.app.id;
    let channels = this.#apps.get(appId);
    if (channels === undefined) this.#apps.set(appId, (channels = new Map()));
    let subscribers = channels.get(channel);
    if (subscribers === undefined) {
      channels.set(channel, (subscribers = new Set()));
      this.#deps.broker.subscribe(appId, channel);
    }
    subscribers.add(connection);
    connection.channels.add(channel);
    const { index, lifecycle, log } = this.#deps;
    lifecycle.emit('subscribed', { appId, socketId: connection.socketId, channel });
    index.join(appId, channel, connection.socketId).then(
      (occupied) => {
        if (occupied) lifecycle.emit('channel_occupied', { appId, channel });
      },
      (error: unknown) => log.error({ err: error, channel }, 'channel index join failed'),
    );
  }
}
