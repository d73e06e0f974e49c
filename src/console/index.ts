/**
 * The debug console at `/console`: per app, a live log of what herald does, the occupied
 * channels and an event creator. It listens to the lifecycle and the webhook attempts from the
 * moment it is attached — so a page opened later shows the recent history — and serves its page
 * through one mount of the API router. With no page open it costs one small record per event in
 * a bounded ring: nothing is serialized until a page asks, and nothing is done per recipient.
 */
import type { AppRegistry } from '../apps/app.js';
import type { ApiCore } from '../api/handlers.js';
import type { HttpMount } from '../api/router.js';
import type { Clock } from '../core/clock.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { WebhookAttempt } from '../webhooks/index.js';
import { ConsoleAccess, signInRequired } from './access.js';
import { ConsoleEventLog } from './event-log.js';
import { Feeds } from './feed.js';
import { CONSOLE_PREFIX, consoleMount } from './mount.js';

export { CONSOLE_PREFIX };

export interface ConsoleOptions {
  /** Entries kept per app on the server, and rows a page shows at most. */
  readonly rows: number;
  /** Signs in to every app; setting it requires signing in on loopback too. */
  readonly token: string | undefined;
  /** The address the HTTP API listens on: beyond loopback, visitors must sign in. */
  readonly host: string;
  readonly maxRequestBodyBytes: number;
}

export interface ConsoleDeps {
  readonly lifecycle: Lifecycle;
  readonly webhooks: { onAttempt(listener: (attempt: WebhookAttempt) => void): () => void };
  readonly apps: AppRegistry;
  readonly clock: Clock;
  readonly isLoopback: (host: string) => boolean;
}

export interface DebugConsole {
  /** Whether visitors must sign in (beyond loopback, or with a console token). */
  readonly signInRequired: boolean;
  /** The `/console` mount for the API router, over the running core. */
  mount(core: ApiCore): HttpMount;
  /** Ends every open page's feed (a stop would otherwise wait for them) and stops listening. */
  stop(): void;
}

export function attachConsole(deps: ConsoleDeps, options: ConsoleOptions): DebugConsole {
  const events = new ConsoleEventLog({
    apps: deps.apps,
    clock: deps.clock,
    rows: options.rows,
  }).attach(deps.lifecycle, deps.webhooks);
  const feeds = new Feeds();
  const access = new ConsoleAccess({
    apps: deps.apps,
    clock: deps.clock,
    signIn: signInRequired(options.host, options.token, deps.isLoopback),
    token: options.token,
  });
  let stopping = false;
  return {
    signInRequired: access.signInRequired,
    mount: (core) =>
      consoleMount({
        apps: deps.apps,
        core,
        events,
        feeds,
        access,
        isLoopback: deps.isLoopback,
        rows: options.rows,
        maxRequestBodyBytes: options.maxRequestBodyBytes,
        stopping: () => stopping,
      }),
    stop() {
      stopping = true;
      feeds.closeAll();
      events.detach();
    },
  };
}
