/**
 * Opening and closing ioredis connections the way herald needs them: fail fast at start-up,
 * reconnect forever afterwards, never queue commands while disconnected (callers are told at once
 * instead of piling work up for a Redis that may be gone for minutes).
 */
import { Redis } from 'ioredis';
import type { RedisHealth } from './redis-health.js';

/** Reconnect backoff: 200 ms doubling up to 2 s, forever. */
const retryDelay = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000);

/** The URL as it may appear in logs and errors: without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Connects to `url` (redis:// or rediss://, optional user, password and /db) and resolves once
 * the connection is ready; rejects with `Cannot reach Redis at {url}: {cause}` otherwise, leaving
 * nothing running. `name` becomes the CLIENT SETNAME, so `CLIENT LIST` shows whose it is.
 */
export async function connectRedis(url: string, name: string, health: RedisHealth): Promise<Redis> {
  let started = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    enableOfflineQueue: false,
    // Commands in flight when the connection drops are resent if the first reconnect succeeds.
    maxRetriesPerRequest: 1,
    // The broker resubscribes itself, from its own set of channels.
    autoResubscribe: false,
    retryStrategy: (attempt) => (started ? retryDelay(attempt) : null),
  });
  let firstError: Error | undefined;
  const onError = (error: Error) => {
    firstError ??= error;
  };
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    // onError stays attached: ioredis may still report the failure while it winds down.
    redis.disconnect();
    const cause = firstError ?? (error instanceof Error ? error : new Error(String(error)));
    throw new Error(`Cannot reach Redis at ${redactUrl(url)}: ${cause.message}`, { cause });
  }
  redis.off('error', onError);
  started = true;
  health.watch(redis);
  return redis;
}

/** Closes after the replies already asked for; at once when the connection is down. */
export async function closeRedis(redis: Redis, health: RedisHealth): Promise<void> {
  health.forget(redis);
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().then(
    () => undefined,
    () => redis.disconnect(),
  );
}
