/**
 * What the Redis stores of one node share: the command connection with herald's scripts, the key
 * names, the node id their memberships are recorded under, and the connection health. Each role
 * holds it while open; the connection closes when the last one lets go.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis } from './redis-connection.js';
import type { RedisHealth } from './redis-health.js';
import { holdTtlMs } from '../hold.js';
import { RedisKeys } from './redis-keys.js';
import { Scripts } from './scripts.js';

const NODE_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws unless `nodeId` can be a key segment (letters, digits, `.`, `_`, `-`). */
export function checkNodeId(nodeId: string): void {
  if (!NODE_ID.test(nodeId)) {
    throw new Error(`Invalid node id "${nodeId}": use up to 100 letters, digits, ".", "_", "-"`);
  }
}

/** A fresh id per process: host, pid and randomness, so a restarted node is a new node. */
export function defaultNodeId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface RedisLinkOptions {
  readonly url: string;
  /** Key prefix; every key lives under `{prefix}:`. */
  readonly prefix: string;
  /** Letters, digits, `.`, `_`, `-`; unique among the nodes sharing the prefix. */
  readonly nodeId: string;
  readonly health: RedisHealth;
  /** Milliseconds vacancies and presence removals are held for a quick return; default 0. */
  readonly holdMs?: number | undefined;
}

export class RedisLink {
  readonly redis: Redis;
  readonly scripts: Scripts;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  readonly health: RedisHealth;
  /** How long a held vacancy or removal stays in Redis (ms); 0: nothing is held. */
  readonly holdTtlMs: number;
  #holders = 0;

  private constructor(redis: Redis, keys: RedisKeys, options: RedisLinkOptions) {
    this.redis = redis;
    this.scripts = new Scripts(redis);
    this.keys = keys;
    this.nodeId = options.nodeId;
    this.health = options.health;
    this.holdTtlMs = holdTtlMs(options.holdMs ?? 0);
  }

  /** Connects the command connection; fails fast with a clear message (see connectRedis). */
  static async connect(options: RedisLinkOptions): Promise<RedisLink> {
    checkNodeId(options.nodeId);
    const keys = new RedisKeys(options.prefix);
    const redis = await connectRedis(
      options.url,
      `herald:${options.nodeId}:commands`,
      options.health,
    );
    return new RedisLink(redis, keys, options);
  }

  /** A role starts using the link; it must {@link release} it once. */
  hold(): this {
    this.#holders++;
    return this;
  }

  async release(): Promise<void> {
    if (--this.#holders > 0) return;
    await closeRedis(this.redis, this.health);
  }
}
