/**
 * A raw WebSocket client for end-to-end tests: it says exactly what a test tells it to, keeps
 * every frame the server sent (parsed), and turns every wait into a bounded wait whose failure
 * names what was awaited and what arrived instead. For cases pusher-js cannot express (bad auth,
 * malformed frames, duplicate subscribes, a peer that never answers pings).
 */
import { WebSocket } from 'ws';

/** A server frame as parsed from its JSON text. */
export interface ServerFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
  readonly [field: string]: unknown;
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface RawConnectOptions {
  /** App key in the path; default `app-key` (herald's default app). */
  readonly key?: string;
  /** Whole path and query instead of `/app/{key}?protocol=7` (for path and protocol tests). */
  readonly path?: string;
  /** Answer WebSocket-level pings (default true, as every real client does). */
  readonly autoPong?: boolean;
}

/** Default bound of every wait, in ms: generous for a loaded 2-core machine, still fast. */
export const WAIT_MS = 3000;

type Waiter = { check(): boolean; fail(error: Error): void };

export class RawClient {
  readonly socket: WebSocket;
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  /** The text of every frame received, in order (index-aligned with `frames`). */
  readonly texts: string[] = [];
  /** Set once the socket has closed. */
  closedWith: Closed | undefined;
  /** Set by {@link established}. */
  socketId = '';
  /** The socket's last error, if any (e.g. the upgrade was refused). */
  error: Error | undefined;
  #cursor = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #label: string;

