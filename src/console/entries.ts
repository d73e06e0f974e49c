/**
 * The rows of the debug console's log: one kind per thing herald reports through its lifecycle
 * events and webhook attempts, and the JSON a page receives for each. An entry keeps the event
 * object it came from rather than a copy, so recording one costs a small object and no
 * serialization; the JSON is built once, when a page first asks for it.
 */
import type { LifecycleEvents, LifecycleName } from '../core/lifecycle.js';
import type { WebhookAttempt } from '../webhooks/index.js';

/**
 * The lifecycle events the log shows: all but `delivered`, the fan-out counts metrics add up
 * (one per broadcast; the `api_message` or `client_event` row already shows the message).
 */
export type LoggedName = Exclude<LifecycleName, 'delivered'>;

/** Lifecycle event → log kind. Spelled out so that a new lifecycle event is a decision here. */
export const kindOfLifecycle = {
  connection_opened: 'connected',
  connection_closed: 'disconnected',
  connection_refused: 'refused',
  subscribed: 'subscribed',
  subscription_failed: 'subscription_failed',
  unsubscribed: 'unsubscribed',
  api_message: 'api_message',
  client_event: 'client_event',
  channel_occupied: 'channel_occupied',
  channel_vacated: 'channel_vacated',
  member_added: 'member_added',
  member_removed: 'member_removed',
  cache_miss: 'cache_miss',
  subscription_count: 'subscription_count',
  signed_in: 'signed_in',
} as const satisfies Record<LoggedName, string>;

export type EntryKind = (typeof kindOfLifecycle)[LoggedName] | 'webhook';

/** Every kind, in the order the page's kind filter lists them. */
export const entryKinds: readonly EntryKind[] = [...Object.values(kindOfLifecycle), 'webhook'];

/** What an entry was made from: a lifecycle event, or a settled webhook attempt. */
export type EntrySource =
  | { readonly kind: Exclude<EntryKind, 'webhook'>; readonly event: LifecycleEvents[LoggedName] }
  | { readonly kind: 'webhook'; readonly attempt: WebhookAttempt };

export interface ConsoleEntry {
  /** 1, 2, 3… per app, in the order things happened. */
  readonly seq: number;
  /** When it happened, in ms on herald's clock. */
  readonly time: number;
  readonly source: EntrySource;
  /** The JSON sent to pages, built on first use. */
  json?: string;
}

/** One webhook event of an attempt, as the page lists it (the data itself is left out). */
interface WebhookEventSummary {
  readonly name: unknown;
  readonly channel?: unknown;
  readonly event?: unknown;
  readonly user_id?: unknown;
}

function webhookFields(attempt: WebhookAttempt) {
  let events: WebhookEventSummary[] = [];
  // herald built this body itself; a parse failure would be our bug, shown as no events.
  try {
    const body = JSON.parse(attempt.body.toString('utf8')) as { events?: WebhookEventSummary[] };
    events = (body.events ?? []).map(({ name, channel, event, user_id }) => ({
      name,
      channel,
      event,
      user_id,
    }));
  } catch (error) {
    events = [{ name: `unreadable body: ${(error as Error).message}` }];
  }
  // The URL's password is already masked; the configured headers (tokens) are never included.
  return {
    url: attempt.url,
    attempt: attempt.attempt,
    status: attempt.status,
    error: attempt.error,
    events,
  };
}

/** The entry as the page receives it: `{seq, time, kind, ...fields}`, without the app id. */
export function entryJson(entry: ConsoleEntry): string {
  if (entry.json !== undefined) return entry.json;
  const { source } = entry;
  let fields: object;
  if (source.kind === 'webhook') {
    fields = webhookFields(source.attempt);
  } else {
    // The page knows its app; a refused connection's key is shown, as the only clue it has.
    const copy: Record<string, unknown> = { ...source.event };
    delete copy.appId;
    fields = copy;
  }
  entry.json = JSON.stringify({ seq: entry.seq, time: entry.time, kind: source.kind, ...fields });
  return entry.json;
}
