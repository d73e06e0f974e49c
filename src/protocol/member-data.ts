/**
 * The JSON strings clients carry for presence and signin: `channel_data` (§4.4) and `user_data`
 * (§2.10). Both are verified as sent and parsed here once; what leaves is typed, with `user_info`
 * kept as JSON text for the frames that echo it.
 */
import { ProtocolError, SubscriptionError } from './errors.js';
import type { MemberWire } from './frames.js';

export interface MemberLimits {
  /** Characters of a user id (Pusher: 128). */
  readonly maxUserIdLength: number;
  /** Bytes of serialized `user_info` (Pusher: 1 KB). */
  readonly maxUserInfoBytes: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `user_info` as JSON text, or undefined when absent; throws when over the size limit. */
function infoText(info: unknown, limits: MemberLimits, tooLarge: () => Error): string | undefined {
  if (info === undefined) return undefined;
  const text = JSON.stringify(info);
  if (Buffer.byteLength(text, 'utf8') > limits.maxUserInfoBytes) throw tooLarge();
  return text;
}

/**
 * Parses presence `channel_data`: a JSON object with `user_id` (string or number, normalised to
 * a string: `10` and `"10"` are one user) and optional `user_info`.
 */
export function parseChannelData(text: string, limits: MemberLimits): MemberWire {
  const data = parseObject(text);
  const rawId = data?.user_id;
  const userId =
    typeof rawId === 'string'
      ? rawId
      : typeof rawId === 'number' && Number.isFinite(rawId)
        ? String(rawId)
        : undefined;
  if (data === undefined || userId === undefined || userId === '') {
    throw new SubscriptionError('AuthError', 400, 'Invalid channel_data');
  }
  const tooLarge = () => new SubscriptionError('LimitReached', 413, 'Member data too large');
  if (userId.length > limits.maxUserIdLength) throw tooLarge();
  return { userId, userInfo: infoText(data.user_info, limits, tooLarge) };
}

export interface SigninUser {
  readonly id: string;
  readonly userInfo: string | undefined;
  /** The watchlist as sent, not yet truncated to the app's limit. */
  readonly watchlist: readonly string[];
}

/** Parses signin `user_data`: `id` a non-empty string (pusher-js insists), then info, watchlist. */
export function parseUserData(text: string, limits: MemberLimits): SigninUser {
  const data = parseObject(text);
  if (data === undefined) throw new ProtocolError('Invalid user_data: a JSON object is required');
  const { id, watchlist } = data;
  if (typeof id !== 'string' || id === '') {
    throw new ProtocolError('Invalid user_data: id must be a non-empty string');
  }
  if (id.length > limits.maxUserIdLength) {
    throw new ProtocolError(
      `Invalid user_data: id longer than ${limits.maxUserIdLength} characters`,
    );
  }
  if (
    watchlist !== undefined &&
    !(Array.isArray(watchlist) && watchlist.every((entry) => typeof entry === 'string'))
  ) {
    throw new ProtocolError('Invalid user_data: watchlist must be an array of user id strings');
  }
  const tooLarge = () => new ProtocolError('Invalid user_data: user_info too large');
  return {
    id,
    userInfo: infoText(data.user_info, limits, tooLarge),
    watchlist: (watchlist as string[] | undefined) ?? [],
  };
}
