/** The contract suites against the in-memory scaling implementations (the single-node default). */
import { brokerContract } from './broker.contract.js';
import { channelCacheContract } from './channel-cache.contract.js';
import { channelIndexContract } from './channel-index.contract.js';
import { presenceStoreContract } from './presence-store.contract.js';
import { userIndexContract } from './user-index.contract.js';
import { MemoryBroker } from '../../src/scaling/memory/memory-broker.js';
import { MemoryChannelCache } from '../../src/scaling/memory/memory-channel-cache.js';
import { MemoryChannelIndex } from '../../src/scaling/memory/memory-channel-index.js';
import { MemoryPresenceStore } from '../../src/scaling/memory/memory-presence-store.js';
import { MemoryUserIndex } from '../../src/scaling/memory/memory-user-index.js';

channelIndexContract('MemoryChannelIndex', (holdMs) => new MemoryChannelIndex({ holdMs }));
brokerContract('MemoryBroker', () => new MemoryBroker());
presenceStoreContract('MemoryPresenceStore', (holdMs) => new MemoryPresenceStore({ holdMs }));
userIndexContract('MemoryUserIndex', () => new MemoryUserIndex());
channelCacheContract('MemoryChannelCache', (clock) => new MemoryChannelCache(clock));
