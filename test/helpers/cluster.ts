/**
 * A herald cluster for end-to-end tests: N `node bin/herald.js start --adapter redis` processes
 * sharing one Redis under a key prefix of their own, each on a free port learnt from its JSON
 * start line. Processes are stopped by PID (SIGTERM, then SIGKILL for one that hangs), and the
 * prefix's keys are removed afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import PusherServer from 'pusher';
import { pusherJsOptions } from '../../src/apps/client-options.js';
import { RedisKeys } from '../../src/scaling/redis/redis-keys.js';
import { spawnHerald, type Exit, type HeraldProcess, type LogLine } from './cli.js';
import { REDIS_URL, removeKeys, testPrefix } from './redis.js';
import { send } from './rest.js';
import type { ReceivedEvent, WebhookReceiver } from './webhook-receiver.js';
import { AuthClients } from './auth.js';
import { PusherJsClients } from './pusher-js.js';
import { RawClients, WAIT_MS } from './ws-client.js';

/** pino's numeric levels: lines at or above this one are warnings and errors. */
export const WARN_LEVEL = 40;

const NODE_NAMES = ['A', 'B', 'C', 'D', 'E'];

export interface ClusterOptions {
  /** Nodes to start (default 3). */
  readonly nodes?: number;
  /** Default the machine's Redis on 127.0.0.1:6379. */
  readonly redisUrl?: string;
  /** Default a fresh `herald-test-cluster-…` prefix. */
  readonly prefix?: string;
  /** `--node-timeout`, in seconds (default 2: survivors reap a dead node within ~3 s). */
  readonly nodeTimeout?: number;
  /** More flags for every node (`--webhook-url …`, `--config …`). */
  readonly args?: readonly string[];
}

/** One herald process of the cluster, with what clients need to reach it. */
export class ClusterNode {
  readonly name: string;
  readonly process: HeraldProcess;
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, the HTTP API. */
  readonly url: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** For `new Pusher(key, options)` from pusher-js (and the test helpers built on it). */
  readonly pusherJsOptions: ReturnType<typeof pusherJsOptions>;
  /** The `pusher` server SDK pointed at this node's HTTP API. */
  readonly sdk: PusherServer;

  constructor(
    name: string,
    process: HeraldProcess,
    address: { host: string; port: number },
    app: ClusterNode['app'],
  ) {
    this.name = name;
    this.process = process;
    this.host = address.host;
    this.port = address.port;
    this.url = `http://${address.host}:${address.port}`;
    this.app = app;
    this.pusherJsOptions = pusherJsOptions(address);
    this.sdk = new PusherServer({
      appId: app.id,
      key: app.key,
      secret: app.secret,
      host: address.host,
      port: String(address.port),
      useTLS: false,
    });
  }

  get running(): boolean {
    const { exitCode, signalCode } = this.process.child;
    return exitCode === null && signalCode === null;
  }

  /** The JSON log lines written so far, from index `from` on. */
  linesFrom(from = 0): LogLine[] {
    return this.process.lines.slice(from);
  }

  /** The first line at index `from` or later that `match` accepts; bounded wait. */
  lineAfter(from: number, match: (line: LogLine) => boolean, what: string): Promise<LogLine> {
    const lines = this.process.lines;
    return this.process.waitForLine(
      (line) => lines.indexOf(line) >= from && match(line),
      `${what} (node ${this.name})`,
    );
  }

  /** `GET /ready`'s status. */
  async readyStatus(): Promise<number> {
    return (await send(this.url, 'GET', '/ready')).status;
  }

  /** SIGKILL by PID, as a crash: nothing is cleaned up. Resolves once the process is gone. */
  async kill(): Promise<Exit> {
    if (this.running) this.process.signal('SIGKILL');
    return this.process.exit();
  }

  /** Graceful stop (SIGTERM by PID); SIGKILL if the process is still there after a while. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.process.signal('SIGTERM');
    try {
      await this.process.exit();
    } catch (error) {
      if (this.running) this.process.signal('SIGKILL');
      await this.process.exit();
      throw error;
    }
  }
}

export class Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly prefix: string;
  readonly redisUrl: string;
  readonly nodeTimeout: number;

  private constructor(nodes: ClusterNode[], options: Required<ClusterOptions>) {
    this.nodes = nodes;
    this.prefix = options.prefix;
    this.redisUrl = options.redisUrl;
    this.nodeTimeout = options.nodeTimeout;
  }

  /**
   * Starts the nodes side by side and resolves once every one has printed its start line; if
   * one fails, the others are stopped and the failure (with its stderr) is thrown.
   */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const resolved: Required<ClusterOptions> = {
      nodes: options.nodes ?? 3,
      redisUrl: options.redisUrl ?? REDIS_URL,
      prefix: options.prefix ?? testPrefix('cluster'),
      nodeTimeout: options.nodeTimeout ?? 2,
      args: options.args ?? [],
    };
    // The same app on every node, as a deployment behind a load balancer has it.
    const app = { id: 'cluster-app', key: 'cluster-key', secret: randomBytes(12).toString('hex') };
    const processes = Array.from({ length: resolved.nodes }, () =>
      spawnHerald(nodeArgs(resolved, app)),
    );
    const started = await Promise.allSettled(processes.map((process) => process.started()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.allSettled(processes.map((process) => stopProcess(process)));
      await removeKeys(resolved.prefix);
      throw failed.reason;
    }
    const lines = started.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const nodes = lines.map(
      (line, i) => new ClusterNode(NODE_NAMES[i] ?? `N${i}`, processes[i]!, line.api, app),
    );
    return new Cluster(nodes, resolved);
  }

