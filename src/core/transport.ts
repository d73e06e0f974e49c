/**
 * The seam between the core and the network. The core only writes (`send`, `close`, `probe`);
 * the transport calls {@link Connection.receive} and {@link Connection.closed} when the peer
 * speaks or goes away. Nothing in the core knows which transport it is talking to.
 */

/** Turns frame text into what a transport writes, once per frame however many sockets get it. */
export interface FrameEncoder<T> {
  encode(text: string): T;
}

/**
 * A frame sent to many connections: serialized once by the core, encoded once per transport
 * (the WebSocket transport frames it once), so every subscriber gets the very same bytes.
 */
export class SharedFrame {
  readonly text: string;
  #encoder: FrameEncoder<unknown> | undefined;
  #encoded: unknown;

  constructor(text: string) {
    this.text = text;
  }

  encoded<T>(encoder: FrameEncoder<T>): T {
    if (this.#encoder !== encoder) {
      this.#encoded = encoder.encode(this.text);
      this.#encoder = encoder;
    }
    return this.#encoded as T;
  }
}

export type Frame = string | SharedFrame;

export interface Transport {
  /** Queues one text frame. Frames are written in call order; a closed transport drops them. */
  send(frame: Frame): void;
  /** Starts a close handshake with `code` and a reason of at most 123 UTF-8 bytes. */
  close(code: number, reason: string): void;
  /** A transport-level liveness probe (a WebSocket ping frame), if the transport has one. */
  probe?(): void;
}
