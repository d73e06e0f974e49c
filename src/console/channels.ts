/**
 * The console's channel list: the occupied channels of an app with their connection counts, as
 * `GET /apps/{id}/channels?info=subscription_count` reports them (the same handler answers),
 * and for presence channels their members with their `user_info`.
 */
import type { App } from '../apps/app.js';
import { listChannels, type ApiCore } from '../api/handlers.js';
import { channelType } from '../protocol/channel-name.js';

/** Channels listed at most, by name; the total says how many more there are. */
export const MAX_LISTED_CHANNELS = 500;

export interface ConsoleChannel {
  readonly name: string;
  /** Subscribed connections, cluster-wide. */
  readonly connections: number;
  /** Presence channels only: the distinct users, each with its `user_info` as JSON text. */
  readonly members?: ReadonlyArray<{ readonly id: string; readonly info: string | null }>;
}

export interface ChannelList {
  readonly channels: readonly ConsoleChannel[];
  /** Occupied channels in all, listed or not. */
  readonly total: number;
}

export async function channelList(core: ApiCore, app: App): Promise<ChannelList> {
  const { channels } = (await listChannels(core, {
    app,
    query: new URLSearchParams({ info: 'subscription_count' }),
    body: {},
  })) as { channels: Record<string, { subscription_count: number }> };
  const names = Object.keys(channels).sort();
  const listed = await Promise.all(
    names.slice(0, MAX_LISTED_CHANNELS).map(async (name): Promise<ConsoleChannel> => {
      const connections = channels[name]!.subscription_count;
      if (channelType(name).kind !== 'presence') return { name, connections };
      const members = (await core.members(app.id, name))
        .map((member) => ({ id: member.userId, info: member.userInfo ?? null }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { name, connections, members };
    }),
  );
  return { channels: listed, total: names.length };
}
