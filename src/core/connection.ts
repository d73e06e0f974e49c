/**
 * One client connection's state. The transport feeds it (`receive`, `alive`, `closed`); it
 * writes through its {@link Transport}. The fields are few and flat on purpose: idle connections
 * are the bulk of a server's memory.
 */
import { closeMessageOf, type CloseCode } from '../protocol/errors.js';
import { errorFrame, type MemberWire } from '../protocol/frames.js';
import type { App } from '../apps/app.js';
import type { Frame, Transport } from './transport.js';

/** What a connection asks of the hub that owns it. */
export interface ConnectionOwner {
  handle(connection: Connection, text: string): void;
  handleBinary(connection: Connection): void;
  release(connection: Connection, code: number, reason: string): void;
}

/** The user a connection signed in as (§2.10). */
export interface SignedInUser {
  readonly id: string;
  /** `user_info` as JSON text: the member info of presence subscriptions without channel_data. */
  readonly userInfo: string | undefined;
  /** At most the app's watchlist limit of user ids. */
  readonly watchlist: readonly string[];
}

export class Connection {
  readonly app: App;
  readonly socketId: string;
  readonly transport: Transport;
  /** Clock time (ms) of the last frame received from the peer. */
  lastSeen: number;
  /** Clock time (ms) the unanswered liveness probe was sent; 0 when none is pending. */
  probedAt = 0;
  /** Set by a successful `pusher:signin`. */
  user: SignedInUser | undefined;
  /** Presence channels this connection is a member of → its member there; created on first use. */
  presence: Map<string, MemberWire> | undefined;
  /** Presence joins waiting for the store's answer, by channel; created on first use. */
  pending: Map<string, { cancelled: boolean; answers: number }> | undefined;
  /** Ring of the last N client-event times (N = the app's rate), created on first use. */
  clientEventTimes: number[] | undefined;
  clientEventCursor = 0;
  readonly #owner: ConnectionOwner;
  #open = true;
  /**
   * The channels this connection is subscribed to (successfully): the name alone while there is
   * one, as for most connections, a Set from the second on. A Set costs 150 bytes even when it
   * holds one name, and idle connections are the bulk of a server's memory.
   */
  #channels: string | Set<string> | undefined;

  constructor(
    owner: ConnectionOwner,
    app: App,
    socketId: string,
    transport: Transport,
    now: number,
  ) {
    this.#owner = owner;
    this.app = app;
    this.socketId = socketId;
    this.transport = transport;
    this.lastSeen = now;
  }

  get open(): boolean {
    return this.#open;
  }

  /** Whether a subscription to `channel` succeeded and has not ended. */
  subscribedTo(channel: string): boolean {
    const channels = this.#channels;
    return typeof channels === 'string' ? channels === channel : channels?.has(channel) === true;
  }

  get channelCount(): number {
    const channels = this.#channels;
    if (channels === undefined) return 0;
    return typeof channels === 'string' ? 1 : channels.size;
  }

  /** The channels subscribed to, in a new array: subscriptions may end while it is walked. */
  channelNames(): string[] {
    const channels = this.#channels;
    if (channels === undefined) return [];
    return typeof channels === 'string' ? [channels] : [...channels];
  }

  /** Records a subscription; `Channels` records the other half, the channel's subscribers. */
  addChannel(channel: string): void {
    const channels = this.#channels;
    if (channels === undefined || channels === channel) this.#channels = channel;
    else if (typeof channels === 'string') this.#channels = new Set([channels, channel]);
    else channels.add(channel);
  }

  /** False when the connection was not subscribed to `channel`. */
  removeChannel(channel: string): boolean {
    const channels = this.#channels;
    if (typeof channels === 'string') {
      if (channels !== channel) return false;
      this.#channels = undefined;
      return true;
    }
    return channels?.delete(channel) === true;
  }

  /** A text frame arrived (transport → core). */
  receive(text: string, now: number): void {
    this.lastSeen = now;
    this.probedAt = 0;
    if (this.#open) this.#owner.handle(this, text);
  }

  /** A binary frame arrived; not part of the protocol. */
  receiveBinary(now: number): void {
    this.alive(now);
    if (this.#open) this.#owner.handleBinary(this);
  }

  /** Transport-level sign of life (a WebSocket pong or ping). */
  alive(now: number): void {
    this.lastSeen = now;
    this.probedAt = 0;
  }

  send(frame: Frame): void {
    if (this.#open) this.transport.send(frame);
  }

  /**
   * Server-initiated close: `pusher:error` with the code, then the close frame (PROTOCOL.md
   * §1.7). Frames queued before it still go out first. The disconnect path runs now, not when
   * the peer answers, so a dead peer cannot hold state. Besides the codes of the table, any
   * code 4000–4999 may be given (fault injection in tests); those get a generic message.
   */
  terminate(code: CloseCode | number, message: string = closeMessageOf(code)): void {
    if (!this.#open) return;
    this.transport.send(errorFrame(code, message));
    this.#open = false;
    this.transport.close(code, message);
    this.#owner.release(this, code, message);
  }

  /** The transport reports the connection is gone (peer close, network error). */
  closed(code: number, reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.#owner.release(this, code, reason);
  }
}