  constructor(url: string, autoPong: boolean) {
    this.#label = url.replace(/^ws:\/\/[^/]+/, '');
    this.socket = new WebSocket(url, { autoPong, perMessageDeflate: false });
    this.socket.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${String(data)}>` : String(data);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      // Anything but an object is kept visible: a test waiting for something else prints it.
      const frame =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as ServerFrame)
          : { event: '<not a JSON object>', data: text };
      this.texts.push(text);
      this.frames.push(frame);
      this.#notify();
    });
    this.socket.on('close', (code, reason) => {
      this.closedWith = { code, reason: String(reason) };
      this.#notify();
    });
    // A refused upgrade or a reset is followed by 'close'; keep the cause for failure messages.
    this.socket.on('error', (error) => {
      this.error = error;
    });
  }

  /** Sends an object as JSON, or a string exactly as given. */
  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a binary frame. */
  sendBinary(bytes: Buffer): void {
    this.socket.send(bytes, { binary: true });
  }

  /**
   * The first frame after the previous match that satisfies `match`; later waits start after it.
   * Fails after `timeoutMs`, or as soon as the socket closes, naming `what` and the frames seen.
   */
  next(
    match: (frame: ServerFrame) => boolean,
    what: string,
    timeoutMs = WAIT_MS,
  ): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          for (let i = this.#cursor; i < this.frames.length; i++) {
            const frame = this.frames[i]!;
            if (match(frame)) {
              this.#cursor = i + 1;
              done();
              resolve(frame);
              return true;
            }
          }
          if (this.closedWith !== undefined) {
            const cause = this.error === undefined ? '' : ` (${this.error.message})`;
            waiter.fail(new Error(`closed with ${this.closedWith.code}${cause}`));
            return true;
          }
          return false;
        },
        fail: (error) => {
          done();
          reject(
            new Error(
              `${this.#label}: ${error.message} while waiting for ${what}; frames since the ` +
                `last match: ${this.texts.slice(this.#cursor).join(' | ') || '(none)'}`,
            ),
          );
        },
      };
      const timer = setTimeout(
        () => waiter.fail(new Error(`timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (!waiter.check()) this.#waiters.add(waiter);
    });
  }

  /** The next frame carrying `event` (and `channel`, when given). */
  nextEvent(event: string, channel?: string, timeoutMs = WAIT_MS): Promise<ServerFrame> {
    return this.next(
      (frame) => frame.event === event && (channel === undefined || frame.channel === channel),
      channel === undefined ? event : `${event} on ${channel}`,
      timeoutMs,
    );
  }

  /** Frames received after the last match, without consuming them. */
  pending(): ServerFrame[] {
    return this.frames.slice(this.#cursor);
  }

  /** Marks everything received so far as seen: the next wait only looks at newer frames. */
  skipAll(): void {
    this.#cursor = this.frames.length;
  }

  /** Resolves with the close code and reason; fails if the socket stays open `timeoutMs`. */
  closed(timeoutMs = WAIT_MS): Promise<Closed> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (this.closedWith === undefined) return false;
          done();
          resolve(this.closedWith);
          return true;
        },
        fail: (error) => {
          done();
          reject(new Error(`${this.#label}: ${error.message} waiting for the socket to close`));
        },
      };
      const timer = setTimeout(
        () => waiter.fail(new Error(`still open after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (!waiter.check()) this.#waiters.add(waiter);
    });
  }

  /** Waits for `pusher:connection_established` and returns the socket id it announced. */
  async established(timeoutMs = WAIT_MS): Promise<string> {
    const frame = await this.nextEvent('pusher:connection_established', undefined, timeoutMs);
    this.socketId = (JSON.parse(frame.data as string) as { socket_id: string }).socket_id;
    return this.socketId;
  }

  /**
   * `pusher:ping` → `pusher:pong`. Proves the connection is open and, since the server handles a
   * connection's frames in order, that everything sent before has been processed and every
   * frame the server wrote before the pong has arrived. Returns the frames that came in between.
   */
  async roundTrip(timeoutMs = WAIT_MS): Promise<ServerFrame[]> {
    const before = this.frames.length;
    const cursor = this.#cursor;
    this.send({ event: 'pusher:ping', data: {} });
    // Only this ping's pong counts, and the frames before it stay unconsumed for later waits.
    this.#cursor = before;
    let pong: ServerFrame;
    try {
      pong = await this.nextEvent('pusher:pong', undefined, timeoutMs);
    } finally {
      this.#cursor = cursor;
    }
    return this.frames.slice(before, this.frames.indexOf(pong, before));
  }

  /** Subscribes and waits for success; fails with the subscription error if one comes. */
  async subscribe(channel: string, auth?: string, timeoutMs = WAIT_MS): Promise<void> {
    this.send({
      event: 'pusher:subscribe',
      data: auth === undefined ? { channel } : { auth, channel },
    });
    const frame = await this.next(
      (f) =>
        (f.event === 'pusher_internal:subscription_succeeded' ||
          f.event === 'pusher:subscription_error') &&
        f.channel === channel,
      `the answer to subscribing ${channel}`,
      timeoutMs,
    );
    if (frame.event === 'pusher:subscription_error') {
      throw new Error(`subscribing ${channel} failed: ${String(frame.data)}`);
    }
  }

  /** Closes at once (no close handshake); safe to call twice. */
  terminate(): void {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }
}

/** Opens raw clients against one server and closes whatever is left in `closeAll()`. */
export class RawClients {
  readonly #clients = new Set<RawClient>();

  constructor(private readonly target: { readonly host: string; readonly port: number }) {}

  /** A client that starts connecting at once; the server may still refuse it (§1.7). */
  open(options: RawConnectOptions = {}): RawClient {
    const path = options.path ?? `/app/${options.key ?? 'app-key'}?protocol=7`;
    const client = new RawClient(
      `ws://${this.target.host}:${this.target.port}${path}`,
      options.autoPong ?? true,
    );
    this.#clients.add(client);
    return client;
  }

  /** Opens and waits for `pusher:connection_established` (so `socketId` is set). */
  async connect(options: RawConnectOptions = {}): Promise<RawClient> {
    const client = this.open(options);
    await client.established();
    return client;
  }

  /** Closes every client and waits until each socket has closed. */
  async closeAll(): Promise<void> {
    const clients = [...this.#clients];
    this.#clients.clear();
    await Promise.all(
      clients.map(async (client) => {
        client.terminate();
        if (client.closedWith === undefined) await client.closed();
      }),
    );
  }
}
