import { systemClock } from '../../core/clock.js';
import type { PresenceJoin, PresenceMember, PresenceStore } from '../types.js';
import { HeldVacancies } from './held-vacancies.js';
import type { HoldOptions } from './memory-channel-index.js';

/** A member and the connections it is present with. */
interface Membership {
  readonly member: PresenceMember;
  readonly sockets: Set<string>;
}

/** Single-process presence: appId → channel → userId → membership (Map keeps join order). */
export class MemoryPresenceStore implements PresenceStore {
  readonly #apps = new Map<string, Map<string, Map<string, Membership>>>();
  readonly #held: HeldVacancies;

  constructor(options: HoldOptions = {}) {
    this.#held = new HeldVacancies(options.holdMs ?? 0, options.clock ?? systemClock);
  }

  join(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
    maxMembers: number,
  ): Promise<PresenceJoin> {
    let channels = this.#apps.get(appId);
    if (channels === undefined) this.#apps.set(appId, (channels = new Map()));
    let users = channels.get(channel);
    const existing = users?.get(member.userId);
    if (existing === undefined && (users?.size ?? 0) >= maxMembers) {
      return Promise.resolve({ full: true });
    }
    if (users === undefined) channels.set(channel, (users = new Map()));
    if (existing === undefined) {
      users.set(member.userId, { member, sockets: new Set([socketId]) });
    } else {
      existing.sockets.add(socketId);
    }
    const first = existing === undefined;
    return Promise.resolve({
      full: false,
      first,
      resumed: first && this.#held.take(heldKey(appId, channel, member.userId)),
      members: [...users.values()].map((membership) => membership.member),
    });
  }

  leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean> {
    const channels = this.#apps.get(appId);
    const users = channels?.get(channel);
    const membership = users?.get(userId);
    if (membership === undefined || !membership.sockets.delete(socketId)) {
      return Promise.resolve(false);
    }
    if (membership.sockets.size > 0) return Promise.resolve(false);
    users!.delete(userId);
    if (users!.size === 0) channels!.delete(channel);
    this.#held.hold(heldKey(appId, channel, userId));
    return Promise.resolve(true);
  }

  claimRemoval(appId: string, channel: string, userId: string): Promise<boolean> {
    return Promise.resolve(this.#held.take(heldKey(appId, channel, userId)));
  }

  members(appId: string, channel: string): Promise<PresenceMember[]> {
    const users = this.#apps.get(appId)?.get(channel);
    return Promise.resolve(users === undefined ? [] : [...users.values()].map((m) => m.member));
  }

  count(appId: string, channel: string): Promise<number> {
    return Promise.resolve(this.#apps.get(appId)?.get(channel)?.size ?? 0);
  }

  close(): Promise<void> {
    this.#apps.clear();
    this.#held.clear();
    return Promise.resolve();
  }
}

const heldKey = (appId: string, channel: string, userId: string) =>
  JSON.stringify([appId, channel, userId]);
