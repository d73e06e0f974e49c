/** Validation of `POST /events` and `POST /batch_events` bodies (PROTOCOL.md §5.3, §5.4). */
import type { App } from '../apps/app.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { channelType, isValidChannelName } from '../protocol/channel-name.js';
import { isValidSocketId } from '../protocol/socket-id.js';

export type TriggerInfo = 'user_count' | 'subscription_count';

/** A trigger that passed every check: safe to publish as is. */
export interface TriggerEvent {
  readonly name: string;
  /** Relayed byte-for-byte to subscribers. */
  readonly data: string;
  /** Unique, valid channel names, in request order. */
  readonly channels: readonly string[];
  readonly socketId: string | undefined;
  /** Attributes asked for with `info`; empty when none. */
  readonly info: ReadonlySet<TriggerInfo>;
}

const badRequest = (message: string) => new ApiError(HttpStatus.bad_request, message);

/** Parses a comma list of info attributes, refusing names outside `allowed`. */
export function parseInfo<T extends string>(value: unknown, allowed: readonly T[]): Set<T> {
  if (value === undefined || value === null || value === '') return new Set();
  if (typeof value !== 'string') throw badRequest('info must be a comma-separated string');
  const attributes = new Set<T>();
  for (const part of value.split(',')) {
    const attribute = part.trim();
    if (attribute === '') continue;
    if (!(allowed as readonly string[]).includes(attribute)) {
      throw badRequest(`Unsupported info attribute: ${attribute}`);
    }
    attributes.add(attribute as T);
  }
  return attributes;
}

/**
 * Checks one event. `batchItem` events name one `channel`; `POST /events` accepts `channels`
 * (what every SDK sends) or `channel` (PHP, for one channel).
 */
export function parseTriggerEvent(
  app: App,
  body: Record<string, unknown>,
  batchItem: boolean,
): TriggerEvent {
  const { name } = body;
  if (typeof name !== 'string' || name.length === 0) {
    throw badRequest('Missing or invalid parameter: name');
  }
  if (name.length > app.maxEventNameLength) {
    throw badRequest(`Event name too long: the limit is ${app.maxEventNameLength} characters`);
  }
  if (name.startsWith('pusher:') || name.startsWith('pusher_internal:')) {
    throw badRequest(`Event name ${name} is reserved: pusher: and pusher_internal: are internal`);
  }

  if (body.data === undefined) throw badRequest('Missing parameter: data');
  // pusher-http-node always sends a string; other JSON is tolerated and sent as its JSON text.
  const data = typeof body.data === 'string' ? body.data : JSON.stringify(body.data);
  if (Buffer.byteLength(data, 'utf8') > app.maxEventDataBytes) {
    throw new ApiError(
      HttpStatus.payload_too_large,
      `Event data too large: the limit is ${app.maxEventDataBytes} bytes`,
    );
  }

  const channels = parseChannels(app, body, batchItem);

  const { socket_id: socketId } = body;
  if (socketId !== undefined && socketId !== null) {
    if (typeof socketId !== 'string' || !isValidSocketId(socketId)) {
      throw badRequest(`Invalid socket_id: ${String(socketId)}`);
    }
  }

  return {
    name,
    data,
    channels,
    socketId: typeof socketId === 'string' ? socketId : undefined,
    info: parseInfo<TriggerInfo>(body.info, ['user_count', 'subscription_count']),
  };
}

function parseChannels(app: App, body: Record<string, unknown>, batchItem: boolean): string[] {
  let names: unknown[];
  if (!batchItem && body.channels !== undefined) {
    if (!Array.isArray(body.channels)) throw badRequest('channels must be an array of strings');
    names = body.channels;
  } else if (body.channel !== undefined) {
    names = [body.channel];
  } else {
    throw badRequest(batchItem ? 'Missing parameter: channel' : 'Missing parameter: channels');
  }
  if (names.length === 0) throw badRequest('At least one channel is required');
  if (names.length > app.maxChannelsPerTrigger) {
    throw badRequest(`Too many channels: the limit is ${app.maxChannelsPerTrigger} per trigger`);
  }
  const unique = new Set<string>();
  for (const channel of names) {
    if (typeof channel !== 'string' || !isValidChannelName(channel, app.maxChannelNameLength)) {
      throw badRequest(`Invalid channel name: ${String(channel)}`);
    }
    unique.add(channel);
  }
  if (unique.size > 1) {
    for (const channel of unique) {
      if (channelType(channel).kind === 'encrypted') {
        throw badRequest(
          `Cannot trigger to several channels when one is encrypted (${channel}): send it alone`,
        );
      }
    }
  }
  return [...unique];
}

/** Checks a whole batch before anything is published (§5.4). */
export function parseBatch(app: App, body: Record<string, unknown>): TriggerEvent[] {
  const { batch } = body;
  if (!Array.isArray(batch)) throw badRequest('Missing parameter: batch (an array of events)');
  if (batch.length === 0) throw badRequest('batch must hold at least one event');
  if (batch.length > app.maxBatchSize) {
    throw badRequest(`Batch too large: the limit is ${app.maxBatchSize} events`);
  }
  return batch.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw badRequest(`batch[${index}] must be an object`);
    }
    try {
      return parseTriggerEvent(app, item as Record<string, unknown>, true);
    } catch (error) {
      if (error instanceof ApiError) {
        throw new ApiError(error.status, `batch[${index}]: ${error.message}`);
      }
      throw error;
    }
  });
}