  /** The Redis pub/sub topic of one of the app's channels (for `PUBSUB NUMSUB`). */
  topic(channel: string): string {
    return new RedisKeys(this.prefix).topic(this.nodes[0]!.app.id, channel);
  }

  /**
   * Stops every node still running (by PID) and removes the prefix's keys from the machine's
   * Redis (a test's own redis-server goes away with its data).
   */
  async stop(): Promise<void> {
    const stopped = await Promise.allSettled(this.nodes.map((node) => node.stop()));
    if (this.redisUrl === REDIS_URL) await removeKeys(this.prefix);
    const failed = stopped.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

function nodeArgs(options: Required<ClusterOptions>, app: ClusterNode['app']): string[] {
  return [
    'start',
    '--port',
    '0',
    '--adapter',
    'redis',
    '--redis-url',
    options.redisUrl,
    '--redis-prefix',
    options.prefix,
    '--node-timeout',
    String(options.nodeTimeout),
    '--log-level',
    'info',
    '--app-id',
    app.id,
    '--key',
    app.key,
    '--secret',
    app.secret,
    ...options.args,
  ];
}

async function stopProcess(process: HeraldProcess): Promise<void> {
  const { exitCode, signalCode } = process.child;
  if (exitCode !== null || signalCode !== null) return;
  process.signal('SIGKILL');
  await process.exit();
}

/**
 * Polls `probe` every 50 ms until it returns something other than undefined; fails after
 * `timeoutMs` with the last value it saw. For cluster-wide state that settles shortly after the
 * event a client observed (Redis writes race the confirmation sent to the client).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = WAIT_MS,
  describe: () => string = () => '',
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) {
      const detail = describe();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${detail && `: ${detail}`}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The first event `receiver` recorded that `match` accepts, looking at every event (not from a
 * cursor), so several of these waits can run side by side.
 */
export function webhookEvent(
  receiver: WebhookReceiver,
  match: (event: ReceivedEvent) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<ReceivedEvent> {
  return eventually(
    async () => receiver.events.items.find(match),
    `webhook ${what}`,
    timeoutMs,
    () => `${receiver.events.items.length} events so far`,
  );
}

/**
 * Resolves once every webhook the given nodes decided so far has arrived. Each node's webhooks
 * go out in the order it decided them when it sends one request at a time (`webhookConcurrency`
 * 1), and the node that subscribes a fresh channel decides its `channel_occupied`: once that
 * marker has arrived from every node, so has anything any of them sent before, duplicates too.
 */
export async function settleWebhooks(
  receiver: WebhookReceiver,
  nodes: readonly ClusterNode[],
): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const clients = new RawClients(node);
      try {
        const client = await clients.connect({ key: node.app.key });
        const marker = `settle-${node.name}-${randomUUID()}`;
        await client.subscribe(marker);
        await webhookEvent(
          receiver,
          (event) => event.name === 'channel_occupied' && event.channel === marker,
          `channel_occupied of ${marker} from ${node.name}`,
        );
      } finally {
        await clients.closeAll();
      }
    }),
  );
}

/**
 * The clients a cluster test opens on its nodes (pusher-js signed by the node's SDK, the
 * auth-aware ones, raw sockets), so one `closeAll()` after each test closes them all.
 */
export class NodeClients {
  readonly #groups: Array<{ disconnectAll(): void }> = [];
  readonly #raws: RawClients[] = [];

  pusherJs(node: ClusterNode): PusherJsClients {
    return this.#keep(new PusherJsClients(node, { authorizer: node.sdk }));
  }

  auth(node: ClusterNode): AuthClients {
    return this.#keep(new AuthClients(node, node.sdk));
  }

  raw(node: ClusterNode): RawClients {
    const clients = new RawClients(node);
    this.#raws.push(clients);
    return clients;
  }

  async closeAll(): Promise<void> {
    for (const group of this.#groups.splice(0)) group.disconnectAll();
    await Promise.all(this.#raws.splice(0).map((clients) => clients.closeAll()));
  }

  #keep<T extends { disconnectAll(): void }>(group: T): T {
    this.#groups.push(group);
    return group;
  }
}
