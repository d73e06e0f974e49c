import type { Broker, ChannelMessage, Deliver } from '../types.js';

/** Single-process broker: publishing is local delivery, synchronously, in call order. */
export class MemoryBroker implements Broker {
  #deliver: Deliver = () => {};

  onMessage(deliver: Deliver): void {
    this.#deliver = deliver;
  }

  // The local hub delivers only to its own subscribers, so there is nothing to route.
  subscribe(): void {}
  unsubscribe(): void {}

  publish(appId: string, channel: string, message: ChannelMessage): Promise<void> {
    this.#deliver(appId, channel, message);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
