/**
 * The scaling seam (role interfaces). The in-memory implementations are the single-process
 * default; a Redis implementation is a swap in the composition root. The core depends only on
 * this file.
 */

/** A channel event as it travels between nodes; each node serializes it once for its sockets. */
export interface ChannelMessage {
  readonly event: string;
  readonly data: string;
  /** Connection that must not receive it (REST `socket_id`, or the sender of a client event). */
  readonly exceptSocketId?: string | undefined;
  /** Added to client events on presence channels. */
  readonly userId?: string | undefined;
}

export type Deliver = (appId: string, channel: string, message: ChannelMessage) => void;

/**
 * Moves channel messages to every node that has subscribers. Guarantees: messages published on
 * one channel by one node are delivered in publish order; `publish` resolves once the message is
 * accepted for delivery. The node subscribes per channel on its first local subscriber (never
 * per socket) and unsubscribes after its last, so a cross-node broker sends a node only what its
 * clients watch. Delivering a message for a channel without local subscribers is harmless (the
 * hub drops it), which is what the single-process broker does.
 */
export interface Broker {
  /** Sets the one local delivery function; called once, before anything is published. */
  onMessage(deliver: Deliver): void;
  subscribe(appId: string, channel: string): void;
  unsubscribe(appId: string, channel: string): void;
  publish(appId: string, channel: string, message: ChannelMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * Counts subscribed connections per channel, cluster-wide. `join` and `leave` decide atomically
 * whether this subscription made the channel occupied or vacated, so across all nodes exactly
 * one caller sees `true` for each transition.
 */
export interface ChannelIndex {
  /** Adds `socketId` to `channel`; true when the channel went from 0 to 1 connections. */
  join(appId: string, channel: string, socketId: string): Promise<boolean>;
  /** Removes `socketId` from `channel`; true when the channel went from 1 to 0 connections. */
  leave(appId: string, channel: string, socketId: string): Promise<boolean>;
  /** Subscribed connections of one channel (0 when unoccupied). */
  count(appId: string, channel: string): Promise<number>;
  /** Occupied channels whose name starts with `prefix`, with their connection counts. */
  list(appId: string, prefix?: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}
