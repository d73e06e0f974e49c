/**
 * What the console shows, per app: it listens to the core's lifecycle events and the webhook
 * attempts and files each in its app's {@link EntryRing}. The core does not know it exists.
 */
import type { AppRegistry } from '../apps/app.js';
import type { Clock } from '../core/clock.js';
import type { Lifecycle, LifecycleEvents } from '../core/lifecycle.js';
import type { WebhookAttempt } from '../webhooks/index.js';
import { EntryRing } from './buffer.js';
import { kindOfLifecycle, type LoggedName } from './entries.js';

export interface EventLogDeps {
  readonly apps: AppRegistry;
  readonly clock: Clock;
  /** Entries kept per app. */
  readonly rows: number;
}

export class ConsoleEventLog {
  readonly #rings = new Map<string, EntryRing>();
  readonly #deps: EventLogDeps;
  readonly #detach: Array<() => void> = [];

  constructor(deps: EventLogDeps) {
    this.#deps = deps;
    for (const app of deps.apps.all()) this.#rings.set(app.id, new EntryRing(deps.rows));
  }

  /** The ring of app `appId`; undefined for an unknown app. */
  ring(appId: string): EntryRing | undefined {
    return this.#rings.get(appId);
  }

  /** Starts filing what `lifecycle` and `webhooks` report; `detach()` stops. */
  attach(
    lifecycle: Lifecycle,
    webhooks: { onAttempt(listener: (attempt: WebhookAttempt) => void): () => void },
  ): this {
    for (const name of Object.keys(kindOfLifecycle) as LoggedName[]) {
      this.#detach.push(lifecycle.on(name, (event) => this.#file(name, event)));
    }
    this.#detach.push(
      webhooks.onAttempt((attempt) =>
        this.#rings.get(attempt.appId)?.add({ kind: 'webhook', attempt }, this.#deps.clock.now()),
      ),
    );
    return this;
  }

  detach(): void {
    for (const detach of this.#detach.splice(0)) detach();
  }

  #file(name: LoggedName, event: LifecycleEvents[LoggedName]): void {
    // A refused connection has no app id yet, only the key it asked for (maybe an unknown one).
    const appId = 'appId' in event ? event.appId : this.#deps.apps.byKey(event.appKey ?? '')?.id;
    if (appId === undefined) return;
    this.#rings.get(appId)?.add({ kind: kindOfLifecycle[name], event }, this.#deps.clock.now());
  }
}
