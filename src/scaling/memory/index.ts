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

export function memoryScaling(clock: Clock): Scaling {
  return {
    broker: new MemoryBroker(),
    index: new MemoryChannelIndex(),
    presence: new MemoryPresenceStore(),
    users: new MemoryUserIndex(),
    cache: new MemoryChannelCache(clock),
  };
}
