/**
 * Presence membership in Redis. Joins and leaves run as Lua scripts, so "full", "first" and
 * "last" are decided once for the whole cluster, and the member list a join returns is the one
 * that join produced. Members keep their join order in a sorted set scored by a counter.
 */
import type { PresenceJoin, PresenceMember, PresenceStore } from '../types.js';
import type { RedisLink } from './redis-link.js';
import { records } from './redis-keys.js';
import { int, list } from './scripts.js';

/** `user_info` as stored: '+' before the text, so "no info" ('') cannot be mistaken for any. */
const storeInfo = (info: string | undefined) => (info === undefined ? '' : `+${info}`);
const loadInfo = (stored: string) => (stored === '' ? undefined : stored.slice(1));

/** { user, info, user, info, ... } from `from` on. */
function parseMembers(reply: Array<string | number>, from: number): PresenceMember[] {
  const members: PresenceMember[] = [];
  for (let i = from; i < reply.length; i += 2) {
    members.push({ userId: String(reply[i]), userInfo: loadInfo(String(reply[i + 1])) });
  }
  return members;
}

export class RedisPresenceStore implements PresenceStore {
  readonly #link: RedisLink;
  #closed = false;

  constructor(link: RedisLink) {
    this.#link = link.hold();
  }

  async join(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
    maxMembers: number,
  ): Promise<PresenceJoin> {
    const { scripts, keys, nodeId } = this.#link;
    const reply = list(
      await scripts.run(
        'presenceJoin',
        [
          ...keys.presence(appId, channel),
          keys.owned(nodeId),
          keys.removal(appId, channel, member.userId),
        ],
        [
          member.userId,
          socketId,
          storeInfo(member.userInfo),
          maxMembers,
          nodeId,
          records.presence(appId, channel, socketId, member.userId),
        ],
      ),
    );
    const first = int(reply[0]);
    if (first === -1) return { full: true };
    return {
      full: false,
      first: first >= 1,
      resumed: first === 2,
      members: parseMembers(reply, 1),
    };
  }

  async leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean> {
    const { scripts, keys, holdTtlMs } = this.#link;
    const reply = await scripts.run(
      'presenceLeave',
      [...keys.presence(appId, channel), keys.removal(appId, channel, userId)],
      [
        keys.prefix,
        userId,
        socketId,
        records.presence(appId, channel, socketId, userId),
        holdTtlMs,
      ],
    );
    return int(reply) === 1;
  }

  async claimRemoval(appId: string, channel: string, userId: string): Promise<boolean> {
    return (await this.#link.redis.del(this.#link.keys.removal(appId, channel, userId))) === 1;
  }

  async members(appId: string, channel: string): Promise<PresenceMember[]> {
    const [members, infos] = this.#link.keys.presence(appId, channel);
    return parseMembers(
      list(await this.#link.scripts.run('presenceMembers', [members, infos], [])),
      0,
    );
  }

  count(appId: string, channel: string): Promise<number> {
    return this.#link.redis.zcard(this.#link.keys.presence(appId, channel)[0]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.release();
  }
}
