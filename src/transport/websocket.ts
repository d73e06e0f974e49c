/**
 * The WebSocket transport: `ws` in `noServer` mode behind our own `node:http` server.
 *
 * Three `ws` internals are used here and nowhere else, which is why `ws` is pinned to an exact
 * version and `test/unit/websocket-transport.test.ts` covers each:
 * - `WebSocket.Sender.frame()` (public static, but undocumented) frames a broadcast once;
 * - `websocket._socket`, the underlying `net.Socket`, receives those bytes directly, corked until
 *   the end of the current event-loop turn so a burst leaves in one `writev` per socket;
 * - `websocket._closeFrameReceived` tells the echo of a peer's close apart from a close `ws`
 *   starts itself after a protocol error (only the latter is announced with `pusher:error`).
 * Writing around `ws`'s Sender is safe because herald never compresses (`perMessageDeflate` off)
 * and never sends Blobs, so the Sender never queues and its writes and ours share one ordered
 * stream. One Node internal is relied on too, and tested there: an EventEmitter whose `_events`
 * is undefined creates its listener dictionary when a first listener is added, so a socket
 * nobody listens to needs none.
 */
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import * as ws from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { CloseCode, closeMessage } from '../protocol/errors.js';
import { errorFrame } from '../protocol/frames.js';
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { Hub } from '../core/hub.js';
import { SharedFrame, type FrameEncoder, type Transport } from '../core/transport.js';

/** `ws`'s Sender, typed for the one static we use (its types are not published). */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

/** Frames text once as an unmasked, final text frame: header and payload in one buffer. */
export const textFrameEncoder: FrameEncoder<Buffer> = {
  encode(text: string): Buffer {
    const payload = Buffer.from(text, 'utf8');
    const parts = Sender.frame(payload, {
      fin: true,
      opcode: 1,
      mask: false,
      readOnly: true,
      rsv1: false,
    });
    return Buffer.concat(parts);
  },
};

/** What every socket of one transport shares: one pointer per socket instead of closures. */
interface SocketHost {
  readonly clock: Clock;
  /**
   * Sockets whose close has begun and not finished: what a drain waits for. Open sockets are
   * not listed here; the hub's registry of connections already lists them once.
   */
  readonly closing: Set<HeraldSocket>;
  readonly maxSendBufferBytes: number;
}

interface RawSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  /** Bytes written but not yet handed to the kernel (corked ones included). */
  readonly writableLength: number;
}

/** Raw sockets corked during this event-loop turn; uncorked together at the end of it. */
const corked: RawSocket[] = [];
/** Counts turns that corked something: a socket corked in an earlier turn is not corked now. */
let turn = 1;
function uncorkAll(): void {
  for (const raw of corked) raw.uncork();
  corked.length = 0;
  turn += 1;
}

/**
 * The `WebSocket` class `ws` instantiates for every connection. It is also the connection's
 * {@link Transport}, so a connection costs this one object and no per-socket closures.
 */
export class HeraldSocket extends WebSocket implements Transport {
  connection: Connection | undefined;
  host: SocketHost | undefined;
  /**
   * EventEmitter's listener dictionary, which it creates on demand while this is undefined. The
   * transport's own handlers need none (see {@link emit}); the empty one every EventEmitter
   * starts with costs each socket about 180 bytes.
   */
  private _events: unknown = undefined;
  #corkedTurn = 0;
  /** Set once the unsent bytes passed their cap: the 4100 close is under way. */
  #closingOverCapacity = false;

