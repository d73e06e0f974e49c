/**
 * One webhook request over node:http or node:https, on kept-alive sockets of one agent per URL.
 * Not `fetch`: it lower-cases header names, and PHP's SDK looks `X-Pusher-Key` and
 * `X-Pusher-Signature` up case-sensitively (CLIENTS.md); node:http sends names as given.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Sends `body` to `url` with exactly `headers`; resolves with the response status once the
 * response head arrives, rejects on a network error or when `signal` aborts.
 */
export type Post = (
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  signal: AbortSignal,
) => Promise<number>;

export interface HttpPoster {
  readonly post: Post;
  /** Closes the kept-alive sockets. */
  destroy(): void;
}

/** A poster whose agent keeps at most `maxSockets` connections to the URL's host. */
export function httpPoster(url: URL, maxSockets: number): HttpPoster {
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets })
    : new HttpAgent({ keepAlive: true, maxSockets });
  const request = secure ? httpsRequest : httpRequest;
  const once = (
    target: URL,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
    signal: AbortSignal,
  ) =>
    new Promise<{ status: number } | { error: unknown; reused: boolean }>((resolve) => {
      const req = request(target, { method: 'POST', headers, agent, signal }, (res) => {
        // The status is the answer; the body is read only so the socket can be reused, and a
        // body cut short afterwards changes nothing.
        res.on('error', () => undefined);
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.on('error', (error) => resolve({ error, reused: req.reusedSocket }));
      req.end(body);
    });
  return {
    async post(target, headers, body, signal) {
      let outcome = await once(target, headers, body, signal);
      // A kept-alive socket the receiver closed just as it was reused: not the receiver's
      // answer, so try once more (the remedy the Node docs give for this race).
      if ('error' in outcome && outcome.reused && !signal.aborted && isReset(outcome.error)) {
        outcome = await once(target, headers, body, signal);
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.status;
    },
    destroy: () => agent.destroy(),
  };
}

const isReset = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ECONNRESET';
