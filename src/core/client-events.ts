/** Acceptance rules for client events (PROTOCOL.md §2.8). */
import { ErrorCode, ProtocolError } from '../protocol/errors.js';
import type { ClientFrame } from '../protocol/frames.js';
import { channelType } from '../protocol/channel-name.js';
import type { Connection } from './connection.js';

type ClientEvent = Extract<ClientFrame, { kind: 'client-event' }>;

export interface AcceptedClientEvent {
  readonly event: string;
  readonly channel: string;
  readonly data: string;
}

/**
 * Checks a client event against the app's switch, the channel type, the sender's subscription,
 * size and rate limits, in that order. Throws {@link ProtocolError}: code 4301 for the rate limit,
 * null for the rest; the connection always stays open.
 * @param now clock time in ms, for the sliding one-second rate window.
 */
export function acceptClientEvent(
  connection: Connection,
  frame: ClientEvent,
  now: number,
): AcceptedClientEvent {
  const { app } = connection;
  const { event, channel, data } = frame;
  if (channel === undefined) {
    throw new ProtocolError(`Client event ${event} rejected: missing channel`);
  }
  if (!app.clientEvents) {
    throw new ProtocolError(
      `Client event ${event} rejected: client events are not enabled for this app`,
      null,
      channel,
    );
  }
  if (event.length > app.maxEventNameLength) {
    throw new ProtocolError(
      `Client event rejected: event name longer than ${app.maxEventNameLength} characters`,
      null,
      channel,
    );
  }
  const type = channelType(channel);
  if (type.kind === 'encrypted') {
    throw new ProtocolError(
      `Client event ${event} rejected: client events are not allowed on encrypted channels`,
      null,
      channel,
    );
  }
  if (!type.clientEvents) {
    throw new ProtocolError(
      `Client event ${event} rejected: only private and presence channels accept client events`,
      null,
      channel,
    );
  }
  if (!connection.subscribedTo(channel)) {
    throw new ProtocolError(
      `Cannot broadcast client event (connection not subscribed to channel ${channel})`,
      null,
      channel,
    );
  }
  if (Buffer.byteLength(data, 'utf8') > app.maxClientEventBytes) {
    throw new ProtocolError(
      `Client event ${event} rejected: data larger than ${app.maxClientEventBytes} bytes`,
      null,
      channel,
    );
  }
  if (!takeRateToken(connection, app.clientEventRateLimit, now)) {
    throw new ProtocolError(
      'Client event rejected due to rate limit',
      ErrorCode.client_event_rate_limit,
      channel,
    );
  }
  return { event, channel, data };
}

/**
 * Sliding one-second window: at most `limit` accepted events in any 1000 ms. The ring holds the
 * times of the last `limit` accepted events; the oldest must be at least 1000 ms ago.
 */
function takeRateToken(connection: Connection, limit: number, now: number): boolean {
  let times = connection.clientEventTimes;
  if (times === undefined || times.length !== limit) {
    times = connection.clientEventTimes = new Array<number>(limit).fill(-Infinity);
    connection.clientEventCursor = 0;
  }
  const cursor = connection.clientEventCursor;
  if (now - times[cursor]! < 1000) return false;
  times[cursor] = now;
  connection.clientEventCursor = (cursor + 1) % limit;
  return true;
}
