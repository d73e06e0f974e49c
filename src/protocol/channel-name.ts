/** Channel classification and name rules (PROTOCOL.md §3). */

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export interface ChannelType {
  readonly kind: ChannelKind;
  /** Needs a `key:signature` auth token on subscribe. */
  readonly authorized: boolean;
  /** Keeps the last REST-triggered event (cache channels, §8). */
  readonly cached: boolean;
  /** Accepts client events (`client-*`) from its subscribers. */
  readonly clientEvents: boolean;
}

const type = (kind: ChannelKind, cached: boolean): ChannelType => ({
  kind,
  cached,
  authorized: kind === 'private' || kind === 'encrypted' || kind === 'presence',
  clientEvents: kind === 'private' || kind === 'presence',
});

export const userChannelPrefix = '#server-to-user-';

/** Longest specific prefix first: the order of §3.2. */
const PREFIXES: ReadonlyArray<readonly [string, ChannelType]> = [
  ['private-encrypted-cache-', type('encrypted', true)],
  ['private-encrypted-', type('encrypted', false)],
  ['private-cache-', type('private', true)],
  ['private-', type('private', false)],
  ['presence-cache-', type('presence', true)],
  ['presence-', type('presence', false)],
  ['cache-', type('public', true)],
  [userChannelPrefix, type('user', false)],
];
const PUBLIC = type('public', false);

/** The type a channel name implies. Does not validate the name. */
export function channelType(name: string): ChannelType {
  for (const [prefix, t] of PREFIXES) if (name.startsWith(prefix)) return t;
  return PUBLIC;
}

const NAME = /^[A-Za-z0-9_\-=@,.;]+$/;

/** Pusher's documented limit; the SDKs only refuse names over 200. */
export const DEFAULT_MAX_CHANNEL_NAME_LENGTH = 164;

/**
 * Whether `name` is a legal channel name: 1–`maxLength` characters of `[A-Za-z0-9_\-=@,.;]`, or
 * `#server-to-user-` followed by such characters (the only legal use of `#`).
 */
export function isValidChannelName(
  name: string,
  maxLength = DEFAULT_MAX_CHANNEL_NAME_LENGTH,
): boolean {
  if (name.length === 0 || name.length > maxLength) return false;
  if (name.charCodeAt(0) === 0x23 /* # */) {
    return (
      name.startsWith(userChannelPrefix) &&
      name.length > userChannelPrefix.length &&
      NAME.test(name.slice(userChannelPrefix.length))
    );
  }
  return NAME.test(name);
}

/** The user id of a `#server-to-user-{id}` channel, or undefined for any other name. */
export function userOfChannel(name: string): string | undefined {
  return name.startsWith(userChannelPrefix) ? name.slice(userChannelPrefix.length) : undefined;
}
