/**
 * Node liveness, the part of the scaling seam only a cluster needs: each node refreshes its
 * liveness, and the survivors remove what a dead node left behind (its sockets' subscriptions,
 * presence memberships and sign-ins), reporting the consequences so the core announces them with
 * the normal events, exactly once for the whole cluster.
 */

export interface ChannelRef {
  readonly appId: string;
  readonly channel: string;
}

export interface OrphanedMember {
  readonly appId: string;
  readonly channel: string;
  readonly userId: string;
}

export interface OrphanedUser {
  readonly appId: string;
  readonly userId: string;
}

/** What reaping one dead node changed. Each fact appears in one reaper's result only. */
export interface Orphans {
  readonly nodeId: string;
  /** Presence members whose last connection was on the dead node (announce `member_removed`). */
  readonly membersRemoved: readonly OrphanedMember[];
  /** Channels whose last connections were on the dead node (announce `channel_vacated`). */
  readonly vacated: readonly ChannelRef[];
  /** Channels that lost connections and stay occupied: their subscription count changed. */
  readonly countChanged: readonly ChannelRef[];
  /** Users whose last signed-in connection was on the dead node (watchlist `offline`). */
  readonly wentOffline: readonly OrphanedUser[];
}

/** What this node's live connections hold, to reconcile the stores with after an outage. */
export interface Holdings {
  readonly channels: ReadonlyArray<{ appId: string; channel: string; socketId: string }>;
  readonly presence: ReadonlyArray<{
    appId: string;
    channel: string;
    socketId: string;
    userId: string;
  }>;
  readonly users: ReadonlyArray<{ appId: string; userId: string; socketId: string }>;
}

/** Orphans of `nodeId` with nothing in them yet, to fill or to answer "nothing changed". */
export function noOrphans(nodeId: string) {
  return {
    nodeId,
    membersRemoved: [] as OrphanedMember[],
    vacated: [] as ChannelRef[],
    countChanged: [] as ChannelRef[],
    wentOffline: [] as OrphanedUser[],
  };
}

export interface NodeRegistry {
  /** This node's id, under which every membership it creates is recorded. */
  readonly nodeId: string;
  /** False while the shared backend is unreachable (what `GET /ready` reports). */
  readonly ready: boolean;
  /** Called with each change of {@link ready}. */
  onReadyChange(listener: (ready: boolean) => void): void;
  /**
   * Refreshes this node's liveness; call it well within the node timeout (a third of it). True
   * when the liveness had lapsed since the previous heartbeat: the node may have been reaped, so
   * the caller must record its connections' memberships again (joins are idempotent).
   */
  heartbeat(): Promise<boolean>;
  /**
   * Finds nodes whose liveness lapsed, claims each for this node alone, removes its memberships
   * and returns what that changed, one entry per node reaped by this call.
   */
  reapDeadNodes(): Promise<Orphans[]>;
  /**
   * After an outage: removes the memberships the stores still record for this node that its
   * connections no longer hold (leaves that failed meanwhile), and returns what that changed.
   */
  reconcile(holdings: Holdings): Promise<Orphans>;
  /** Leaves the cluster: entries this node still holds are reaped by the others at once. */
  close(): Promise<void>;
}
