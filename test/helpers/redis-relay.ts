/**
 * A TCP relay in front of a Redis, for outage tests that must not stop the machine's Redis: it
 * can be cut (its connections dropped, new ones refused) and mended.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay to Redis that can be cut (connections dropped, new ones refused) and mended. */
export class RedisRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #open = true;

  private constructor(target: URL) {
    this.#server = createServer((client) => {
      if (!this.#open) return client.destroy();
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          this.#sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(url: string): Promise<RedisRelay> {
    const relay = new RedisRelay(new URL(url));
    await new Promise<void>((resolve) => relay.#server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get url(): string {
    const { port } = this.#server.address() as { port: number };
    return `redis://127.0.0.1:${port}`;
  }

  cut(): void {
    this.#open = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  mend(): void {
    this.#open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
