/**
 * Channel occupancy in Redis. Joins and leaves run as Lua scripts, so the 0→1 and 1→0
 * transitions are decided once for the whole cluster; each subscription is recorded under the
 * node that holds the socket, so a dead node's subscriptions can be reaped.
 */
import type { ChannelIndex, Occupancy } from '../types.js';
import type { RedisLink } from './redis-link.js';
import { records } from './redis-keys.js';
import { int, list } from './scripts.js';

/** channel-join.lua's reply → what it did. */
const OCCUPANCY: readonly Occupancy[] = ['unchanged', 'occupied', 'resumed'];

export class RedisChannelIndex implements ChannelIndex {
  readonly #link: RedisLink;
  #closed = false;

  constructor(link: RedisLink) {
    this.#link = link.hold();
  }

  async join(appId: string, channel: string, socketId: string): Promise<Occupancy> {
    const { scripts, keys, nodeId } = this.#link;
    const reply = await scripts.run(
      'channelJoin',
      [
        keys.channel(appId, channel),
        keys.occupied(appId),
        keys.owned(nodeId),
        keys.vacancy(appId, channel),
      ],
      [channel, socketId, nodeId, records.channel(appId, channel, socketId)],
    );
    return OCCUPANCY[int(reply)] ?? 'unchanged';
  }

  async leave(appId: string, channel: string, socketId: string): Promise<boolean> {
    const { scripts, keys, holdTtlMs } = this.#link;
    const reply = await scripts.run(
      'channelLeave',
      [keys.channel(appId, channel), keys.occupied(appId), keys.vacancy(appId, channel)],
      [keys.prefix, channel, socketId, records.channel(appId, channel, socketId), holdTtlMs],
    );
    return int(reply) === 1;
  }

  async claimVacancy(appId: string, channel: string): Promise<boolean> {
    return (await this.#link.redis.del(this.#link.keys.vacancy(appId, channel))) === 1;
  }

  count(appId: string, channel: string): Promise<number> {
    return this.#link.redis.hlen(this.#link.keys.channel(appId, channel));
  }

  async list(appId: string, prefix = ''): Promise<Map<string, number>> {
    const { scripts, keys } = this.#link;
    const reply = list(
      await scripts.run('channelList', [keys.occupied(appId)], [keys.channel(appId, ''), prefix]),
    );
    const channels = new Map<string, number>();
    for (let i = 0; i < reply.length; i += 2) {
      channels.set(String(reply[i]), Number(reply[i + 1]));
    }
    return channels;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.release();
  }
}
