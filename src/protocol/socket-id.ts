import { randomInt } from 'node:crypto';

const SOCKET_ID = /^\d+\.\d+$/;

/** The format both SDKs enforce before signing (`^\d+\.\d+$`, PROTOCOL.md §4.3). */
export function isValidSocketId(value: string): boolean {
  return SOCKET_ID.test(value);
}

/**
 * A new socket id: two independent random 31-bit integers joined by a dot. Collisions among live
 * connections are improbable (2^62 space); callers that need certainty check their own registry.
 */
export function newSocketId(): string {
  return `${randomInt(0x7fffffff)}.${randomInt(0x7fffffff)}`;
}
