/**
 * Signed-in users in Redis: one hash of signed-in sockets per user. Signin and signout run as Lua
 * scripts, so "came online" and "went offline" are decided once for the whole cluster.
 */
import type { UserIndex } from '../types.js';
import type { RedisLink } from './redis-link.js';
import { records } from './redis-keys.js';
import { int } from './scripts.js';

export class RedisUserIndex implements UserIndex {
  readonly #link: RedisLink;
  #closed = false;

  constructor(link: RedisLink) {
    this.#link = link.hold();
  }

  async signin(appId: string, userId: string, socketId: string): Promise<boolean> {
    const { scripts, keys, nodeId } = this.#link;
    const reply = await scripts.run(
      'userSignin',
      [keys.user(appId, userId), keys.owned(nodeId)],
      [socketId, nodeId, records.user(appId, userId, socketId)],
    );
    return int(reply) === 1;
  }

  async signout(appId: string, userId: string, socketId: string): Promise<boolean> {
    const { scripts, keys } = this.#link;
    const reply = await scripts.run(
      'userSignout',
      [keys.user(appId, userId)],
      [keys.prefix, socketId, records.user(appId, userId, socketId)],
    );
    return int(reply) === 1;
  }

  async online(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Set();
    const { redis, keys } = this.#link;
    const replies = await redis.pipeline(ids.map((id) => ['exists', keys.user(appId, id)])).exec();
    const online = new Set<string>();
    ids.forEach((id, i) => {
      const [error, exists] = replies?.[i] ?? [new Error('no reply')];
      if (error) throw error;
      if (exists === 1) online.add(id);
    });
    return online;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.release();
  }
}
