import { systemClock, type Clock } from '../../core/clock.js';
import type { ChannelIndex, Occupancy } from '../types.js';
import { HeldVacancies } from './held-vacancies.js';

export interface HoldOptions {
  /** Milliseconds a vacancy (or removal) is held for a quick return; 0 (default): not held. */
  readonly holdMs?: number | undefined;
  readonly clock?: Clock | undefined;
}

/** Single-process channel index: one map of channel → subscribed socket ids per app. */
export class MemoryChannelIndex implements ChannelIndex {
  readonly #apps = new Map<string, Map<string, Set<string>>>();
  readonly #held: HeldVacancies;

  constructor(options: HoldOptions = {}) {
    this.#held = new HeldVacancies(options.holdMs ?? 0, options.clock ?? systemClock);
  }

  #channels(appId: string): Map<string, Set<string>> {
    let channels = this.#apps.get(appId);
    if (channels === undefined) this.#apps.set(appId, (channels = new Map()));
    return channels;
  }

  join(appId: string, channel: string, socketId: string): Promise<Occupancy> {
    const channels = this.#channels(appId);
    let sockets = channels.get(channel);
    if (sockets === undefined) channels.set(channel, (sockets = new Set()));
    const before = sockets.size;
    sockets.add(socketId);
    if (before > 0 || sockets.size === 0) return Promise.resolve('unchanged');
    return Promise.resolve(this.#held.take(heldKey(appId, channel)) ? 'resumed' : 'occupied');
  }

  leave(appId: string, channel: string, socketId: string): Promise<boolean> {
    const channels = this.#apps.get(appId);
    const sockets = channels?.get(channel);
    if (sockets === undefined || !sockets.delete(socketId)) return Promise.resolve(false);
    if (sockets.size > 0) return Promise.resolve(false);
    channels!.delete(channel);
    this.#held.hold(heldKey(appId, channel));
    return Promise.resolve(true);
  }

  claimVacancy(appId: string, channel: string): Promise<boolean> {
    return Promise.resolve(this.#held.take(heldKey(appId, channel)));
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
    this.#held.clear();
    return Promise.resolve();
  }
}

const heldKey = (appId: string, channel: string) => JSON.stringify([appId, channel]);
