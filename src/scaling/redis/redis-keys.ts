/**
 * Every Redis name herald uses, all under `{prefix}:` so several deployments (or test runs)
 * share one Redis without meeting. memberships.lua builds the same names for a reap; keep the
 * two in step.
 *
 * ```
 * {p}:app:{a}:channels                 zset   occupied channel names (score 0, lexicographic)
 * {p}:app:{a}:channel:{ch}             hash   socket id → node id
 * {p}:app:{a}:presence:{ch}            zset   user id, scored by join order
 * {p}:app:{a}:presence-info:{ch}       hash   user id → '+' user_info, or '' for none
 * {p}:app:{a}:presence-conns:{ch}      hash   user id → connection count
 * {p}:app:{a}:presence-sockets:{ch}    hash   '{socket id} {user id}' → node id
 * {p}:app:{a}:vacancy:{ch}             string a held vacancy (vacate delay), PX
 * {p}:app:{a}:removal:{ch} {user}      string a held presence removal, PX
 * {p}:app:{a}:user:{user}              hash   signed-in socket id → node id
 * {p}:app:{a}:cache:{ch}               string last cached event, PX
 * {p}:app:{a}:topic:{ch}               pub/sub channel of one herald channel
 * {p}:nodes                            set    node ids with a liveness key (or a pending reap)
 * {p}:node:{id}:alive                  string liveness, PX = node timeout
 * {p}:node:{id}:owned                  set    membership records held by the node
 * {p}:node:{id}:reaper                 string id of the node reaping it, PX
 * ```
 *
 * `{a}` is the app id with `%` and `:` escaped, so an app id can never run into the next segment;
 * the name after the last fixed segment is taken whole.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    if (prefix === '' || /\s/.test(prefix)) {
      throw new Error(`Invalid Redis key prefix "${prefix}": it must be non-empty, without spaces`);
    }
    this.prefix = prefix;
  }

  #app(appId: string): string {
    return `${this.prefix}:app:${appId.replaceAll('%', '%25').replaceAll(':', '%3A')}:`;
  }

  occupied(appId: string): string {
    return `${this.#app(appId)}channels`;
  }

  channel(appId: string, channel: string): string {
    return `${this.#app(appId)}channel:${channel}`;
  }

  presence(appId: string, channel: string): readonly [string, string, string, string] {
    const app = this.#app(appId);
    return [
      `${app}presence:${channel}`,
      `${app}presence-info:${channel}`,
      `${app}presence-conns:${channel}`,
      `${app}presence-sockets:${channel}`,
    ];
  }

  vacancy(appId: string, channel: string): string {
    return `${this.#app(appId)}vacancy:${channel}`;
  }

  /** Channel names hold no space, so the user id after it is unambiguous. */
  removal(appId: string, channel: string, userId: string): string {
    return `${this.#app(appId)}removal:${channel} ${userId}`;
  }

  user(appId: string, userId: string): string {
    return `${this.#app(appId)}user:${userId}`;
  }

  cache(appId: string, channel: string): string {
    return `${this.#app(appId)}cache:${channel}`;
  }

  topic(appId: string, channel: string): string {
    return `${this.#app(appId)}topic:${channel}`;
  }

  nodes(): string {
    return `${this.prefix}:nodes`;
  }

  alive(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}:alive`;
  }

  owned(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}:owned`;
  }

  reaper(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}:reaper`;
  }
}

/**
 * Membership records, kept in the owned set of the node that holds the connection and decoded by
 * reap-node.lua. Strings pass through UTF-8 first: a lone surrogate would otherwise become a JSON
 * escape that decodes to bytes other than the ones Redis stored in the key names.
 */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
const encode = (fields: string[]) => JSON.stringify(fields.map(wellFormed));

export const records = {
  channel: (appId: string, channel: string, socketId: string) =>
    encode(['c', appId, channel, socketId]),
  presence: (appId: string, channel: string, socketId: string, userId: string) =>
    encode(['p', appId, channel, socketId, userId]),
  user: (appId: string, userId: string, socketId: string) => encode(['u', appId, userId, socketId]),
};
