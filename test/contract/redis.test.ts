/**
 * The contract suites against the Redis implementations (the machine's Redis on 127.0.0.1:6379,
 * under a prefix of this run's own). Each suite runs twice: on one node, and on two nodes sharing
 * the Redis — calls alternate between the two instances (stores), or the message is published on
 * one node and received on the other (broker) — so every atomic decision is shown to be made once
 * for the cluster, not once per node.
 */
import { after } from 'node:test';
import { RedisBroker } from '../../src/scaling/redis/redis-broker.js';
import { RedisChannelCache } from '../../src/scaling/redis/redis-channel-cache.js';
import { RedisChannelIndex } from '../../src/scaling/redis/redis-channel-index.js';
import { connectRedis } from '../../src/scaling/redis/redis-connection.js';
import { RedisPresenceStore } from '../../src/scaling/redis/redis-presence-store.js';
import { RedisUserIndex } from '../../src/scaling/redis/redis-user-index.js';
import { RedisHealth } from '../../src/scaling/redis/redis-health.js';
import { RedisKeys } from '../../src/scaling/redis/redis-keys.js';
import { silentLog } from '../../src/core/log.js';
import type { Broker } from '../../src/scaling/types.js';
import { brokerContract } from './broker.contract.js';
import { channelCacheContract } from './channel-cache.contract.js';
import { channelIndexContract } from './channel-index.contract.js';
import { presenceStoreContract } from './presence-store.contract.js';
import { userIndexContract } from './user-index.contract.js';
import { REDIS_URL, removeKeys, testLink, testNodeId, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix('contract');
after(() => removeKeys(prefix));

/**
 * One object whose method calls go to the two instances in turn (close closes both), so a suite
 * written for one instance drives two nodes.
 */
function alternating<T extends { close(): Promise<void> }>(a: T, b: T): T {
  let turn = 0;
  return new Proxy(a, {
    get(_, property) {
      if (property === 'close') return () => Promise.all([a.close(), b.close()]).then(() => {});
      const target = turn++ % 2 === 0 ? a : b;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const twoLinks = (holdMs = 0) =>
  Promise.all([
    testLink(prefix, testNodeId(), REDIS_URL, holdMs),
    testLink(prefix, testNodeId(), REDIS_URL, holdMs),
  ]);

channelIndexContract(
  'RedisChannelIndex',
  async (holdMs) => new RedisChannelIndex(await testLink(prefix, testNodeId(), REDIS_URL, holdMs)),
);
channelIndexContract('RedisChannelIndex, two nodes', async (holdMs) => {
  const [a, b] = await twoLinks(holdMs);
  return alternating(new RedisChannelIndex(a), new RedisChannelIndex(b));
});

presenceStoreContract(
  'RedisPresenceStore',
  async (holdMs) => new RedisPresenceStore(await testLink(prefix, testNodeId(), REDIS_URL, holdMs)),
);
presenceStoreContract('RedisPresenceStore, two nodes', async (holdMs) => {
  const [a, b] = await twoLinks(holdMs);
  return alternating(new RedisPresenceStore(a), new RedisPresenceStore(b));
});

userIndexContract('RedisUserIndex', async () => new RedisUserIndex(await testLink(prefix)));
userIndexContract('RedisUserIndex, two nodes', async () => {
  const [a, b] = await twoLinks();
  return alternating(new RedisUserIndex(a), new RedisUserIndex(b));
});

channelCacheContract(
  'RedisChannelCache',
  async (clock) => new RedisChannelCache(await testLink(prefix), clock),
);
channelCacheContract('RedisChannelCache, two nodes', async (clock) => {
  const [a, b] = await twoLinks();
  return alternating(new RedisChannelCache(a, clock), new RedisChannelCache(b, clock));
});

async function redisBroker(): Promise<RedisBroker> {
  const nodeId = testNodeId();
  const health = new RedisHealth(silentLog, REDIS_URL);
  const [publisher, subscriber] = await Promise.all([
    connectRedis(REDIS_URL, `${nodeId}:publisher`, health),
    connectRedis(REDIS_URL, `${nodeId}:subscriber`, health),
  ]);
  return new RedisBroker({
    publisher,
    subscriber,
    keys: new RedisKeys(prefix),
    nodeId,
    health,
    log: silentLog,
  });
}

/**
 * Node A publishes, node B subscribes and receives: every message crosses Redis. A publish waits
 * until B's subscriptions so far are confirmed, as a client on B would be subscribed before an
 * event is triggered for it on A.
 */
async function brokerPair(): Promise<Broker> {
  const [a, b] = await Promise.all([redisBroker(), redisBroker()]);
  let subscribed = Promise.resolve();
  const track = (change: Promise<void>) => {
    subscribed = Promise.all([subscribed, change]).then(() => {});
  };
  return {
    onMessage: (deliver) => b.onMessage(deliver),
    subscribe: (appId, channel) => track(b.subscribe(appId, channel)),
    unsubscribe: (appId, channel) => track(b.unsubscribe(appId, channel)),
    publish: async (appId, channel, message) => {
      await subscribed;
      await a.publish(appId, channel, message);
    },
    close: () => Promise.all([a.close(), b.close()]).then(() => {}),
  };
}

brokerContract('RedisBroker', redisBroker);
brokerContract('RedisBroker, published on node A and received on node B', brokerPair);
