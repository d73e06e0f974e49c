/**
 * The webhook event objects of PROTOCOL.md §6.3 and how lifecycle events become them. Pure: no
 * timers, no I/O. Field order is the order of §6.3's examples, so bodies read like Pusher's.
 */
import type { LifecycleEvents } from '../core/lifecycle.js';
import { userChannelPrefix } from '../protocol/channel-name.js';

/** Every event a webhook URL can receive; a URL's `events` filter lists some of these. */
export const webhookEventNames = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;

export type WebhookEventName = (typeof webhookEventNames)[number];

export type WebhookEvent =
  | { readonly name: 'channel_occupied'; readonly channel: string }
  | { readonly name: 'channel_vacated'; readonly channel: string }
  | { readonly name: 'member_added'; readonly channel: string; readonly user_id: string }
  | { readonly name: 'member_removed'; readonly channel: string; readonly user_id: string }
  | {
      readonly name: 'client_event';
      readonly channel: string;
      readonly event: string;
      readonly data: string;
      readonly socket_id: string;
      /** Only on presence channels: the sender's member id. */
      readonly user_id?: string;
    }
  | { readonly name: 'cache_miss'; readonly channel: string }
  | {
      readonly name: 'subscription_count';
      readonly channel: string;
      readonly subscription_count: number;
    };

/** The body of one webhook request (§6.1). */
export interface WebhookBody {
  /** Unix milliseconds when the batch was opened (receivers use it to detect delays). */
  readonly time_ms: number;
  readonly events: readonly WebhookEvent[];
}

/**
 * `#server-to-user-*` channels are herald's plumbing for `sendToUser`, not channels an app
 * subscribed anyone to; Pusher sends nothing for them and neither does herald.
 */
export function hasWebhooks(channel: string): boolean {
  return !channel.startsWith(userChannelPrefix);
}

export const channelOccupied = ({
  channel,
}: LifecycleEvents['channel_occupied']): WebhookEvent => ({
  name: 'channel_occupied',
  channel,
});

export const channelVacated = ({ channel }: LifecycleEvents['channel_vacated']): WebhookEvent => ({
  name: 'channel_vacated',
  channel,
});

export const memberAdded = ({
  channel,
  userId,
}: LifecycleEvents['member_added']): WebhookEvent => ({
  name: 'member_added',
  channel,
  user_id: userId,
});

export const memberRemoved = ({
  channel,
  userId,
}: LifecycleEvents['member_removed']): WebhookEvent => ({
  name: 'member_removed',
  channel,
  user_id: userId,
});

export function clientEvent(event: LifecycleEvents['client_event']): WebhookEvent {
  const common = {
    name: 'client_event',
    channel: event.channel,
    event: event.event,
    data: event.data,
    socket_id: event.socketId,
  } as const;
  // The core sets userId only on presence channels (§2.8); absent means absent, not null.
  return event.userId === undefined ? common : { ...common, user_id: event.userId };
}

export const cacheMiss = ({ channel }: LifecycleEvents['cache_miss']): WebhookEvent => ({
  name: 'cache_miss',
  channel,
});

export const subscriptionCount = ({
  channel,
  count,
}: LifecycleEvents['subscription_count']): WebhookEvent => ({
  name: 'subscription_count',
  channel,
  subscription_count: count,
});

/**
 * The exact bytes of a webhook body. Serialized once per batch: these bytes are signed, sent, and
 * sent again unchanged on every retry.
 */
export function serializeBody(body: WebhookBody): Buffer {
  return Buffer.from(JSON.stringify({ time_ms: body.time_ms, events: body.events }), 'utf8');
}
