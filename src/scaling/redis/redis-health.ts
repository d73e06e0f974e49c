/**
 * Whether this node can reach Redis, across all its connections. An outage is logged once when
 * the first connection drops and once when the last one is back, however many reconnect attempts
 * (and ioredis `error` events) happen in between. Connecting at start is not logged here: start-up
 * either succeeds or fails with an error.
 */
import type { Redis } from 'ioredis';
import type { Log } from '../../core/log.js';

export class RedisHealth {
  readonly #log: Log;
  readonly #target: string;
  readonly #connections: Redis[] = [];
  readonly #listeners: Array<(ready: boolean) => void> = [];
  /** Undefined until the first connection is watched: the initial state is not news. */
  #ready: boolean | undefined;
  #lastError: Error | undefined;

  /** `target` names the server in logs (the URL without its password). */
  constructor(log: Log, target: string) {
    this.#log = log;
    this.#target = target;
  }

  /** True while every watched connection is ready. */
  get ready(): boolean {
    return this.#ready === true;
  }

  /** Called with each change of {@link ready}. */
  onChange(listener: (ready: boolean) => void): void {
    this.#listeners.push(listener);
  }

  /** Follows a connected connection from now on. */
  watch(redis: Redis): void {
    this.#connections.push(redis);
    redis.on('error', (error: Error) => {
      this.#lastError = error;
    });
    redis.on('ready', () => this.#update());
    redis.on('close', () => this.#update());
    this.#update();
  }

  /** Stops following a connection about to be closed on purpose: that is not an outage. */
  forget(redis: Redis): void {
    const i = this.#connections.indexOf(redis);
    if (i >= 0) this.#connections.splice(i, 1);
  }

  #update(): void {
    if (this.#connections.length === 0) return;
    const ready = this.#connections.every((redis) => redis.status === 'ready');
    if (ready === this.#ready) return;
    const initial = this.#ready === undefined;
    this.#ready = ready;
    if (initial) return;
    if (ready) {
      this.#lastError = undefined;
      this.#log.info({ redis: this.#target }, 'Redis connection restored');
    } else {
      this.#log.error(
        { redis: this.#target, err: this.#lastError?.message },
        'Redis connection lost; reconnecting, meanwhile this node delivers only to its own connections',
      );
    }
    for (const listener of this.#listeners) listener(ready);
  }
}
