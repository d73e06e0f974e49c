/**
 * Cache channel contents in Redis (PROTOCOL.md §8): one string per channel holding the expiry
 * time, the event name and the data. Expiry is decided on the injected clock, like every other
 * timeout in herald; Redis drops the key a little after that (PX with a margin), so an entry
 * nobody reads again does not stay, and a node whose clock runs slightly behind still finds it.
 */
import type { Clock } from '../../core/clock.js';
import type { CachedEvent, ChannelCache } from '../types.js';
import type { RedisLink } from './redis-link.js';

/** How much longer than its ttl Redis keeps an entry: room for clock skew between nodes. */
const KEEP_MARGIN_MS = 10_000;

/** Keys SCAN looks at per call: large enough for few round trips, small enough not to stall. */
const SCAN_COUNT = 500;

/** `*`, `?`, `[` and `\` are special in a Redis MATCH pattern; escaped, they match themselves. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

const cacheKeyShape = (prefix: string) =>
  new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:app:[^:]*:cache:`);

export class RedisChannelCache implements ChannelCache {
  readonly #link: RedisLink;
  readonly #clock: Clock;
  #closed = false;

  constructor(link: RedisLink, clock: Clock) {
    this.#link = link.hold();
    this.#clock = clock;
  }

  async set(
    appId: string,
    channel: string,
    event: string,
    data: string,
    ttlMs: number,
  ): Promise<void> {
    const expiresAt = this.#clock.now() + ttlMs;
    // The header is JSON, which escapes newlines: the first one ends it, the data follows as is.
    const value = `${JSON.stringify([expiresAt, event])}\n${data}`;
    const keepMs = Math.max(1, Math.ceil(ttlMs) + KEEP_MARGIN_MS);
    await this.#link.redis.set(this.#link.keys.cache(appId, channel), value, 'PX', keepMs);
  }

  async get(appId: string, channel: string): Promise<CachedEvent | undefined> {
    const value = await this.#link.redis.get(this.#link.keys.cache(appId, channel));
    if (value === null) return undefined;
    const end = value.indexOf('\n');
    const [expiresAt, event] = JSON.parse(value.slice(0, end)) as [number, string];
    if (expiresAt <= this.#clock.now()) return undefined;
    return { event, data: value.slice(end + 1), expiresAt };
  }

  /**
   * SCANs (never KEYS, which blocks Redis) for the cache keys of `appId`, or of every app under
   * this prefix, and unlinks them a batch at a time.
   */
  async clear(appId?: string): Promise<void> {
    const { redis, keys } = this.#link;
    const pattern =
      appId === undefined
        ? `${globEscape(keys.prefix)}:app:*:cache:*`
        : `${globEscape(keys.cache(appId, ''))}*`;
    // `*` also spans colons: keep only keys whose segment after the app id is `cache` (a user
    // key whose user id contains ":cache:" matches the pattern too). App ids are escaped, so
    // the app segment holds no colon.
    const shape = appId === undefined ? cacheKeyShape(keys.prefix) : undefined;
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      const found = shape === undefined ? batch : batch.filter((key) => shape.test(key));
      if (found.length > 0) await redis.unlink(...found);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.release();
  }
}
