import type { UserIndex } from '../types.js';

/** Single-process signed-in users: appId → userId → signed-in socket ids. */
export class MemoryUserIndex implements UserIndex {
  readonly #apps = new Map<string, Map<string, Set<string>>>();

  signin(appId: string, userId: string, socketId: string): Promise<boolean> {
    let users = this.#apps.get(appId);
    if (users === undefined) this.#apps.set(appId, (users = new Map()));
    let sockets = users.get(userId);
    if (sockets === undefined) users.set(userId, (sockets = new Set()));
    const before = sockets.size;
    sockets.add(socketId);
    return Promise.resolve(before === 0);
  }

  signout(appId: string, userId: string, socketId: string): Promise<boolean> {
    const users = this.#apps.get(appId);
    const sockets = users?.get(userId);
    if (sockets === undefined || !sockets.delete(socketId)) return Promise.resolve(false);
    if (sockets.size > 0) return Promise.resolve(false);
    users!.delete(userId);
    return Promise.resolve(true);
  }

  online(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const users = this.#apps.get(appId);
    return Promise.resolve(new Set(userIds.filter((id) => users?.has(id) === true)));
  }

  close(): Promise<void> {
    this.#apps.clear();
    return Promise.resolve();
  }
}
