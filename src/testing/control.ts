/**
 * What tests may do to a running herald — reset it, disconnect clients, refuse connections — and
 * the recorder that goes with a configuration. Shared by `startHerald()` and the `--dev` control
 * API, so both behave alike.
 */
import type { HeraldConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Hub } from '../core/hub.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { Webhooks } from '../webhooks/index.js';
import { Recorder } from './recorder.js';

/** The hub's testing and read-only methods. */
export type HubControl = Pick<
  Hub,
  | 'connections'
  | 'disconnect'
  | 'disconnectUser'
  | 'disconnectAll'
  | 'refuseConnections'
  | 'reset'
  | 'occupiedChannels'
  | 'members'
  | 'userCount'
  | 'now'
>;

/**
 * The close code of a reset. pusher-js treats 4001–4099 as "refused" (it goes to `disconnected`
 * and stays there), so the clients of the test before cannot reconnect into the next one; 4000
 * would make it retry over TLS, 4100 and up would make it retry.
 */
export const RESET_CLOSE_CODE = 4099;
const RESET_MESSAGE = 'herald was reset (test isolation): not reconnecting';

/**
 * Back to a fresh server: every connection closed with {@link RESET_CLOSE_CODE}, so channels,
 * presence and sign-ins empty through the normal disconnect path; cache channels emptied;
 * refusals ended; then the recording cleared, once the disconnects' own events are in.
 */
export async function resetHerald(hub: HubControl, recorder: Recorder | undefined): Promise<void> {
  await hub.reset(RESET_CLOSE_CODE, RESET_MESSAGE);
  // Leaves resolve in promise callbacks that emit more events (vacated, member_removed): let
  // them land before the recording forgets, so none leaks into the next test.
  await new Promise((resolve) => setImmediate(resolve));
  recorder?.clear();
}

/** Whether a configuration records (`record`, by default on with `dev`). */
export const records = (config: HeraldConfig) => config.record ?? config.dev;

/** The recorder a configuration asks for, attached; undefined when recording is off. */
export function recorderFor(
  config: HeraldConfig,
  deps: {
    readonly lifecycle: Lifecycle;
    readonly webhooks: Pick<Webhooks, 'onAttempt'>;
    readonly clock: Clock;
  },
): Recorder | undefined {
  if (!records(config)) return undefined;
  return new Recorder({ limit: config.recordLimit, clock: deps.clock }).attach(
    deps.lifecycle,
    deps.webhooks,
  );
}
