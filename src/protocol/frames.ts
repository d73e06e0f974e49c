/**
 * Client frames in, server frames out (PROTOCOL.md §1.3, §2). Parsing is the validation boundary:
 * what leaves `parseClientFrame` is typed and never re-parsed. Serializers return the exact text
 * sent on the wire; a broadcast serializes once and every subscriber gets the same string.
 */
import { ProtocolError } from './errors.js';

export type ClientFrame =
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' }
  | {
      readonly kind: 'subscribe';
      readonly channel: string;
      readonly auth: string | undefined;
      readonly channelData: string | undefined;
    }
  | { readonly kind: 'unsubscribe'; readonly channel: string }
  | {
      readonly kind: 'signin';
      readonly auth: string | undefined;
      readonly userData: string | undefined;
    }
  | {
      readonly kind: 'client-event';
      readonly event: string;
      readonly channel: string | undefined;
      /** The data as it will be relayed: the sender's string, or the JSON of what it sent. */
      readonly data: string;
    }
  /** Unknown `pusher:*` events and names outside both namespaces: ignored by the server. */
  | { readonly kind: 'ignored'; readonly event: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `data` of `pusher:*` frames is an object (pusher-js); a JSON string is tolerated too. */
function commandData(value: unknown): Json {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isObject(parsed)) return parsed;
    } catch {
      // Not JSON: the caller reports the missing field it needed.
    }
    return {};
  }
  return isObject(value) ? value : {};
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

function requiredChannel(data: Json): string {
  const channel = data.channel;
  if (typeof channel !== 'string') throw new ProtocolError('Missing parameter: data.channel');
  return channel;
}

/** Parses one text frame. Throws {@link ProtocolError} (code null) for malformed input. */
export function parseClientFrame(text: string): ClientFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new ProtocolError('Invalid JSON: each frame must be one JSON object');
  }
  if (!isObject(frame) || typeof frame.event !== 'string') {
    throw new ProtocolError('Invalid frame: a JSON object with a string "event" is required');
  }
  const event = frame.event;
  switch (event) {
    case 'pusher:ping':
      return { kind: 'ping' };
    case 'pusher:pong':
      return { kind: 'pong' };
    case 'pusher:subscribe': {
      const data = commandData(frame.data);
      return {
        kind: 'subscribe',
        channel: requiredChannel(data),
        auth: optionalString(data.auth),
        channelData: optionalString(data.channel_data),
      };
    }
    case 'pusher:unsubscribe':
      return { kind: 'unsubscribe', channel: requiredChannel(commandData(frame.data)) };
    case 'pusher:signin': {
      const data = commandData(frame.data);
      return {
        kind: 'signin',
        auth: optionalString(data.auth),
        userData: optionalString(data.user_data),
      };
    }
  }
  if (event.startsWith('client-')) {
    const data = frame.data;
    return {
      kind: 'client-event',
      event,
      channel: optionalString(frame.channel),
      data: typeof data === 'string' ? data : (JSON.stringify(data) ?? 'null'),
    };
  }
  return { kind: 'ignored', event };
}

// ---- server → client -------------------------------------------------------------------------

export const pongFrame = '{"event":"pusher:pong","data":"{}"}';
export const pingFrame = '{"event":"pusher:ping","data":"{}"}';

/** The first frame of every accepted connection (§1.4); `activity_timeout` is in seconds. */
export function connectionEstablishedFrame(socketId: string, activityTimeoutSeconds: number) {
  return JSON.stringify({
    event: 'pusher:connection_established',
    data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeoutSeconds }),
  });
}

/** `pusher:error` carries `data` as an object, unlike every other server event (§2.9). */
export function errorFrame(code: number | null, message: string, channel?: string): string {
  return JSON.stringify(
    channel === undefined
      ? { event: 'pusher:error', data: { code, message } }
      : { event: 'pusher:error', channel, data: { code, message } },
  );
}

/** `data` defaults to the string `"{}"`, herald's decision for non-presence channels (§2.3). */
export function subscriptionSucceededFrame(channel: string, data = '{}'): string {
  return JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data });
}

export function subscriptionErrorFrame(
  channel: string,
  error: { type: string; error: string; status: number },
): string {
  return JSON.stringify({
    event: 'pusher:subscription_error',
    channel,
    data: JSON.stringify(error),
  });
}

/**
 * A channel event as subscribers receive it (§2.7, §2.8). `data` is relayed verbatim; `userId`
 * is added only for client events on presence channels.
 */
export function channelEventFrame(
  event: string,
  channel: string,
  data: string,
  userId?: string,
): string {
  return JSON.stringify(
    userId === undefined ? { event, channel, data } : { event, channel, data, user_id: userId },
  );
}

/** A connection-level event (no `channel`), e.g. `pusher_internal:watchlist_events`. */
export function connectionEventFrame(event: string, data: string): string {
  return JSON.stringify({ event, data });
}

/** A presence member as the protocol shows it: id as a string, info as JSON text (or none). */
export interface MemberWire {
  readonly userId: string;
  /** `user_info` serialized once when the member joined; undefined when none was given. */
  readonly userInfo: string | undefined;
}

/**
 * `data` of a presence `subscription_succeeded` (§2.3): every member in `ids` and `hash`
 * (`null` info for members without one), `count` distinct users. Built from the stored JSON
 * text of each member's info, so nothing is parsed again.
 */
export function presenceData(members: readonly MemberWire[]): string {
  const ids = JSON.stringify(members.map((member) => member.userId));
  const hash = members
    .map((member) => `${JSON.stringify(member.userId)}:${member.userInfo ?? 'null'}`)
    .join(',');
  return `{"presence":{"ids":${ids},"hash":{${hash}},"count":${members.length}}}`;
}

/** `data` of `pusher_internal:member_added` (§2.6). */
export function memberAddedData(member: MemberWire): string {
  return member.userInfo === undefined
    ? `{"user_id":${JSON.stringify(member.userId)}}`
    : `{"user_id":${JSON.stringify(member.userId)},"user_info":${member.userInfo}}`;
}

/** `data` of `pusher_internal:member_removed` (§2.6). */
export function memberRemovedData(userId: string): string {
  return JSON.stringify({ user_id: userId });
}

/** `pusher:signin_success` echoes `user_data` as the string it was signed over (§2.10). */
export function signinSuccessFrame(userData: string): string {
  return JSON.stringify({
    event: 'pusher:signin_success',
    data: JSON.stringify({ user_data: userData }),
  });
}

export interface WatchlistEvent {
  readonly name: 'online' | 'offline';
  readonly user_ids: readonly string[];
}

/** `data` of `pusher_internal:watchlist_events` (§2.11); empty lists are left out. */
export function watchlistData(events: readonly WatchlistEvent[]): string {
  return JSON.stringify({ events: events.filter((event) => event.user_ids.length > 0) });
}

/** Sent right after `subscription_succeeded` on a cache channel with nothing cached (§2.12). */
export function cacheMissFrame(channel: string): string {
  return JSON.stringify({ event: 'pusher:cache_miss', channel });
}

/** `data` of `pusher_internal:subscription_count` (§2.13). */
export function subscriptionCountData(count: number): string {
  return `{"subscription_count":${count}}`;
}
