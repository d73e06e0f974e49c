/**
 * REST handlers as plain functions of (app, request) → JSON result: no sockets, no framework,
 * testable directly. Authentication has already happened (see `router.ts`).
 */
import type { App } from '../apps/app.js';
import type { CachedEvent, PresenceMember } from '../scaling/types.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { channelType, isValidChannelName, userChannelPrefix } from '../protocol/channel-name.js';
import type { ApiResult } from './respond.js';
import { parseBatch, parseInfo, parseTriggerEvent, type TriggerEvent } from './trigger-request.js';

/** What the HTTP API needs from the core. */
export interface ApiCore {
  trigger(
    app: App,
    event: { name: string; data: string; channels: readonly string[]; socketId?: string },
  ): Promise<void>;
  subscriptionCount(appId: string, channel: string): Promise<number>;
  userCount(appId: string, channel: string): Promise<number>;
  occupiedChannels(appId: string, prefix?: string): Promise<Map<string, number>>;
  members(appId: string, channel: string): Promise<PresenceMember[]>;
  cached(appId: string, channel: string): Promise<CachedEvent | undefined>;
  terminateUser(app: App, userId: string): Promise<void>;
  now(): number;
}

export interface ApiRequest {
  readonly app: App;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

const isPresence = (channel: string) => channelType(channel).kind === 'presence';

/** `info` attributes of one triggered channel; only those that apply to its type (§5.3). */
async function triggerInfo(core: ApiCore, app: App, channel: string, event: TriggerEvent) {
  const attributes: Record<string, number> = {};
  if (event.info.has('user_count') && isPresence(channel)) {
    attributes.user_count = await core.userCount(app.id, channel);
  }
  if (event.info.has('subscription_count')) {
    attributes.subscription_count = await core.subscriptionCount(app.id, channel);
  }
  return attributes;
}

const publish = (core: ApiCore, app: App, event: TriggerEvent) =>
  core.trigger(app, {
    name: event.name,
    data: event.data,
    channels: event.channels,
    ...(event.socketId === undefined ? {} : { socketId: event.socketId }),
  });

/** `POST /apps/{id}/events` (§5.3). */
export async function triggerEvents(core: ApiCore, { app, body }: ApiRequest): Promise<ApiResult> {
  const event = parseTriggerEvent(app, body, false);
  await publish(core, app, event);
  if (event.info.size === 0) return {};
  const channels: Record<string, Record<string, number>> = {};
  for (const channel of event.channels) {
    channels[channel] = await triggerInfo(core, app, channel, event);
  }
  return { channels };
}

/** `POST /apps/{id}/batch_events` (§5.4): all validated before any is published. */
export async function triggerBatch(core: ApiCore, { app, body }: ApiRequest): Promise<ApiResult> {
  const events = parseBatch(app, body);
  for (const event of events) await publish(core, app, event);
  if (events.every((event) => event.info.size === 0)) return {};
  const batch: Array<Record<string, number>> = [];
  for (const event of events) {
    batch.push(
      event.info.size === 0 ? {} : await triggerInfo(core, app, event.channels[0]!, event),
    );
  }
  return { batch };
}

/** `GET /apps/{id}/channels` (§5.5). */
export async function listChannels(core: ApiCore, { app, query }: ApiRequest): Promise<ApiResult> {
  const prefix = query.get('filter_by_prefix') ?? '';
  const info = parseInfo(query.get('info') ?? undefined, ['user_count', 'subscription_count']);
  if (info.has('user_count') && !prefix.startsWith('presence-')) {
    throw new ApiError(
      HttpStatus.bad_request,
      'user_count may only be requested for presence channels - please supply filter_by_prefix beginning with presence-',
    );
  }
  const occupied = await core.occupiedChannels(app.id, prefix);
  const channels: Record<string, Record<string, number>> = {};
  for (const [channel, count] of occupied) {
    // User channels are internal (§5.5).
    if (channel.startsWith(userChannelPrefix)) continue;
    const attributes: Record<string, number> = {};
    if (info.has('user_count')) attributes.user_count = await core.userCount(app.id, channel);
    if (info.has('subscription_count')) attributes.subscription_count = count;
    channels[channel] = attributes;
  }
  return { channels };
}

/** `GET /apps/{id}/channels/{name}` (§5.6). */
export async function channelInfo(
  core: ApiCore,
  { app, query }: ApiRequest,
  channel: string,
): Promise<ApiResult> {
  validChannel(app, channel);
  const info = parseInfo(query.get('info') ?? undefined, [
    'user_count',
    'subscription_count',
    'cache',
  ]);
  if (info.has('user_count') && !isPresence(channel)) {
    throw new ApiError(
      HttpStatus.bad_request,
      `user_count may only be requested for presence channels (${channel} is not one)`,
    );
  }
  if (info.has('cache') && !channelType(channel).cached) {
    throw new ApiError(
      HttpStatus.bad_request,
      `cache may only be requested for cache channels (${channel} is not one)`,
    );
  }
  const count = await core.subscriptionCount(app.id, channel);
  const result: ApiResult = { occupied: count > 0 };
  if (count > 0 && info.has('user_count'))
    result.user_count = await core.userCount(app.id, channel);
  if (count > 0 && info.has('subscription_count')) result.subscription_count = count;
  // The cache outlives occupancy (§8), so it is reported for an unoccupied channel too.
  if (info.has('cache')) {
    const cached = await core.cached(app.id, channel);
    result.cache =
      cached === undefined
        ? null
        : {
            data: cached.data,
            ttl: Math.max(0, Math.ceil((cached.expiresAt - core.now()) / 1000)),
          };
  }
  return result;
}

function validChannel(app: App, channel: string): void {
  if (!isValidChannelName(channel, app.maxChannelNameLength)) {
    throw new ApiError(HttpStatus.bad_request, `Invalid channel name: ${channel}`);
  }
}

/** `GET /apps/{id}/channels/{name}/users` (§5.7): presence channels only. */
export async function channelUsers(
  core: ApiCore,
  { app }: ApiRequest,
  channel: string,
): Promise<ApiResult> {
  validChannel(app, channel);
  if (!isPresence(channel)) {
    throw new ApiError(
      HttpStatus.bad_request,
      `users may only be requested for presence channels (${channel} is not one)`,
    );
  }
  const members = await core.members(app.id, channel);
  return { users: members.map((member) => ({ id: member.userId })) };
}

/** `POST /apps/{id}/users/{user_id}/terminate_connections` (§5.8). */
export async function terminateUserConnections(
  core: ApiCore,
  { app }: ApiRequest,
  userId: string,
): Promise<ApiResult> {
  if (userId === '' || userId.length > app.maxUserIdLength) {
    throw new ApiError(HttpStatus.bad_request, `Invalid user id: ${userId}`);
  }
  await core.terminateUser(app, userId);
  return {};
}
