/**
 * One subscriber: a deliberately minimal WebSocket client on a raw socket.
 *
 * Why not `ws` or pusher-js: the load generator shares a two-core machine with the server, and a
 * full client costs more per delivery than the server does (measured with `ws`: the bench process
 * saturated at ~120k deliveries/s while the baseline server idled a third of the time), so the
 * bench would measure the client. This one does the RFC 6455 upgrade (and checks the accept
 * key), masks what it sends, and reads server frames in place: one `performance.now()` per
 * read, a prefix compare and a digit scan per frame, nothing allocated per delivery. It refuses
 * what neither server should send (masked, fragmented or compressed frames) instead of handling it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { benchChannel, checkFrame, framePrefix, isBenchFrame, readSentAt } from './message.js';

/** Where deliveries go. Called once per delivered frame, so it must be cheap. */
export interface DeliverySink {
  /** The `position`-th bench frame this subscriber received (0-based), sent at `sentAt`. */
  delivered(position: number, sentAt: number, receivedAt: number): void;
  fail(error: Error): void;
}

export interface SubscriberTarget {
  readonly port: number;
  readonly path: string;
  /** The channel whose events this subscriber receives (default `bench`, a one-channel run's). */
  readonly channel?: string;
  /**
   * Do the Pusher handshake: await `connection_established`, subscribe to `channel`, await
   * success. Without it the subscriber is ready once upgraded (the baseline's unrouted path).
   */
  readonly pusher: boolean;
}

/** The server ended the connection: a `pusher:error` with a code, or a close frame. */
export class ServerClosedError extends Error {
  override readonly name = 'ServerClosedError';
  readonly code: number;

