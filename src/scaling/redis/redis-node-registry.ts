/**
 * Node liveness in Redis. A node keeps `{p}:node:{id}:alive` (PX = node timeout) and its id in
 * `{p}:nodes`; every membership it creates is also recorded in its owned set. A node whose
 * liveness key has expired is dead: the first survivor to claim it (SET NX) removes its
 * memberships in batches with reap-node.lua, each removal by the rules of a live leave, and
 * reports what that changed. A node that comes back stops the reap at the next batch.
 */
import { noOrphans, type Holdings, type NodeRegistry, type Orphans } from '../node-registry.js';
import { records } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { int, list } from './scripts.js';

/** Memberships removed per script run: short enough not to hold Redis up for long. */
const REAP_BATCH = 500;

/** Throws unless `timeoutMs` can be a node timeout. */
export function checkNodeTimeout(timeoutMs: number): void {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
    throw new Error(`Invalid node timeout ${timeoutMs} ms: an integer of at least 100 is needed`);
  }
}

type MutableOrphans = ReturnType<typeof noOrphans>;

export class RedisNodeRegistry implements NodeRegistry {
  readonly #link: RedisLink;
  readonly #timeoutMs: number;
  /** What a previous process with this node id left behind, reaped at start. */
  #leftovers: Orphans | undefined;
  #beaten = false;
  #closed = false;

  private constructor(link: RedisLink, timeoutMs: number) {
    this.#link = link.hold();
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Registers this node (the first heartbeat). Fails when a live node already uses the id; what
   * a dead process with the same id left behind is reaped first and returned by the first
   * {@link reapDeadNodes}. The registry holds the link from then on, and lets go of it when it
   * fails.
   */
  static async start(link: RedisLink, timeoutMs: number): Promise<RedisNodeRegistry> {
    checkNodeTimeout(timeoutMs);
    const registry = new RedisNodeRegistry(link, timeoutMs);
    try {
      const { redis, keys, nodeId } = link;
      if ((await redis.exists(keys.alive(nodeId))) === 1) {
        throw new Error(`Node id "${nodeId}" is in use by a running node`);
      }
      if ((await redis.scard(keys.owned(nodeId))) > 0) {
        registry.#leftovers = await registry.#claimAndReap(nodeId);
        // Registering now would stop that reap halfway and keep the rest as this node's own.
        if (registry.#leftovers === undefined) {
          throw new Error(`Node id "${nodeId}" is being reaped by another node; start again soon`);
        }
      }
      await registry.heartbeat();
    } catch (error) {
      await registry.close();
      throw error;
    }
    return registry;
  }

  get nodeId(): string {
    return this.#link.nodeId;
  }

  get ready(): boolean {
    return this.#link.health.ready;
  }

  onReadyChange(listener: (ready: boolean) => void): void {
    this.#link.health.onChange(listener);
  }

  /** While Redis is unreachable it does nothing (the outage is logged once, by the health). */
  async heartbeat(): Promise<boolean> {
    if (!this.ready) return false;
    const { redis, keys, nodeId } = this.#link;
    const alive = keys.alive(nodeId);
    const replies = await redis
      .multi()
      .set(alive, '1', 'PX', this.#timeoutMs, 'NX')
      .pexpire(alive, this.#timeoutMs)
      .sadd(keys.nodes(), nodeId)
      .exec();
    const [error, created] = replies?.[0] ?? [new Error('heartbeat transaction discarded')];
    if (error) throw error;
    const lapsed = this.#beaten && created === 'OK';
    this.#beaten = true;
    return lapsed;
  }

  async reapDeadNodes(): Promise<Orphans[]> {
    const reaped: Orphans[] = [];
    if (this.#leftovers !== undefined) reaped.push(this.#leftovers);
    this.#leftovers = undefined;
    if (!this.ready) return reaped;
    const { redis, keys, nodeId } = this.#link;
    const others = (await redis.smembers(keys.nodes())).filter((id) => id !== nodeId);
    if (others.length === 0) return reaped;
    const alive = await redis.pipeline(others.map((id) => ['exists', keys.alive(id)])).exec();
    for (const [i, id] of others.entries()) {
      const [error, exists] = alive?.[i] ?? [new Error('no reply')];
      if (error) throw error;
      if (exists === 1) continue;
      const orphans = await this.#claimAndReap(id);
      if (orphans !== undefined) reaped.push(orphans);
    }
    return reaped;
  }

  async reconcile(holdings: Holdings): Promise<Orphans> {
    const { keys, scripts, nodeId } = this.#link;
    const live = [
      ...holdings.channels.map((c) => records.channel(c.appId, c.channel, c.socketId)),
      ...holdings.presence.map((p) => records.presence(p.appId, p.channel, p.socketId, p.userId)),
      ...holdings.users.map((u) => records.user(u.appId, u.userId, u.socketId)),
    ];
    const orphans = noOrphans(nodeId);
    collect(
      orphans,
      list(
        await scripts.run(
          'reconcileNode',
          [keys.owned(nodeId)],
          [keys.prefix, this.#link.holdTtlMs, ...live],
        ),
      ),
    );
    return settle(orphans);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { scripts, keys, nodeId } = this.#link;
    if (this.#beaten && this.ready) {
      // Failing now, the liveness key expires by itself and the others reap this node then.
      await scripts
        .run('nodeLeave', [keys.alive(nodeId), keys.owned(nodeId), keys.nodes()], [nodeId])
        .then(
          () => undefined,
          () => undefined,
        );
    }
    await this.#link.release();
  }

  /** Undefined when another node holds the claim. */
  async #claimAndReap(deadId: string): Promise<Orphans | undefined> {
    const { redis, keys, scripts, nodeId } = this.#link;
    const claim = await redis.set(keys.reaper(deadId), nodeId, 'PX', this.#timeoutMs, 'NX');
    if (claim !== 'OK') return undefined;
    const orphans = noOrphans(deadId);
    for (;;) {
      const reply = list(
        await scripts.run(
          'reapNode',
          [keys.owned(deadId), keys.alive(deadId), keys.reaper(deadId), keys.nodes()],
          [keys.prefix, deadId, nodeId, REAP_BATCH, this.#timeoutMs, this.#link.holdTtlMs],
        ),
      );
      const remaining = int(reply[0]);
      if (remaining < 0) break;
      collect(orphans, reply);
      if (remaining === 0) break;
    }
    return settle(orphans);
  }
}

function collect(orphans: MutableOrphans, reply: Array<string | number>): void {
  for (let i = 1; i < reply.length; i += 4) {
    const [kind, appId, a, b] = reply.slice(i, i + 4).map(String) as [
      string,
      string,
      string,
      string,
    ];
    if (kind === 'vacated') orphans.vacated.push({ appId, channel: a });
    else if (kind === 'count') orphans.countChanged.push({ appId, channel: a });
    else if (kind === 'member') orphans.membersRemoved.push({ appId, channel: a, userId: b });
    else if (kind === 'offline') orphans.wentOffline.push({ appId, userId: a });
  }
}

/** One entry per channel: a channel vacated in a later batch is not also "count changed". */
function settle(orphans: MutableOrphans): Orphans {
  const key = (ref: { appId: string; channel: string }) => `${ref.appId}\u0000${ref.channel}`;
  const vacated = new Set(orphans.vacated.map(key));
  const seen = new Set<string>();
  const countChanged = orphans.countChanged.filter((ref) => {
    const k = key(ref);
    if (vacated.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { ...orphans, countChanged };
}
