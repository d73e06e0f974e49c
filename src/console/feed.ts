/**
 * The live feed of one open console page: Server-Sent Events over plain HTTP, one response per
 * page. It starts with the ring's history after the page's last seen entry (`Last-Event-ID`,
 * which EventSource resends when it reconnects), then streams each new entry. Event ids carry an
 * id of this server run, so a page that outlived a restart is sent the new run's whole history.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntryRing } from './buffer.js';
import { entryJson, type ConsoleEntry } from './entries.js';

/** Milliseconds between comment lines, under the usual 60 s idle timeout of proxies. */
const HEARTBEAT_MS = 25_000;
/**
 * Bytes a page may fall behind by (a stalled tab, a slow link) before its feed is ended: the
 * page reconnects and catches up from the ring instead of herald buffering without bound.
 */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
/** What EventSource waits before reconnecting, in ms. */
const RETRY_MS = 2000;

/** The sequence number after which a reconnecting page wants entries; 0 for everything. */
export function resumeAfter(lastEventId: string | undefined, run: string): number {
  const [idRun, seq] = (lastEventId ?? '').split('.');
  if (idRun !== run || seq === undefined || !/^\d+$/.test(seq)) return 0;
  return Number(seq);
}

export class Feeds {
  /** Identifies this server run in event ids. */
  readonly run = randomBytes(6).toString('base64url');
  readonly #open = new Map<ServerResponse, () => void>();
  #heartbeat: NodeJS.Timeout | undefined;

  /** Answers `req` with the event stream of `ring`. */
  open(req: IncomingMessage, res: ServerResponse, ring: EntryRing): void {
    const after = resumeAfter(header(req, 'last-event-id'), this.run);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // A stream never ends on its own; closing the socket with it lets a stop finish at once.
      connection: 'close',
      // nginx buffers responses unless told otherwise, which would hold the stream back.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    const send = (entry: ConsoleEntry) => {
      // Ended below, or the page went away: its 'close' is on its way.
      if (res.writableEnded || res.destroyed) return;
      if (res.writableLength > MAX_BACKLOG_BYTES) {
        res.end();
        return;
      }
      res.write(`id: ${this.run}.${entry.seq}\ndata: ${entryJson(entry)}\n\n`);
    };
    for (const entry of ring.since(after)) send(entry);
    const stop = ring.listen(send);
    const close = () => {
      stop();
      this.#open.delete(res);
      if (this.#open.size === 0) this.#stopHeartbeat();
    };
    this.#open.set(res, close);
    res.once('close', close);
    this.#startHeartbeat();
  }

  /** Ends every feed (a graceful stop: servers wait for open responses). */
  closeAll(): void {
    for (const [res, close] of [...this.#open]) {
      close();
      res.end();
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#heartbeat = setInterval(() => {
      for (const res of this.#open.keys()) res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
