/**
 * A channel message as it travels on a Redis topic: a JSON header (origin node, event, excluded
 * socket, user id), a newline, then the data as is — JSON text escapes every newline, so the
 * first one ends the header, and the data (up to the app's payload limit) is never re-escaped.
 */
import type { ChannelMessage } from '../types.js';

type Header = [origin: string, event: string, except: string | null, userId: string | null];

export function encodeMessage(origin: string, message: ChannelMessage): string {
  const header: Header = [
    origin,
    message.event,
    message.exceptSocketId ?? null,
    message.userId ?? null,
  ];
  return `${JSON.stringify(header)}\n${message.data}`;
}

export interface Received {
  readonly origin: string;
  readonly message: ChannelMessage;
}

/** The message, or undefined when the payload is not one of ours. */
export function decodeMessage(payload: string): Received | undefined {
  const end = payload.indexOf('\n');
  if (end < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(payload.slice(0, end));
  } catch {
    return undefined;
  }
  if (!isHeader(header)) return undefined;
  const [origin, event, except, userId] = header;
  const message: { -readonly [K in keyof ChannelMessage]: ChannelMessage[K] } = {
    event,
    data: payload.slice(end + 1),
  };
  if (except !== null) message.exceptSocketId = except;
  if (userId !== null) message.userId = userId;
  return { origin, message };
}

const optional = (value: unknown) => value === null || typeof value === 'string';

function isHeader(value: unknown): value is Header {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string' &&
    optional(value[2]) &&
    optional(value[3])
  );
}
