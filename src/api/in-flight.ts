/**
 * HTTP requests being answered, so a graceful stop can let them finish before it closes the
 * sockets their events go to: a trigger answered 200 is then delivered to every subscriber still
 * connected. Once draining, each response closes its connection, so keep-alive clients cannot
 * hold the stop; a request that still arrives after the drain is refused with 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../core/log.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import { respondError } from './respond.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class InFlight {
  #count = 0;
  #state: 'serving' | 'draining' | 'drained' = 'serving';
  readonly #idle: Array<() => void> = [];
  readonly #log: Log;

  constructor(log: Log) {
    this.#log = log;
  }

  /** `handler`, counted. */
  track(handler: Handler): Handler {
    return (req, res) => {
      if (this.#state === 'drained') {
        res.setHeader('connection', 'close');
        respondError(res, new ApiError(HttpStatus.unavailable, 'Shutting down'), this.#log);
        return;
      }
      if (this.#state === 'draining') res.setHeader('connection', 'close');
      this.#count += 1;
      const { socket } = req;
      const done = () => {
        res.off('close', done);
        socket.off('close', done);
        this.#count -= 1;
        if (this.#count === 0) for (const resolve of this.#idle.splice(0)) resolve();
      };
      // A pipelined request queued behind another never gets its response's 'close' when the
      // connection goes first; the socket's close ends it too.
      res.once('close', done);
      socket.once('close', done);
      handler(req, res);
    };
  }

  /** Resolves once no request is in flight; later requests are refused. */
  async drain(): Promise<void> {
    this.#state = 'draining';
    if (this.#count > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#state = 'drained';
  }
}
