/**
 * Redis for tests: the machine's server on 127.0.0.1:6379 under a key prefix of the test file's
 * own (removed afterwards), and private `redis-server` processes on free ports for tests that
 * stop the server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { silentLog } from '../../src/core/log.js';
import { RedisHealth } from '../../src/scaling/redis/redis-health.js';
import { RedisLink } from '../../src/scaling/redis/redis-link.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A prefix no other test run uses. */
export const testPrefix = (name: string) => `herald-test-${name}-${randomUUID()}`;

export const testNodeId = () => `node-${randomUUID()}`;

/** A command link of a fresh node; the roles built on it close it. */
/** @param holdMs how long the link's stores hold vacancies and removals (0: not at all). */
export function testLink(
  prefix: string,
  nodeId = testNodeId(),
  url = REDIS_URL,
  holdMs = 0,
): Promise<RedisLink> {
  return RedisLink.connect({
    url,
    prefix,
    nodeId,
    health: new RedisHealth(silentLog, url),
    holdMs,
  });
}

/** A plain connection for looking at (and tampering with) the keys directly. */
export async function inspector(url = REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  return redis;
}

/** Every key under `{prefix}:`. */
export async function keysOf(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** Deletes every key under `{prefix}:`. */
export async function removeKeys(prefix: string): Promise<void> {
  const redis = await inspector();
  try {
    const keys = await keysOf(redis, prefix);
    for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  } finally {
    redis.disconnect();
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const hasRedisServer = () => spawnSync('redis-server', ['--version']).status === 0;

/** A `redis-server` of the test's own, without persistence, stopped by PID. */
export class RedisServer {
  readonly port: number;
  readonly url: string;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.restart();
    return server;
  }

  /** Starts the server (again, on the same port) and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.#child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${output}`)),
        10_000,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
    child.stdout!.resume();
  }

  /** SIGKILL, by PID; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }
}
