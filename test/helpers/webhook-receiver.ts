/**
 * A webhook receiver on 127.0.0.1 and a free port: it records every request with its raw body
 * and its header names exactly as they came over the wire, and answers as told — 200, any other
 * status, never (it hangs until the client gives up or the receiver closes), or by cutting the
 * connection.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Recording } from './pusher-js.js';
import { WAIT_MS } from './ws-client.js';

export interface ReceivedEvent {
  readonly name: string;
  readonly channel?: string;
  readonly [field: string]: unknown;
}

export interface ReceivedWebhook {
  readonly method: string;
  readonly path: string;
  /** Lower-cased, as node parses them (what `pusher.webhook({ headers })` expects). */
  readonly headers: IncomingHttpHeaders;
  /** `[name, value, name, value…]` with the sender's capitalisation. */
  readonly rawHeaders: readonly string[];
  /** The body exactly as received. */
  readonly rawBody: string;
  readonly body: { time_ms: number; events: ReceivedEvent[] };
  /** Date.now() when the whole body had arrived. */
  readonly receivedAt: number;
  /** Which connection of the receiver it came on, counting from 1. */
  readonly connection: number;
  /** What the receiver answered (`hang`: nothing). */
  readonly answer: Answer;
}

/** An HTTP status to answer with, `hang` to never answer, `reset` to cut the connection. */
export type Answer = number | 'hang' | 'reset';

export class WebhookReceiver {
  readonly requests: Recording<ReceivedWebhook>;
  /** Every event of every request, in arrival order. */
  readonly events: Recording<ReceivedEvent>;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #connections = new WeakMap<Socket, number>();
  readonly #planned: Answer[] = [];
  #otherwise: Answer = 200;
  #opened = 0;
  #url = '';

  private constructor(label: string) {
    this.requests = new Recording(`${label} requests`);
    this.events = new Recording(`${label} events`);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const answer = this.#planned.shift() ?? this.#otherwise;
        const received: ReceivedWebhook = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          rawBody,
          body: JSON.parse(rawBody) as ReceivedWebhook['body'],
          receivedAt: Date.now(),
          connection: this.#connections.get(req.socket) ?? 0,
          answer,
        };
        if (answer === 'reset') req.socket.destroy();
        else if (answer !== 'hang')
          res.writeHead(answer, { 'Content-Type': 'text/plain' }).end('ok');
        this.requests.push(received);
        for (const event of received.body.events) this.events.push(event);
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      this.#connections.set(socket, ++this.#opened);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a receiver; always `close()` it. */
  static async start(label = 'receiver'): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(label);
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    const address = receiver.#server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    receiver.#url = `http://127.0.0.1:${address.port}/webhooks`;
    return receiver;
  }

  /** `http://127.0.0.1:{port}/webhooks`. */
  get url(): string {
    return this.#url;
  }

  /** The next requests are answered with these, in order; then with the default. */
  plan(...answers: Answer[]): void {
    this.#planned.push(...answers);
  }

  /** What requests beyond the plan are answered with (initially 200). */
  answerWith(answer: Answer): void {
    this.#otherwise = answer;
  }

  /** The next unseen event named `name` (and on `channel`, when given). */
  nextEvent(name: string, channel?: string, timeoutMs = WAIT_MS): Promise<ReceivedEvent> {
    return this.events.next(
      (event) => event.name === name && (channel === undefined || event.channel === channel),
      channel === undefined ? name : `${name} on ${channel}`,
      timeoutMs,
    );
  }

  /** The next unseen request. */
  nextRequest(timeoutMs = WAIT_MS): Promise<ReceivedWebhook> {
    return this.requests.next(() => true, 'a webhook request', timeoutMs);
  }

  /** Closes the server, cutting hanging and kept-alive connections. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The raw header names of a request whose lower-cased form is `lowerName`. */
export function rawHeaderNames(request: ReceivedWebhook, lowerName: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (name.toLowerCase() === lowerName) names.push(name);
  }
  return names;
}
