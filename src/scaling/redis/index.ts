/**
 * Every scaling role on Redis, for a node of a cluster: the same shape as `memoryScaling()` plus
 * the node registry. Three connections per node: commands (the stores and the registry share
 * it), publish, and subscribe (a connection in subscriber mode can do nothing else).
 */
import type { Clock } from '../../core/clock.js';
import type { Log } from '../../core/log.js';
import type { Scaling } from '../memory/index.js';
import type { NodeRegistry } from '../node-registry.js';
import { RedisBroker } from './redis-broker.js';
import { RedisChannelCache } from './redis-channel-cache.js';
import { RedisChannelIndex } from './redis-channel-index.js';
import { closeRedis, connectRedis, redactUrl } from './redis-connection.js';
import { RedisHealth } from './redis-health.js';
import { RedisKeys } from './redis-keys.js';
import { RedisLink, checkNodeId, defaultNodeId } from './redis-link.js';
import { RedisNodeRegistry, checkNodeTimeout } from './redis-node-registry.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { RedisUserIndex } from './redis-user-index.js';

export interface RedisScalingOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  /** Every key and topic lives under `{prefix}:`. Default `herald`. */
  readonly prefix?: string | undefined;
  /** Unique among live nodes; default: host, pid and randomness (a new id per process). */
  readonly nodeId?: string | undefined;
  /** A node silent this long (ms) is dead and reaped. Default 30 000. */
  readonly nodeTimeoutMs?: number | undefined;
  /**
   * Milliseconds vacancies and presence removals are held for a quick return, on any node (the
   * vacate delay, §6.2). Default 0: not held.
   */
  readonly holdMs?: number | undefined;
  readonly clock: Clock;
  readonly log: Log;
}

export interface RedisScaling extends Scaling {
  readonly registry: NodeRegistry;
}

/**
 * Connects and registers the node. Rejects, leaving nothing open, when Redis cannot be reached
 * (`Cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1`); later outages
 * are survived: ioredis reconnects, and the loss and the return are logged once each.
 */
export async function redisScaling(options: RedisScalingOptions): Promise<RedisScaling> {
  const { url, clock, log } = options;
  const nodeId = options.nodeId ?? defaultNodeId();
  const prefix = options.prefix ?? 'herald';
  const timeoutMs = options.nodeTimeoutMs ?? 30_000;
  // Bad options fail before any connection is opened.
  checkNodeId(nodeId);
  checkNodeTimeout(timeoutMs);
  new RedisKeys(prefix);
  const health = new RedisHealth(log, redactUrl(url));
  const opened = await Promise.allSettled([
    RedisLink.connect({ url, prefix, nodeId, health, holdMs: options.holdMs }),
    connectRedis(url, `herald:${nodeId}:publisher`, health),
    connectRedis(url, `herald:${nodeId}:subscriber`, health),
  ]);
  const [link, publisher, subscriber] = opened;
  if (
    link.status === 'rejected' ||
    publisher.status === 'rejected' ||
    subscriber.status === 'rejected'
  ) {
    await Promise.all([
      link.status === 'fulfilled' ? link.value.hold().release() : undefined,
      publisher.status === 'fulfilled' ? closeRedis(publisher.value, health) : undefined,
      subscriber.status === 'fulfilled' ? closeRedis(subscriber.value, health) : undefined,
    ]);
    throw opened.find((result) => result.status === 'rejected')!.reason;
  }
  const broker = new RedisBroker({
    publisher: publisher.value,
    subscriber: subscriber.value,
    keys: link.value.keys,
    nodeId,
    health,
    log,
  });
  let registry: RedisNodeRegistry;
  try {
    registry = await RedisNodeRegistry.start(link.value, timeoutMs);
  } catch (error) {
    await broker.close();
    throw error;
  }
  return {
    broker,
    index: new RedisChannelIndex(link.value),
    presence: new RedisPresenceStore(link.value),
    users: new RedisUserIndex(link.value),
    cache: new RedisChannelCache(link.value, clock),
    registry,
  };
}
