/**
 * The contract every {@link Broker} keeps, as one suite that runs against each implementation.
 * Delivery may be asynchronous (Redis), so the suite waits for messages with a deadline instead
 * of expecting them synchronously. Channel names are unique per test so implementations sharing
 * a backend do not see each other's traffic.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Broker, ChannelMessage } from '../../src/scaling/types.js';

export type BrokerFactory = () => Broker | Promise<Broker>;

interface Delivered {
  readonly appId: string;
  readonly channel: string;
  readonly message: ChannelMessage;
}

/** How long a published message may take to come back; generous for a loaded CI machine. */
const DELIVERY_DEADLINE_MS = 5000;

/** Records deliveries and lets a test wait for a number of them. */
class Recorder {
  readonly delivered: Delivered[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly deliver = (appId: string, channel: string, message: ChannelMessage): void => {
    this.delivered.push({ appId, channel, message });
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.delivered.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  async waitFor(count: number): Promise<Delivered[]> {
    if (this.delivered.length < count) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`only ${this.delivered.length} of ${count} messages within the deadline`),
              ),
            DELIVERY_DEADLINE_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
    return this.delivered;
  }
}

export function brokerContract(name: string, factory: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    let broker: Broker;
    let recorder: Recorder;
    let appId: string;
    let channel: string;

    beforeEach(async () => {
      broker = await factory();
      recorder = new Recorder();
      broker.onMessage(recorder.deliver);
      appId = `app-${randomUUID()}`;
      channel = `news-${randomUUID()}`;
    });

    afterEach(async () => {
      await broker.close();
    });

    test('a published message reaches onMessage with every field intact', async () => {
      broker.subscribe(appId, channel);
      const message: ChannelMessage = {
        event: 'order-shipped',
        data: '{"id": 7, "note":"é \\u00e9 \\/ 😀"}',
        exceptSocketId: '123.456',
        userId: '42',
      };
      await broker.publish(appId, channel, message);
      const [delivered] = await recorder.waitFor(1);
      assert.equal(delivered?.appId, appId);
      assert.equal(delivered.channel, channel);
      assert.deepEqual({ ...delivered.message }, message);
    });

    test('optional fields left out stay absent', async () => {
      broker.subscribe(appId, channel);
      await broker.publish(appId, channel, { event: 'e', data: 'plain' });
      const [delivered] = await recorder.waitFor(1);
      assert.equal(delivered?.message.event, 'e');
      assert.equal(delivered.message.data, 'plain');
      assert.equal(delivered.message.exceptSocketId, undefined);
      assert.equal(delivered.message.userId, undefined);
    });

    test('data is carried byte for byte, whatever it holds', async () => {
      broker.subscribe(appId, channel);
      const payloads = ['', ' ', '{"a": 1}', 'null', '"quoted"', '\n\t', 'x'.repeat(100_000)];
      for (const data of payloads) await broker.publish(appId, channel, { event: 'e', data });
      const delivered = await recorder.waitFor(payloads.length);
      assert.deepEqual(
        delivered.map((d) => d.message.data),
        payloads,
      );
    });

    test('messages of one channel arrive in publish order', async () => {
      broker.subscribe(appId, channel);
      const count = 200;
      // Published without awaiting each: the order of the calls is what counts.
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          broker.publish(appId, channel, { event: 'tick', data: String(i) }),
        ),
      );
      const delivered = await recorder.waitFor(count);
      assert.deepEqual(
        delivered.map((d) => d.message.data),
        Array.from({ length: count }, (_, i) => String(i)),
      );
    });

    test('messages keep their app and channel', async () => {
      const other = `other-${randomUUID()}`;
      const otherApp = `app-${randomUUID()}`;
      broker.subscribe(appId, channel);
      broker.subscribe(appId, other);
      broker.subscribe(otherApp, channel);
      await broker.publish(appId, channel, { event: 'e', data: '1' });
      await broker.publish(appId, other, { event: 'e', data: '2' });
      await broker.publish(otherApp, channel, { event: 'e', data: '3' });
      const delivered = await recorder.waitFor(3);
      const byData = new Map(delivered.map((d) => [d.message.data, [d.appId, d.channel]]));
      assert.deepEqual(byData.get('1'), [appId, channel]);
      assert.deepEqual(byData.get('2'), [appId, other]);
      assert.deepEqual(byData.get('3'), [otherApp, channel]);
      assert.equal(delivered.length, 3);
    });

    test('subscribing twice to a channel does not duplicate deliveries', async () => {
      broker.subscribe(appId, channel);
      broker.subscribe(appId, channel);
      await broker.publish(appId, channel, { event: 'e', data: 'once' });
      await broker.publish(appId, channel, { event: 'e', data: 'marker' });
      const delivered = await recorder.waitFor(2);
      assert.deepEqual(
        delivered.map((d) => d.message.data),
        ['once', 'marker'],
      );
    });
  });
}
