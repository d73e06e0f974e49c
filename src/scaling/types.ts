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
  /**
   * Starts routing the channel's messages to this node. A broker that needs a round trip returns
   * a promise that settles once messages published anywhere will reach this node; the core
   * confirms a subscription to the client only then.
   */
  subscribe(appId: string, channel: string): void | Promise<void>;
  unsubscribe(appId: string, channel: string): void;
  publish(appId: string, channel: string, message: ChannelMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a join did to a channel's occupancy (or to a user's presence in a channel).
 * - `unchanged`: others were already there.
 * - `occupied`: it went from 0 to 1.
 * - `resumed`: it went from 0 to 1 while the vacancy before it was still held (see
 *   {@link ChannelIndex}): the join took the vacancy back, so whoever holds its removal must
 *   not report it, and the arrival is not news either.
 */
export type Occupancy = 'unchanged' | 'occupied' | 'resumed';

/**
 * Counts subscribed connections per channel, cluster-wide. `join` and `leave` decide atomically
 * whether this subscription made the channel occupied or vacated, so across all nodes exactly
 * one caller sees each transition.
 *
 * Held vacancies (the vacate delay of PROTOCOL.md §6.2, across nodes): an index built with a
 * hold time records each vacancy as held, in the same atomic step that decides it. A join that
 * finds the vacancy held takes it (`resumed`); the node that reported the vacancy calls
 * `claimVacancy` once its delay is over, and learns whether nobody came back meanwhile. Exactly
 * one of the two wins. A held vacancy nobody claims is forgotten well after the hold time.
 */
export interface ChannelIndex {
  /** Adds `socketId` to `channel`; says whether the channel went from 0 to 1 connections. */
  join(appId: string, channel: string, socketId: string): Promise<Occupancy>;
  /** Removes `socketId` from `channel`; true when the channel went from 1 to 0 connections. */
  leave(appId: string, channel: string, socketId: string): Promise<boolean>;
  /**
   * Takes the channel's held vacancy: true when it was still held (no join since), which makes
   * the caller the one to report it; false when a join took it back or nothing was held.
   */
  claimVacancy(appId: string, channel: string): Promise<boolean>;
  /** Subscribed connections of one channel (0 when unoccupied). */
  count(appId: string, channel: string): Promise<number>;
  /** Occupied channels whose name starts with `prefix`, with their connection counts. */
  list(appId: string, prefix?: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** One user in a presence channel: the id as a string, `user_info` as JSON text (or none). */
export interface PresenceMember {
  readonly userId: string;
  readonly userInfo: string | undefined;
}

export type PresenceJoin =
  /** The channel already had the maximum of distinct users and this user was not one. */
  | { readonly full: true }
  | {
      readonly full: false;
      /** This was the user's first connection in the channel (announce `member_added`). */
      readonly first: boolean;
      /** First, and the user's removal before it was still held: the join took it back. */
      readonly resumed: boolean;
      /** Every distinct member after the join, each with the info of its first connection. */
      readonly members: readonly PresenceMember[];
    };

/**
 * Presence membership per channel, cluster-wide. A user with several connections is one member.
 * `join` and `leave` decide atomically, so across all nodes exactly one join sees `first` and
 * exactly one leave sees `last` for each stretch of a user's presence. A store built with a hold
 * time holds each removal as {@link ChannelIndex} holds vacancies: a join that takes it back is
 * `resumed`, and `claimRemoval` tells the reporter of the removal whether it still stands.
 */
export interface PresenceStore {
  /**
   * Adds `socketId` as a connection of `member.userId`. Refuses (full) when the channel already
   * has `maxMembers` distinct users and this user is not one of them. A user's info is the one
   * of the connection that created the membership.
   */
  join(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
    maxMembers: number,
  ): Promise<PresenceJoin>;
  /** Removes one connection; true when it was the user's last in the channel. */
  leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean>;
  /** Takes the user's held removal: true when it was still held (the user did not return). */
  claimRemoval(appId: string, channel: string, userId: string): Promise<boolean>;
  /** Distinct members, in the order they joined. */
  members(appId: string, channel: string): Promise<PresenceMember[]>;
  /** Distinct users in the channel. */
  count(appId: string, channel: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Signed-in users (`pusher:signin`), cluster-wide: the online status watchlists report. A user
 * is online while at least one connection is signed in as them.
 */
export interface UserIndex {
  /** Records a signed-in connection; true when the user just came online (first connection). */
  signin(appId: string, userId: string, socketId: string): Promise<boolean>;
  /** Forgets a signed-in connection; true when the user just went offline (last connection). */
  signout(appId: string, userId: string, socketId: string): Promise<boolean>;
  /** Which of `userIds` are online now. */
  online(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/** The last REST-triggered event of a cache channel (§8). */
export interface CachedEvent {
  readonly event: string;
  readonly data: string;
  /** Clock time (ms) after which the entry is gone. */
  readonly expiresAt: number;
}

/** Cache channel contents, cluster-wide. Entries outlive channel occupancy until their TTL. */
export interface ChannelCache {
  /** Replaces the channel's entry; it expires `ttlMs` from now. */
  set(appId: string, channel: string, event: string, data: string, ttlMs: number): Promise<void>;
  /** The live entry, or undefined when none or expired. */
  get(appId: string, channel: string): Promise<CachedEvent | undefined>;
  /**
   * Removes every entry of `appId`, or of every app when omitted (a test reset). Entries set
   * while it runs may survive; entries of other apps (or deployments sharing a backend) do.
   */
  clear(appId?: string): Promise<void>;
  close(): Promise<void>;
}
