/** The contract suites against the in-memory scaling implementations (the single-node default). */
import { brokerContract } from './broker.contract.js';
import { channelIndexContract } from './channel-index.contract.js';
import { MemoryBroker } from '../../src/scaling/memory/memory-broker.js';
import { MemoryChannelIndex } from '../../src/scaling/memory/memory-channel-index.js';

channelIndexContract('MemoryChannelIndex', () => new MemoryChannelIndex());
brokerContract('MemoryBroker', () => new MemoryBroker());
