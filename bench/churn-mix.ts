/**
 * What each churn cycle does, drawn from a seeded generator so a run (and the test built on it)
 * is the same mix every time: which channel, which presence user, whether a client event is
 * sent, and how the connection ends. Pure: no sockets, no clock.
 */

/** How a cycle's connection ends. */
export type CloseMode =
  /** Close handshake (1000), and the cycle waits for the socket to be gone. */
  | 'clean'
  /** `pusher:unsubscribe` first, then as `clean`. */
  | 'unsubscribe'
  /** The TCP socket is destroyed: no close frame, as a browser tab that is killed. */
  | 'abrupt'
  /** Close handshake started, not waited for: the next cycle begins at once. */
  | 'no-wait'
  /**
   * Destroyed right after `pusher:subscribe` is sent, before `subscription_succeeded`: the
   * server is still joining (presence) when the connection goes.
   */
  | 'hasty'
  /**
   * `pusher:subscribe` and `pusher:unsubscribe` back to back, then destroyed: the unsubscribe
   * reaches the server while it is still joining (presence), which must cancel the join.
   */
  | 'retract';

export const closeModes: readonly CloseMode[] = [
  'clean',
  'unsubscribe',
  'abrupt',
  'no-wait',
  'hasty',
  'retract',
];

/** Shares of the close modes, in `closeModes` order; they add up to 1. */
const CLOSE_WEIGHTS = [0.3, 0.15, 0.2, 0.2, 0.1, 0.05];

export type ChannelKind = 'public' | 'private' | 'presence' | 'cache';

export const channelKinds: readonly ChannelKind[] = ['public', 'private', 'presence', 'cache'];

/**
 * The channels a run uses: few, so many connections share each one (and its presence users),
 * which is where the occupied/vacated and first/last-connection decisions are made. Cache
 * channels come in the three auth flavours; their kind is `cache` whatever the flavour.
 */
export const churnChannels: Readonly<Record<ChannelKind, readonly string[]>> = {
  public: ['churn-0', 'churn-1'],
  private: ['private-churn-0', 'private-churn-1'],
  presence: ['presence-churn-0', 'presence-churn-1'],
  cache: ['cache-churn-0', 'private-cache-churn-0', 'presence-cache-churn-0'],
};

/** Presence user ids: fewer than the concurrent connections, so users have several at once. */
export const CHURN_USERS = 6;

/** A presence member as the SDKs take it (`channel_data` is its JSON). */
export interface ChurnMember {
  readonly user_id: string;
  readonly user_info: { readonly name: string };
}

export interface CyclePlan {
  readonly kind: ChannelKind;
  readonly channel: string;
  /** Set for presence channels (cache ones included). */
  readonly member: ChurnMember | undefined;
  /** A `client-churn` event is sent after subscribing (private and presence channels only). */
  readonly clientEvent: boolean;
  readonly close: CloseMode;
}

/** mulberry32: a small, fast, seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;

/** Whether the channel needs an auth signature, and channel_data with it. */
export function authOf(channel: string): 'none' | 'private' | 'presence' {
  if (channel.startsWith('presence-')) return 'presence';
  return channel.startsWith('private-') ? 'private' : 'none';
}

/** The next cycle's plan. */
export function planCycle(random: () => number): CyclePlan {
  const kind = pick(random, channelKinds);
  const channel = pick(random, churnChannels[kind]);
  const auth = authOf(channel);
  const user = Math.floor(random() * CHURN_USERS);
  const member =
    auth === 'presence'
      ? { user_id: `churn-user-${user}`, user_info: { name: `User ${user}` } }
      : undefined;
  let draw = random();
  let close: CloseMode = closeModes.at(-1)!;
  for (const [i, weight] of CLOSE_WEIGHTS.entries()) {
    if (draw < weight) {
      close = closeModes[i]!;
      break;
    }
    draw -= weight;
  }
  // Hasty and retracting cycles never see their subscription confirmed: nothing to send on.
  const confirmed = close !== 'hasty' && close !== 'retract';
  const clientEvent = auth !== 'none' && confirmed && random() < 0.5;
  return { kind, channel, member, clientEvent, close };
}