  /**
   * Transport.send. A {@link SharedFrame}'s pre-framed bytes go straight to the socket (the
   * broadcast hot path); strings and every other call keep `ws`'s own behaviour. The socket is
   * corked until the end of this event-loop turn, so a burst of frames leaves in one writev.
   */
  override send(data: unknown, ...rest: unknown[]): void {
    if (this.readyState !== WebSocket.OPEN) return;
    // Set by ws before the state becomes OPEN.
    const raw = (this as unknown as { _socket: RawSocket })._socket;
    if (this.#corkedTurn !== turn) {
      if (this.#overCapacity(raw)) return;
      this.#corkedTurn = turn;
      raw.cork();
      if (corked.length === 0) setImmediate(uncorkAll);
      corked.push(raw);
    }
    if (data instanceof SharedFrame) raw.write(data.encoded(textFrameEncoder));
    else (super.send as (...args: unknown[]) => void)(data, ...rest);
  }

  /**
   * A client that does not read as fast as it is sent to (stopped, or on a slow network) leaves
   * bytes unsent from one turn to the next. Checked before the first write of each turn, so a
   * burst written within one turn never counts against it: past `maxSendBufferBytes` the
   * connection is closed with 4100 (over capacity: pusher-js reconnects after a pause). Its
   * `pusher:error` and close frame queue behind what is buffered, the frame at hand and every
   * later one are dropped, and `ws` cuts the socket if the close handshake does not complete
   * within its close timeout. True when the connection is being closed for it.
   */
  #overCapacity(raw: RawSocket): boolean {
    if (this.#closingOverCapacity) return false;
    if (raw.writableLength <= this.host!.maxSendBufferBytes) return false;
    // Set first: the close below sends its pusher:error through send() again.
    this.#closingOverCapacity = true;
    this.connection?.terminate(CloseCode.over_capacity, OVER_CAPACITY);
    return true;
  }

  probe(): void {
    if (this.readyState === WebSocket.OPEN) this.ping();
  }

  /**
   * `ws` reports what it reads by emitting events on the socket; the transport handles them
   * here, before any listener. Listeners of its own would give every socket a listener
   * dictionary (280 bytes for these five events, the largest part of what herald kept per idle
   * connection beyond `ws`'s own objects). Listeners added with `on` still run, after.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    switch (event) {
      case 'message':
        this.#message(args[0] as Buffer, args[1] as boolean);
        break;
      case 'ping':
      case 'pong':
        this.connection?.alive(this.host!.clock.now());
        break;
      case 'close':
        this.host?.closing.delete(this);
        this.connection?.closed(args[0] as number, (args[1] as Buffer).toString('utf8'));
        break;
      case 'error':
        // `ws` closes the socket itself after a protocol error and then emits 'close'; the
        // error is handled by that and must not be thrown as an unhandled 'error' event.
        if (this.listenerCount('error') === 0) return true;
        break;
    }
    return super.emit(event, ...args);
  }

  #message(data: Buffer, isBinary: boolean): void {
    const connection = this.connection;
    if (connection === undefined) return;
    const now = this.host!.clock.now();
    if (isBinary) connection.receiveBinary(now);
    else connection.receive(data.toString('utf8'), now);
  }

  /**
   * Every close `ws` starts on its own (1009 message too big, 1007 invalid UTF-8, 1002 bad
   * framing) is preceded by a `pusher:error`, like the closes the core starts (§1.7). The core
   * marks its connection closed before closing, so its own closes are not announced twice.
   * Every close passes here (the core's, `ws`'s own, the echo of a peer's), so the socket is
   * listed as closing until `ws` emits 'close'.
   */
  override close(code?: number, data?: string | Buffer): void {
    // A closed socket emits no further 'close' to unlist it.
    if (this.readyState !== WebSocket.CLOSED) this.host?.closing.add(this);
    const echo = (this as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived;
    if (
      this.connection?.open === true &&
      code !== undefined &&
      echo !== true &&
      this.readyState === WebSocket.OPEN
    ) {
      const message = code === 1009 ? closeMessage[1009] : 'Invalid WebSocket frame';
      this.send(errorFrame(code, message));
      super.close(code, data ?? message);
      return;
    }
    super.close(code, data);
  }
}

export interface WebSocketTransportOptions {
  readonly maxMessageBytes: number;
  /** Bytes waiting to be sent to one client before it is closed with 4100 (default 1 MiB). */
  readonly maxSendBufferBytes?: number;
}

const OVER_CAPACITY = 'Over capacity: the client is not reading its messages fast enough';

/** Accepts upgrades for the hub. One instance serves every app. */
export class WebSocketTransport {
  readonly #server: WebSocketServer;
  readonly #hub: Hub;
  readonly #host: SocketHost;

  constructor(hub: Hub, clock: Clock, options: WebSocketTransportOptions) {
    this.#hub = hub;
    this.#host = {
      clock,
      closing: new Set(),
      maxSendBufferBytes: options.maxSendBufferBytes ?? 1_048_576,
    };
    this.#server = new WebSocketServer({
      noServer: true,
      WebSocket: HeraldSocket,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Completes the upgrade, then lets the hub accept or refuse the connection. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      const heraldSocket = ws as HeraldSocket;
      // Before open: the hub writes connection_established (or the refusal) through it at once.
      heraldSocket.host = this.#host;
      const url = new URL(request.url ?? '/', 'http://localhost');
      const connection = this.#hub.open(url.pathname, url.searchParams, heraldSocket);
      if (connection === undefined) return;
      heraldSocket.connection = connection;
    });
  }

  /**
   * Resolves when every socket being closed has closed, or cuts the rest at `deadline` (ms from
   * now). Called after the hub closed every connection, so that is every socket.
   */
  async drain(deadlineMs: number): Promise<void> {
    const sockets = this.#host.closing;
    if (sockets.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.terminate();
        resolve();
      }, deadlineMs);
      const check = () => {
        if (sockets.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const socket of sockets) socket.once('close', check);
    });
  }

  /** Sockets whose close has begun and not finished. */
  get closing(): number {
    return this.#host.closing.size;
  }
}