  constructor(code: number, reason: string) {
    super(`server closed: ${code} ${reason}`);
    this.code = code;
  }
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const Opcode = { text: 1, close: 8, ping: 9, pong: 10 } as const;

const pongFrame = JSON.stringify({ event: 'pusher:pong', data: {} });

/** A final, masked client frame (RFC 6455 §5.3 requires masking from clients). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 0xffff) throw new Error('bench client frames are small');
  const header = payload.length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + 4 + payload.length);
  frame[0] = 0x80 | opcode;
  if (header === 2) frame[1] = 0x80 | payload.length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < payload.length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/**
 * One read buffer for every subscriber: a chunk is parsed synchronously in the read callback and
 * only an incomplete frame's bytes are copied out, so sharing it is safe and no read allocates.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

export class WsSubscriber {
  readonly #socket: Socket;
  readonly #target: SubscriberTarget;
  readonly #accept: string;
  readonly #channel: string;
  readonly #prefix: Buffer;
  #upgraded = false;
  #pending: Buffer | undefined;
  #received = 0;
  #sink: DeliverySink | undefined;
  #ready: ((error?: Error) => void) | undefined;
  #closing = false;

  private constructor(socket: Socket, target: SubscriberTarget, key: string) {
    this.#socket = socket;
    this.#target = target;
    this.#channel = target.channel ?? benchChannel;
    this.#prefix = framePrefix(this.#channel);
    this.#accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
  }

  /** Upgrades, then (for herald) subscribes; resolves once the subscriber is on the channel. */
  static connect(target: SubscriberTarget, timeoutMs: number): Promise<WsSubscriber> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      // `onread` hands each chunk to a callback, skipping the stream machinery and its
      // per-chunk Buffer: the cheapest way for Node to read a socket.
      const socket = connect({
        host: '127.0.0.1',
        port: target.port,
        onread: {
          buffer: readBuffer,
          callback: (length, buffer) => {
            subscriber.#read(buffer as Buffer, length);
            return true;
          },
        },
      });
      const subscriber = new WsSubscriber(socket, target, key);
      const timer = setTimeout(
        () =>
          subscriber.#lost(
            new Error(`no ${target.pusher ? 'subscription' : 'upgrade'} in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      subscriber.#ready = (error) => {
        clearTimeout(timer);
        subscriber.#ready = undefined;
        if (error === undefined) return resolve(subscriber);
        socket.destroy();
        reject(error);
      };
      socket.setNoDelay(true);
      socket.on('connect', () =>
        socket.write(
          `GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n` +
            'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
            `Sec-WebSocket-Key: ${key}\r\n\r\n`,
        ),
      );
      socket.on('error', (error) => subscriber.#lost(error));
      socket.on('close', () => subscriber.#lost(new Error('connection closed')));
    });
  }

  /** Starts counting deliveries into `sink`. */
  listen(sink: DeliverySink): void {
    this.#sink = sink;
  }

  /**
   * Stops reading: the kernel's buffers fill, then the server's. What the server does about a
   * client that does not read is what the stalled-reader bench measures.
   */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** Bytes read from the socket so far. */
  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  /** Cuts the connection (no close handshake: the run is over); resolves when it is gone. */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.destroy();
    });
  }

  #lost(error: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#ready !== undefined) this.#ready(error);
    else {
      const lost = new Error(`a subscriber lost its connection: ${error.message}`, {
        cause: error,
      });
      this.#sink?.fail(lost);
    }
  }

  #read(buffer: Buffer, length: number): void {
    const now = performance.now();
    let data = buffer;
    let end = length;
    if (this.#pending !== undefined) {
      data = Buffer.concat([this.#pending, buffer.subarray(0, length)]);
      end = data.length;
      this.#pending = undefined;
    }
    let offset = 0;
    if (!this.#upgraded) {
      offset = this.#upgrade(data, end);
      if (offset === -1) return this.#keep(data, buffer, 0, end);
      if (this.#closing) return;
    }
    while (end - offset >= 2) {
      const first = data[offset]!;
      const second = data[offset + 1]!;
      if ((first & 0xf0) !== 0x80 || (second & 0x80) !== 0) {
        const bytes = `${first.toString(16)} ${second.toString(16)}`;
        return this.#protocolError(`unexpected frame header ${bytes}`);
      }
      let size = second & 0x7f;
      let header = 2;
      if (size === 126) {
        if (end - offset < 4) break;
        size = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (size === 127) {
        if (end - offset < 10) break;
        size = data.readUInt32BE(offset + 2) * 2 ** 32 + data.readUInt32BE(offset + 6);
        header = 10;
      }
      const start = offset + header;
      const stop = start + size;
      if (stop > end) break;
      this.#frame(first & 0x0f, data, start, stop, now);
      offset = stop;
    }
    if (offset < end) this.#keep(data, buffer, offset, end);
  }

  /** Keeps an incomplete frame for the next read, copied out of the shared read buffer. */
  #keep(data: Buffer, shared: Buffer, offset: number, end: number): void {
    const rest = data.subarray(offset, end);
    this.#pending = data === shared ? Buffer.from(rest) : rest;
  }

  /**
   * Reads the `101 Switching Protocols` answer (RFC 6455 §4.1): returns the offset of the first
   * frame byte, or -1 while the header is incomplete.
   */
  #upgrade(data: Buffer, end: number): number {
    const headerEnd = data.subarray(0, end).indexOf('\r\n\r\n');
    if (headerEnd === -1) {
      if (end > 8192) this.#protocolError('upgrade response header too large');
      return -1;
    }
    const lines = data.toString('latin1', 0, headerEnd).split('\r\n');
    if (!/^HTTP\/1\.1 101 /.test(lines[0]!)) {
      this.#protocolError(`upgrade refused: ${lines[0]}`);
      return headerEnd + 4;
    }
    const accept = lines
      .find((line) => line.toLowerCase().startsWith('sec-websocket-accept:'))
      ?.slice('sec-websocket-accept:'.length)
      .trim();
    if (accept !== this.#accept) {
      this.#protocolError('bad Sec-WebSocket-Accept');
      return headerEnd + 4;
    }
    this.#upgraded = true;
    if (!this.#target.pusher) this.#ready?.();
    return headerEnd + 4;
  }

  #frame(opcode: number, data: Buffer, start: number, end: number, now: number): void {
    const sink = this.#sink;
    if (
      opcode === Opcode.text &&
      sink !== undefined &&
      isBenchFrame(data, start, end, this.#prefix)
    ) {
      const sentAt = readSentAt(data, start, end);
      if (this.#received === 0 || Number.isNaN(sentAt)) {
        const text = data.toString('utf8', start, end);
        const problem =
          checkFrame(text, this.#channel) ??
          (Number.isNaN(sentAt) ? 'unreadable send time' : undefined);
        if (problem !== undefined)
          return sink.fail(new Error(`${problem} in ${text.slice(0, 200)}`));
      }
      sink.delivered(this.#received++, sentAt, now);
      return;
    }
    switch (opcode) {
      case Opcode.text:
        return this.#control(data.toString('utf8', start, end));
      case Opcode.ping:
        this.#socket.write(clientFrame(Opcode.pong, data.subarray(start, end)));
        return;
      case Opcode.pong:
        return;
      case Opcode.close: {
        const code = end - start >= 2 ? data.readUInt16BE(start) : 1005;
        return this.#lost(new ServerClosedError(code, data.toString('utf8', start + 2, end)));
      }
      default:
        return this.#protocolError(`unexpected opcode ${opcode}`);
    }
  }

  /** Pusher frames other than bench events: the handshake, pings, and errors. */
  #control(text: string): void {
    const frame = JSON.parse(text) as {
      event?: string;
      data?: { code?: number; message?: string };
    };
    if (this.#ready !== undefined && this.#target.pusher) {
      if (frame.event === 'pusher:connection_established') {
        const subscribe = { event: 'pusher:subscribe', data: { auth: '', channel: this.#channel } };
        return this.#sendText(JSON.stringify(subscribe));
      }
      if (frame.event === 'pusher_internal:subscription_succeeded') return this.#ready();
    }
    // herald probes a silent connection after its activity timeout (PROTOCOL.md §1.5).
    if (frame.event === 'pusher:ping') return this.#sendText(pongFrame);
    // A server-initiated close announces its code first (PROTOCOL.md §1.7).
    if (frame.event === 'pusher:error' && typeof frame.data?.code === 'number') {
      this.#lost(new ServerClosedError(frame.data.code, frame.data.message ?? ''));
      this.#socket.destroy();
      return;
    }
    this.#protocolError(`unexpected frame: ${text.slice(0, 200)}`);
  }

  #sendText(text: string): void {
    this.#socket.write(clientFrame(Opcode.text, Buffer.from(text, 'utf8')));
  }

  #protocolError(message: string): void {
    this.#lost(new Error(message));
    this.#socket.destroy();
  }
}
