/**
 * What a node of a cluster does on a timer to keep the shared state true: refresh its liveness
 * (a third of the node timeout), reap nodes whose liveness lapsed (every half timeout), and,
 * back from an outage, replay the leaves that failed meanwhile and record its holdings again.
 */
import type { Log } from '../core/log.js';
import type { Holdings, NodeRegistry, Orphans } from './node-registry.js';

/** What upkeep needs of the node's core. */
export interface UpkeptNode {
  /** Records every local membership in the stores again (joins are idempotent). */
  reregister(): Promise<void>;
  /** Announces what the stores removed on this node's behalf (a dead node's, or failed leaves). */
  announceOrphans(orphans: Orphans): void;
  holdings(): Holdings;
}

/** Starts the upkeep; returns its timers (unref'd), for the caller to clear on stop. */
export function startNodeUpkeep(
  registry: NodeRegistry,
  node: UpkeptNode,
  log: Log,
  nodeTimeoutMs: number,
): NodeJS.Timeout[] {
  // A lapsed liveness means the stores may have lost this node's state (Redis restarted
  // empty, or the others reaped it): record it again.
  const heartbeat = () =>
    registry.heartbeat().then(
      (lapsed) => (lapsed ? node.reregister() : undefined),
      (error: unknown) => log.debug({ err: error }, 'heartbeat failed'),
    );
  const reap = () =>
    registry.reapDeadNodes().then(
      (reaped) => {
        for (const orphans of reaped) {
          log.info({ node: orphans.nodeId }, 'removed the state of a dead node');
          node.announceOrphans(orphans);
        }
      },
      (error: unknown) => log.debug({ err: error }, 'reaping dead nodes failed'),
    );
  // Back from an outage: what this node recorded meanwhile failed, whether or not Redis kept its
  // data. Leaves that failed are replayed (reconcile), then every holding is recorded again.
  registry.onReadyChange((ready) => {
    if (!ready) return;
    void heartbeat()
      .then(() => registry.reconcile(node.holdings()))
      .then((orphans) => node.announceOrphans(orphans))
      .then(() => node.reregister())
      .catch((error: unknown) => log.debug({ err: error }, 'reconciling after an outage failed'));
  });
  const timers = [setInterval(heartbeat, nodeTimeoutMs / 3), setInterval(reap, nodeTimeoutMs / 2)];
  for (const timer of timers) timer.unref();
  void reap();
  return timers;
}
