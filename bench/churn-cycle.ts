/**
 * One churn cycle over a real WebSocket (`ws`): connect, await `pusher:connection_established`,
 * subscribe (signed for private and presence channels), await
 * `pusher_internal:subscription_succeeded`, maybe send a client event, then end the connection
 * the way the plan says.
 *
 * `ws` rather than the fan-out bench's raw-socket subscriber: that one is built to read
 * deliveries without allocating, while a cycle is one handshake and a handful of frames, and it
 * needs what `ws` has (the close handshake, a socket id per connection, sends in any order).
 */
import { WebSocket } from 'ws';
import { authOf, type ChurnMember, type CyclePlan } from './churn-mix.js';

export interface ChurnTarget {
  readonly port: number;
  readonly key: string;
}

/**
 * Signs a subscription as an app's auth endpoint would: `auth` is `key:signature`, and for
 * presence `channel_data` is the JSON of `member` that was signed (the `pusher` SDK's
 * `authorizeChannel` has exactly this shape).
 */
export type Authorize = (
  socketId: string,
  channel: string,
  member?: ChurnMember,
) => { auth: string; channel_data?: string };

interface Frame {
  readonly event?: string;
  readonly channel?: string;
  readonly data?: unknown;
}

/** A WebSocket whose frames are awaited one event at a time; refusals fail the wait. */
class CycleSocket {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The first `pusher:error` or `pusher:subscription_error`, even one no wait was there for. */
  refusal: Error | undefined;
  #waiter: { event: string; resolve(frame: Frame): void; fail(error: Error): void } | undefined;
  #error: Error | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.#fail(new Error(`closed with ${code} ${reason.toString('utf8')}`.trim()));
      });
    });
    // A refused upgrade or a reset; 'close' follows and settles everything.
    this.ws.on('error', (error) => this.#fail(error));
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) return this.#fail(new Error('unexpected binary frame'));
      this.#frame(JSON.parse(String(data)) as Frame);
    });
  }

  /** The first frame carrying `event` from now on; other frames pass by. */
  next(event: string, timeoutMs: number): Promise<Frame> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new Error(`no ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiter = {
        event,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends, then destroys the socket once the bytes are on their way. */
  sendThenDestroy(frames: readonly object[]): void {
    for (const [i, frame] of frames.entries()) {
      const last = i === frames.length - 1;
      this.ws.send(JSON.stringify(frame), last ? () => this.ws.terminate() : undefined);
    }
  }

  #frame(frame: Frame): void {
    // A refused subscription or client event: the cycle failed, whatever it is waiting for.
    if (frame.event === 'pusher:error' || frame.event === 'pusher:subscription_error') {
      this.refusal ??= new Error(`${frame.event}: ${JSON.stringify(frame.data)}`);
      return this.#fail(this.refusal);
    }
    // The server probes a connection silent for its activity timeout (PROTOCOL.md §1.5).
    if (frame.event === 'pusher:ping') return this.send({ event: 'pusher:pong', data: {} });
    const waiter = this.#waiter;
    if (waiter !== undefined && frame.event === waiter.event) {
      this.#waiter = undefined;
      waiter.resolve(frame);
    }
  }

  #fail(error: Error): void {
    this.#error ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.fail(error);
  }
}

function subscribeFrame(socketId: string, plan: CyclePlan, authorize: Authorize): object {
  const { channel, member } = plan;
  if (authOf(channel) === 'none') return { event: 'pusher:subscribe', data: { channel } };
  const signed = authorize(socketId, channel, member);
  return { event: 'pusher:subscribe', data: { channel, ...signed } };
}

/**
 * Runs one cycle; resolves when the cycle is over (for `no-wait`: as soon as the close has
 * started) with `closed`, the socket's close, which rejects if a clean close ends with another
 * code or a refusal came after the last wait. Rejects with the cause when the server refuses
 * something or a wait times out, after destroying the socket. `onSubscribed` runs when
 * `subscription_succeeded` arrives.
 */
export async function runCycle(
  target: ChurnTarget,
  plan: CyclePlan,
  authorize: Authorize,
  timeoutMs: number,
  onSubscribed: () => void = () => undefined,
): Promise<{ closed: Promise<void> }> {
  const socket = new CycleSocket(
    `ws://127.0.0.1:${target.port}/app/${target.key}?protocol=7&client=herald-churn&version=1`,
  );
  const { ws } = socket;
  try {
    const established = await socket.next('pusher:connection_established', timeoutMs);
    const { socket_id: socketId } = JSON.parse(established.data as string) as {
      socket_id: string;
    };
    const subscribe = subscribeFrame(socketId, plan, authorize);
    const { channel } = plan;
    if (plan.close === 'hasty' || plan.close === 'retract') {
      const unsubscribe = { event: 'pusher:unsubscribe', data: { channel } };
      socket.sendThenDestroy(plan.close === 'hasty' ? [subscribe] : [subscribe, unsubscribe]);
      await socket.closed;
      return { closed: Promise.resolve() };
    }
    socket.send(subscribe);
    await socket.next('pusher_internal:subscription_succeeded', timeoutMs);
    onSubscribed();
    if (plan.clientEvent) {
      socket.send({ event: 'client-churn', channel, data: { at: Date.now() } });
      // Frames are handled in order: a pong means the event was taken, or its error came first.
      socket.send({ event: 'pusher:ping', data: {} });
      await socket.next('pusher:pong', timeoutMs);
    }
    if (plan.close === 'abrupt') {
      ws.terminate();
      await socket.closed;
      return { closed: Promise.resolve() };
    }
    if (plan.close === 'unsubscribe')
      socket.send({ event: 'pusher:unsubscribe', data: { channel } });
    ws.close(1000);
    const closed = socket.closed.then(({ code, reason }) => {
      if (socket.refusal !== undefined) throw socket.refusal;
      if (code !== 1000) throw new Error(`a clean close ended with ${code} ${reason}`.trim());
    });
    if (plan.close !== 'no-wait') await closed;
    // Wrapped: an async function's result is awaited, so a bare promise would be waited for.
    return { closed };
  } catch (error) {
    ws.terminate();
    await socket.closed;
    throw error;
  }
}
