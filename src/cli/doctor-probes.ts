/**
 * The two ways `herald doctor` talks to a server: one HTTP GET, and one WebSocket connection
 * up to its first frame. Each gives up after `timeoutMs`, so a server that accepts connections
 * and never answers cannot hang the doctor; a failure is a value, never a throw.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';

/** Why nothing usable came back: a socket error code (`ECONNREFUSED`…) or `timeout`. */
export interface NetworkFailure {
  readonly kind: 'network';
  readonly code: string;
  readonly message: string;
}

export type HttpOutcome =
  { readonly kind: 'response'; readonly status: number; readonly body: string } | NetworkFailure;

/** Bodies are read up to this many bytes; herald's own answers are far smaller. */
const MAX_BODY_BYTES = 64 * 1024;

function failure(error: unknown): NetworkFailure {
  const { code, message } = error as NodeJS.ErrnoException;
  return { kind: 'network', code: code ?? 'ERROR', message: message ?? String(error) };
}

const timedOut = (timeoutMs: number): NetworkFailure => ({
  kind: 'network',
  code: 'timeout',
  message: `no answer within ${timeoutMs / 1000} s`,
});

/** `GET url`, the whole exchange (connect, headers, body) within `timeoutMs`. */
export function httpGet(url: URL, timeoutMs: number): Promise<HttpOutcome> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers: { accept: '*/*' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      res.on('error', (error) => done(failure(error)));
      res.on('end', () =>
        done({
          kind: 'response',
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    const timer = setTimeout(() => {
      done(timedOut(timeoutMs));
      req.destroy();
    }, timeoutMs);
    let settled = false;
    const done = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    req.on('error', (error) => done(failure(error)));
    req.end();
  });
}

export type WebSocketOutcome =
  /** The first frame the server sent, parsed (`{event, data}`), or its text if not JSON. */
  | { readonly kind: 'frame'; readonly frame: unknown }
  /** The server answered the upgrade with a plain HTTP response (a proxy, another service). */
  | { readonly kind: 'http'; readonly status: number }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string }
  | NetworkFailure;

/** Opens `url`, waits for the first frame within `timeoutMs`, then closes the connection. */
export function firstFrame(url: string, timeoutMs: number): Promise<WebSocketOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => done(timedOut(timeoutMs)), timeoutMs);
    let settled = false;
    const done = (outcome: WebSocketOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // 1000: the doctor got what it came for; terminate() when the handshake never finished.
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      else socket.terminate();
      resolve(outcome);
    };
    socket.once('message', (data) => {
      const text = String(data);
      let frame: unknown = text;
      try {
        frame = JSON.parse(text);
      } catch {
        // Not JSON: the caller reports the text itself as an unexpected answer.
      }
      done({ kind: 'frame', frame });
    });
    socket.once('unexpected-response', (_req, res) => {
      done({ kind: 'http', status: res.statusCode ?? 0 });
      res.resume();
    });
    socket.once('close', (code, reason) => done({ kind: 'closed', code, reason: String(reason) }));
    socket.on('error', (error) => done(failure(error)));
  });
}
