/**
 * Typed lifecycle events. Webhooks, metrics, the console and test recording subscribe here; the
 * core never calls them. Listeners run synchronously in emit order and must not throw (a
 * throwing listener is isolated and reported through `onListenerError`).
 */

export interface LifecycleEvents {
  connection_opened: { appId: string; socketId: string };
  connection_closed: { appId: string; socketId: string; code: number; reason: string };
  /** A connection refused before it got a socket id (unknown app, quota, bad protocol…). */
  connection_refused: { appKey: string | undefined; code: number; reason: string };
  subscribed: { appId: string; socketId: string; channel: string };
  subscription_failed: {
    appId: string;
    socketId: string;
    channel: string;
    type: string;
    status: number;
    error: string;
  };
  unsubscribed: { appId: string; socketId: string; channel: string };
  /**
   * The channel went from 0 to 1 subscribed connections, cluster-wide. `resumed`: its vacancy was
   * still held (the vacate delay, §6.2), on this node or another, and this took it back.
   */
  channel_occupied: { appId: string; channel: string; resumed: boolean };
  /** The channel went from 1 to 0 subscribed connections, cluster-wide. */
  channel_vacated: { appId: string; channel: string };
  client_event: {
    appId: string;
    socketId: string;
    channel: string;
    event: string;
    data: string;
    userId: string | undefined;
  };
  /**
   * A user's first connection joined a presence channel, cluster-wide. `resumed`: the user's
   * removal was still held (the vacate delay), and this took it back.
   */
  member_added: { appId: string; channel: string; userId: string; resumed: boolean };
  /** A user's last connection left a presence channel, cluster-wide. */
  member_removed: { appId: string; channel: string; userId: string };
  /** A connection subscribed to a cache channel with nothing cached. */
  cache_miss: { appId: string; channel: string; socketId: string };
  /** The connection count of a non-presence channel was announced (subscription counting on). */
  subscription_count: { appId: string; channel: string; count: number };
  /** A connection signed in (`pusher:signin`). */
  signed_in: { appId: string; socketId: string; userId: string };
  /** An event accepted through the one trigger path (REST, batch, console). */
  api_message: {
    appId: string;
    channel: string;
    event: string;
    data: string;
    socketId: string | undefined;
  };
  /**
   * A channel message was written to this node's subscribers: once per message, however many
   * there are (emitted only while someone listens). `bytes` counts the frame text's UTF-8 bytes
   * once per recipient, WebSocket framing left out.
   */
  delivered: { appId: string; channel: string; recipients: number; bytes: number };
}

export type LifecycleName = keyof LifecycleEvents;

/** Every event name once; the type makes the list complete. */
const everyName: { readonly [K in LifecycleName]: true } = {
  connection_opened: true,
  connection_closed: true,
  connection_refused: true,
  subscribed: true,
  subscription_failed: true,
  unsubscribed: true,
  channel_occupied: true,
  channel_vacated: true,
  client_event: true,
  member_added: true,
  member_removed: true,
  cache_miss: true,
  subscription_count: true,
  signed_in: true,
  api_message: true,
  delivered: true,
};

/** The names of every lifecycle event, in declaration order (for listening to all of them). */
export const lifecycleNames = Object.keys(everyName) as readonly LifecycleName[];
type Listener<K extends LifecycleName> = (event: LifecycleEvents[K]) => void;

export class Lifecycle {
  #listeners: { [K in LifecycleName]?: Array<Listener<K>> } = {};
  readonly #onListenerError: (error: unknown, name: LifecycleName) => void;

  constructor(onListenerError: (error: unknown, name: LifecycleName) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends LifecycleName>(name: K, listener: Listener<K>): () => void {
    const list = (this.#listeners[name] ??= []) as Array<Listener<K>>;
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Whether anyone listens, so hot paths can skip building an event nobody reads. */
  has(name: LifecycleName): boolean {
    return (this.#listeners[name]?.length ?? 0) > 0;
  }

  emit<K extends LifecycleName>(name: K, event: LifecycleEvents[K]): void {
    const list = this.#listeners[name] as Array<Listener<K>> | undefined;
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error, name);
      }
    }
  }
}
