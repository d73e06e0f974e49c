import type { ChannelIndex } from '../types.js';

/** Single-process channel index: one map of channel → subscribed socket ids per app. */
export class MemoryChannelIndex implements ChannelIndex {
  readonly #apps = new Map<string, Map<string, Set<string>>>();

  #channels(appId: string): Map<string, Set<string>> {
    let channels = this.#apps.get(appId);
    if (channels === undefined) this.#apps.set(appId, (channels = new Map()));
    return channels;
  }

  join(appId: string, channel: string, socketId: string): Promise<boolean> {
    const channels = this.#channels(appId);
    let sockets = channels.get(channel);
    if (sockets === undefined) channels.set(channel, (sockets = new Set()));
    const before = sockets.size;
    sockets.add(socketId);
    return Promise.resolve(before === 0 && sockets.size === 1);
  }

  leave(appId: string, channel: string, socketId: string): Promise<boolean> {
    const channels = this.#apps.get(appId);
    const sockets = channels?.get(channel);
    if (sockets === undefined || !sockets.delete(socketId)) return Promise.resolve(false);
    if (sockets.size > 0) return Promise.resolve(false);
    channels!.delete(channel);
    return Promise.resolve(true);
  }

  count(appId: string, channel: string): Promise<number> {
    return Promise.resolve(this.#apps.get(appId)?.get(channel)?.size ?? 0);
  }

  list(appId: string, prefix = ''): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const [channel, sockets] of this.#apps.get(appId) ?? []) {
      if (channel.startsWith(prefix)) result.set(channel, sockets.size);
    }
    return Promise.resolve(result);
  }

  close(): Promise<void> {
    this.#apps.clear();
    return Promise.resolve();
  }
}
