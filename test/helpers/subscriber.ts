/**
 * The smallest WebSocket subscriber that proves delivery: a raw `ws` connection that subscribes
 * to public channels and queues every channel event, so a test can tell "nothing arrived" from
 * "arrived late" by what comes first.
 */
import WebSocket from 'ws';

export interface ChannelEvent {
  readonly event: string;
  readonly channel: string;
  /** Exactly the string the server put in the frame. */
  readonly data: unknown;
}

export interface Subscriber {
  readonly socketId: string;
  /** Every channel event received so far, in order. */
  readonly events: readonly ChannelEvent[];
  /** Resolves on `pusher_internal:subscription_succeeded` for `channel`. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): void;
  /** The next channel event not yet returned by `next()`. */
  next(timeoutMs?: number): Promise<ChannelEvent>;
  /**
   * A ping answered by a pong: the server has processed every frame sent before it (frames of
   * one connection are handled in order).
   */
  roundTrip(): Promise<void>;
  close(): Promise<void>;
}

interface Frame {
  event?: unknown;
  channel?: unknown;
  data?: unknown;
}

const WAIT_MS = 2000;

/** Connects as pusher-js would (`/app/{key}?protocol=7`) and waits for the socket id. */
export async function connectSubscriber(target: {
  readonly host: string;
  readonly port: number;
  readonly app: { readonly key: string };
}): Promise<Subscriber> {
  const url = `ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=herald-test&version=0`;
  const ws = new WebSocket(url);
  const events: ChannelEvent[] = [];
  let cursor = 0;
  const waiters = new Set<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }>();
  let closed: Error | undefined;
  const failures = new Set<(error: Error) => void>();

  ws.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as Frame;
    const name = String(frame.event);
    if (!name.startsWith('pusher:') && !name.startsWith('pusher_internal:')) {
      events.push({ event: name, channel: String(frame.channel), data: frame.data });
    }
    for (const waiter of waiters) if (waiter.match(frame)) waiter.resolve(frame);
  });
  ws.on('close', (code, reason) => {
    closed = new Error(`subscriber closed: ${code} ${String(reason)}`);
    for (const fail of failures) fail(closed);
  });
  ws.on('error', (error) => {
    for (const fail of failures) fail(error);
  });

  function waitFor(
    what: string,
    match: (frame: Frame) => boolean,
    timeoutMs = WAIT_MS,
  ): Promise<Frame> {
    return new Promise((resolve, reject) => {
      if (closed !== undefined) return reject(closed);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        failures.delete(reject);
      };
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          done();
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`subscriber: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(waiter);
      failures.add((error) => {
        done();
        reject(error);
      });
    });
  }

  const established = await waitFor(
    'pusher:connection_established',
    (frame) => frame.event === 'pusher:connection_established',
  );
  const { socket_id: socketId } = JSON.parse(String(established.data)) as { socket_id: string };
  const sendFrame = (event: string, data: object) => ws.send(JSON.stringify({ event, data }));

  return {
    socketId,
    events,
    async subscribe(channel) {
      const answer = waitFor(
        `subscription answer for ${channel}`,
        (frame) =>
          frame.channel === channel &&
          (frame.event === 'pusher_internal:subscription_succeeded' ||
            frame.event === 'pusher:subscription_error'),
      );
      sendFrame('pusher:subscribe', { auth: '', channel });
      const frame = await answer;
      if (frame.event !== 'pusher_internal:subscription_succeeded') {
        throw new Error(`subscribe ${channel} refused: ${JSON.stringify(frame.data)}`);
      }
    },
    unsubscribe(channel) {
      sendFrame('pusher:unsubscribe', { channel });
    },
    async next(timeoutMs = WAIT_MS) {
      if (cursor < events.length) return events[cursor++]!;
      const start = events.length;
      await waitFor('channel event', () => events.length > start, timeoutMs);
      return events[cursor++]!;
    },
    async roundTrip() {
      const pong = waitFor('pusher:pong', (frame) => frame.event === 'pusher:pong');
      sendFrame('pusher:ping', {});
      await pong;
    },
    close() {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => ws.terminate(), WAIT_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close();
      });
    },
  };
}
