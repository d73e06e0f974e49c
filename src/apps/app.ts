/** An app as the core sees it: credentials and its limits, already validated. */
export interface App {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  readonly enabled: boolean;
  readonly clientEvents: boolean;
  /** `null`: unlimited. */
  readonly maxConnections: number | null;
  readonly maxEventDataBytes: number;
  readonly maxClientEventBytes: number;
  /** Client events per connection per second. */
  readonly clientEventRateLimit: number;
  readonly maxChannelNameLength: number;
  readonly maxEventNameLength: number;
  readonly maxChannelsPerTrigger: number;
  readonly maxBatchSize: number;
  readonly maxPresenceMembers: number;
  readonly maxUserIdLength: number;
  readonly maxUserInfoBytes: number;
  readonly maxWatchlistSize: number;
  /** Seconds. */
  readonly cacheTtl: number;
  readonly subscriptionCount: boolean;
}

/** Finds apps by key (WebSocket URL) or id (REST path). */
export interface AppRegistry {
  byKey(key: string): App | undefined;
  byId(id: string): App | undefined;
  all(): readonly App[];
}

/** Apps fixed at start-up. Throws when two apps share an id or a key. */
export class StaticAppRegistry implements AppRegistry {
  readonly #byKey = new Map<string, App>();
  readonly #byId = new Map<string, App>();
  readonly #all: readonly App[];

  constructor(apps: readonly App[]) {
    for (const [index, app] of apps.entries()) {
      if (this.#byId.has(app.id)) throw new Error(`apps.${index}.id: duplicate app id "${app.id}"`);
      if (this.#byKey.has(app.key)) {
        throw new Error(`apps.${index}.key: duplicate app key "${app.key}"`);
      }
      this.#byId.set(app.id, app);
      this.#byKey.set(app.key, app);
    }
    this.#all = [...apps];
  }

  byKey(key: string): App | undefined {
    return this.#byKey.get(key);
  }
  byId(id: string): App | undefined {
    return this.#byId.get(id);
  }
  all(): readonly App[] {
    return this.#all;
  }
}
