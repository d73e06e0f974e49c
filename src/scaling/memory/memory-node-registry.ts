import { noOrphans, type NodeRegistry, type Orphans } from '../node-registry.js';

/** Single process: there are no other nodes, so none can die and none needs telling we live. */
export class MemoryNodeRegistry implements NodeRegistry {
  readonly nodeId = 'local';
  readonly ready = true;

  onReadyChange(): void {}

  heartbeat(): Promise<boolean> {
    return Promise.resolve(false);
  }

  reapDeadNodes(): Promise<Orphans[]> {
    return Promise.resolve([]);
  }

  /** One process's stores never miss a leave. */
  reconcile(): Promise<Orphans> {
    return Promise.resolve(noOrphans(this.nodeId));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
