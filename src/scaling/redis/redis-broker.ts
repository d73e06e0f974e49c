/**
 * Channel messages between nodes over Redis pub/sub: one topic per (app, channel), one publisher
 * and one subscriber connection per node. The publishing node delivers to its own subscribers
 * directly and ignores its messages coming back, so local delivery needs no round trip, keeps
 * working while Redis is down, and is in publish order on every node (each node's publishes
 * reach Redis, and from there every other node, in the order of one connection).
 */
import type { Redis } from 'ioredis';
import type { Log } from '../../core/log.js';
import type { Broker, ChannelMessage, Deliver } from '../types.js';
import { closeRedis } from './redis-connection.js';
import type { RedisHealth } from './redis-health.js';
import type { RedisKeys } from './redis-keys.js';
import { decodeMessage, encodeMessage } from './message-codec.js';

/** Topics per SUBSCRIBE when resubscribing after a reconnect. */
const RESUBSCRIBE_BATCH = 1000;

export interface RedisBrokerOptions {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  readonly health: RedisHealth;
  readonly log: Log;
}

export class RedisBroker implements Broker {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #keys: RedisKeys;
  readonly #nodeId: string;
  readonly #health: RedisHealth;
  readonly #log: Log;
  /** Topic → the channel it carries, for every channel this node listens to. */
  readonly #topics = new Map<string, { appId: string; channel: string }>();
  #deliver: Deliver = () => {};

  constructor(options: RedisBrokerOptions) {
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#keys = options.keys;
    this.#nodeId = options.nodeId;
    this.#health = options.health;
    this.#log = options.log;
    this.#subscriber.on('message', (topic: string, payload: string) =>
      this.#receive(topic, payload),
    );
    // After a reconnect the server knows none of our topics: ask again for the current set.
    this.#subscriber.on('ready', () => this.#resubscribe());
  }

  onMessage(deliver: Deliver): void {
    this.#deliver = deliver;
  }

  /**
   * Starts receiving the channel's messages from other nodes. The returned promise (which the
   * Broker interface does not require) settles once Redis has confirmed the subscription, or
   * at once while Redis is down; the reconnect resubscribes.
   */
  subscribe(appId: string, channel: string): Promise<void> {
    const topic = this.#keys.topic(appId, channel);
    if (this.#topics.has(topic)) return Promise.resolve();
    this.#topics.set(topic, { appId, channel });
    return this.#command('subscribe', [topic]);
  }

  unsubscribe(appId: string, channel: string): Promise<void> {
    const topic = this.#keys.topic(appId, channel);
    if (!this.#topics.delete(topic)) return Promise.resolve();
    return this.#command('unsubscribe', [topic]);
  }

  /**
   * Delivers locally at once, then hands the message to Redis; resolves when Redis accepted it.
   * While Redis is unreachable it resolves after the local delivery (the outage is logged once,
   * by the connection health): the other nodes miss the message, this node's clients do not.
   */
  publish(appId: string, channel: string, message: ChannelMessage): Promise<void> {
    this.#deliver(appId, channel, message);
    if (this.#publisher.status !== 'ready') return Promise.resolve();
    const topic = this.#keys.topic(appId, channel);
    return this.#publisher.publish(topic, encodeMessage(this.#nodeId, message)).then(
      () => undefined,
      (error: unknown) => {
        if (this.#publisher.status === 'ready') throw error;
      },
    );
  }

  async close(): Promise<void> {
    this.#topics.clear();
    await Promise.all([
      closeRedis(this.#subscriber, this.#health),
      closeRedis(this.#publisher, this.#health),
    ]);
  }

  #receive(topic: string, payload: string): void {
    const target = this.#topics.get(topic);
    if (target === undefined) return; // unsubscribed while the message was on its way
    const received = decodeMessage(payload);
    if (received === undefined) {
      this.#log.warn({ topic }, 'ignored a message that is not herald’s on a herald topic');
      return;
    }
    if (received.origin === this.#nodeId) return;
    try {
      this.#deliver(target.appId, target.channel, received.message);
    } catch (error) {
      // Thrown into ioredis's reply parser it would break the connection for every channel.
      this.#log.error({ err: error, channel: target.channel }, 'delivering a message failed');
    }
  }

  #resubscribe(): void {
    const topics = [...this.#topics.keys()];
    for (let i = 0; i < topics.length; i += RESUBSCRIBE_BATCH) {
      void this.#command('subscribe', topics.slice(i, i + RESUBSCRIBE_BATCH));
    }
  }

  #command(name: 'subscribe' | 'unsubscribe', topics: string[]): Promise<void> {
    if (this.#subscriber.status !== 'ready') return Promise.resolve();
    return this.#subscriber[name](...topics).then(
      () => undefined,
      (error: unknown) => {
        // Failing because the connection just dropped is covered by the resubscribe.
        if (this.#subscriber.status === 'ready') {
          this.#log.error({ err: error, topics: topics.length }, `Redis ${name} failed`);
        }
      },
    );
  }
}
