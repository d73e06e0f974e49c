import type { Clock } from '../../core/clock.js';
import type { Broker, ChannelCache, ChannelIndex, PresenceStore, UserIndex } from '../types.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryChannelCache } from './memory-channel-cache.js';
import { MemoryChannelIndex } from './memory-channel-index.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { MemoryUserIndex } from './memory-user-index.js';

/** Every scaling role, in memory: the single-process default. */
export interface Scaling {
  readonly broker: Broker;
  readonly index: ChannelIndex;
  readonly presence: PresenceStore;
  readonly users: UserIndex;
  readonly cache: ChannelCache;
}

/**
 * @param holdMs how long vacancies and presence removals are held for a quick return (the
 *   vacate delay, §6.2); 0 (default): not held.
 */
export function memoryScaling(clock: Clock, holdMs = 0): Scaling {
  return {
    broker: new MemoryBroker(),
    index: new MemoryChannelIndex({ holdMs, clock }),
    presence: new MemoryPresenceStore({ holdMs, clock }),
    users: new MemoryUserIndex(),
    cache: new MemoryChannelCache(clock),
  };
}
