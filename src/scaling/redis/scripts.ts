/**
 * The Lua scripts, defined on a connection with ioredis `defineCommand` (EVALSHA, falling back to
 * EVAL after a Redis restart emptied its script cache). Each script is memberships.lua followed
 * by its own file. `tsc` does not copy .lua files, so they are read from the source tree: from
 * dist/src/scaling/redis/ that is ../../../../src/scaling/redis/ (package.json ships the .lua
 * files for the same reason).
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const SOURCE_DIR = new URL('../../../../src/scaling/redis/', import.meta.url);

/** Script name → [file, number of KEYS]. */
const SCRIPTS = {
  channelJoin: ['channel-join.lua', 4],
  channelLeave: ['channel-leave.lua', 3],
  channelList: ['channel-list.lua', 1],
  presenceJoin: ['presence-join.lua', 6],
  presenceLeave: ['presence-leave.lua', 5],
  presenceMembers: ['presence-members.lua', 2],
  userSignin: ['user-signin.lua', 2],
  userSignout: ['user-signout.lua', 1],
  reapNode: ['reap-node.lua', 4],
  reconcileNode: ['reconcile-node.lua', 1],
  nodeLeave: ['node-leave.lua', 3],
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;
type Command = (...args: Arg[]) => Promise<unknown>;

let sources: Map<ScriptName, string> | undefined;

function loadSources(): Map<ScriptName, string> {
  const read = (file: string) => readFileSync(new URL(file, SOURCE_DIR), 'utf8');
  const library = read('memberships.lua');
  return new Map(
    Object.entries(SCRIPTS).map(([name, [file]]) => [
      name as ScriptName,
      `${library}\n${read(file)}`,
    ]),
  );
}

/** Runs herald's scripts on one connection. */
export class Scripts {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    sources ??= loadSources();
    for (const [name, lua] of sources) {
      redis.defineCommand(`herald_${name}`, { numberOfKeys: SCRIPTS[name][1], lua });
    }
    this.#redis = redis;
  }

  run(name: ScriptName, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    if (keys.length !== SCRIPTS[name][1]) throw new Error(`${name} takes ${SCRIPTS[name][1]} keys`);
    // defineCommand adds the method at run time; ioredis cannot type it.
    const command = (this.#redis as unknown as Record<string, Command>)[`herald_${name}`]!;
    return command.call(this.#redis, ...keys, ...args);
  }
}

/** A script's integer reply. */
export function int(reply: unknown): number {
  if (typeof reply !== 'number') throw new Error(`Unexpected script reply: ${String(reply)}`);
  return reply;
}

/** A script's array reply, as strings and integers. */
export function list(reply: unknown): Array<string | number> {
  if (!Array.isArray(reply)) throw new Error(`Unexpected script reply: ${String(reply)}`);
  return reply as Array<string | number>;
}
