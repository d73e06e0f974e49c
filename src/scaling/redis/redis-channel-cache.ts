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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.release();
  }
}
