import type { Clock } from '../../core/clock.js';
import type { CachedEvent, ChannelCache } from '../types.js';

/**
 * Single-process cache channel contents. Expired entries are dropped when read, and all at once
 * whenever the map has doubled since the last pass, so channels nobody reads cannot pile up.
 */
export class MemoryChannelCache implements ChannelCache {
  readonly #clock: Clock;
  readonly #entries = new Map<string, CachedEvent>();
  #pruneAt = 1024;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  set(appId: string, channel: string, event: string, data: string, ttlMs: number): Promise<void> {
    const now = this.#clock.now();
    this.#entries.set(`${appId}\u0000${channel}`, { event, data, expiresAt: now + ttlMs });
    if (this.#entries.size >= this.#pruneAt) {
      for (const [key, entry] of this.#entries)
        if (entry.expiresAt <= now) this.#entries.delete(key);
      this.#pruneAt = Math.max(1024, this.#entries.size * 2);
    }
    return Promise.resolve();
  }

  get(appId: string, channel: string): Promise<CachedEvent | undefined> {
    const key = `${appId}\u0000${channel}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry);
  }

  clear(appId?: string): Promise<void> {
    if (appId === undefined) {
      this.#entries.clear();
    } else {
      const prefix = `${appId}\u0000`;
      for (const key of this.#entries.keys()) {
        // Channel names have no NUL, so a second one means the app id merely starts alike.
        if (key.startsWith(prefix) && !key.includes('\u0000', prefix.length)) {
          this.#entries.delete(key);
        }
      }
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#entries.clear();
    return Promise.resolve();
  }
}
