/**
 * The composition root: config → apps → scaling → core → transports, HTTP API and webhooks. The
 * only file that picks implementations; everything else receives them.
 */
import { StaticAppRegistry, type App } from './apps/app.js';
import { appsOf, parseConfig, type HeraldConfig, type HeraldOptions } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { Hub } from './core/hub.js';
import { Lifecycle } from './core/lifecycle.js';
import type { Log } from './core/log.js';
import { createApiHandler } from './api/router.js';
import { createLogger } from './observability/logger.js';
import { memoryScaling } from './scaling/memory/index.js';
import { close, listen, type BoundListener, type Listener } from './transport/http-server.js';
import { WebSocketTransport } from './transport/websocket.js';
import { attachWebhooks, type Webhooks } from './webhooks/index.js';
import { systemTimers } from './webhooks/timers.js';

export interface HeraldAddress {
  /** Where pusher-js connects (`wsHost`/`wsPort`). */
  readonly websocket: { readonly host: string; readonly port: number };
  /** Where the server SDKs send REST calls (`host`/`port`). */
  readonly api: { readonly host: string; readonly port: number };
}

export interface Herald {
  readonly config: HeraldConfig;
  readonly apps: readonly App[];
  /** Typed events for webhooks, metrics, consoles and tests to listen to. */
  readonly lifecycle: Lifecycle;
  /** Webhook delivery counters (delivered, failed attempts, given up, dropped…), per URL too. */
  readonly webhooks: Pick<Webhooks, 'stats'>;
  /** Binds the ports. Resolves with the bound addresses (useful with port 0). */
  start(): Promise<HeraldAddress>;
  /**
   * Graceful stop: refuse new connections, close every socket with 4200 after the frames already
   * queued, let in-flight HTTP requests finish, send the webhooks still held (vacate delay,
   * open batches, retries), cut whatever remains after `shutdownTimeout`.
   */
  stop(): Promise<void>;
}

export interface HeraldDeps {
  readonly log?: Log;
  readonly clock?: Clock;
}

/** Milliseconds between liveness sweeps; one timer serves every connection. */
const SWEEP_INTERVAL_MS = 1000;

function listenersOf(config: HeraldConfig): Listener[] {
  const socket = { host: config.socketHost ?? config.host, port: config.socketPort ?? config.port };
  const web = { host: config.webHost ?? config.host, port: config.webPort ?? config.port };
  if (socket.host === web.host && socket.port === web.port) {
    return [{ ...socket, websocket: true, api: true }];
  }
  return [
    { ...socket, websocket: true, api: false },
    { ...web, websocket: false, api: true },
  ];
}

/** Builds a server from options (validated here; throws ConfigError naming the bad option). */
export function createHerald(options: HeraldOptions = {}, deps: HeraldDeps = {}): Herald {
  const config = parseConfig(options);
  const log = deps.log ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const appConfigs = appsOf(config);
  const apps = new StaticAppRegistry(appConfigs);
  const lifecycle = new Lifecycle((error, name) =>
    log.error({ err: error, event: name }, 'lifecycle listener failed'),
  );
  const scaling = memoryScaling(clock);
  const hub = new Hub({
    apps,
    ...scaling,
    clock,
    lifecycle,
    log,
    options: {
      activityTimeout: config.activityTimeout,
      pongTimeout: config.pongTimeout,
      path: config.path,
      allowMissingProtocol: config.allowMissingProtocol,
    },
  });
  // Webhooks listen to the lifecycle; the core does not know they exist.
  const webhooks = attachWebhooks({
    lifecycle,
    apps: appConfigs,
    log,
    timers: systemTimers(clock),
    options: {
      batchMs: config.webhookBatchMs,
      vacateDelayMs: config.vacateDelayMs,
      timeoutMs: config.webhookTimeoutMs,
      retryWindowMs: config.webhookRetryWindowMs,
      retryDelayMs: config.webhookRetryDelayMs,
      queueSize: config.webhookQueueSize,
      concurrency: config.webhookConcurrency,
    },
  });
  const websocket = new WebSocketTransport(hub, clock, { maxMessageBytes: config.maxMessageBytes });
  let stopping = false;
  const api = createApiHandler({
    apps,
    core: hub,
    clock,
    log,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    ready: () => !stopping,
  });

  let bound: BoundListener[] = [];
  let sweeper: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  return {
    config,
    apps: apps.all(),
    lifecycle,
    webhooks: { stats: () => webhooks.stats() },

    async start() {
      if (bound.length > 0) throw new Error('herald is already started');
      bound = await listen(listenersOf(config), {
        request: api,
        upgrade: (req, socket, head) => websocket.handleUpgrade(req, socket, head),
      });
      sweeper = setInterval(() => hub.sweep(), SWEEP_INTERVAL_MS);
      sweeper.unref();
      const ws = bound.find((listener) => listener.websocket)!;
      const web = bound.find((listener) => listener.api)!;
      return {
        websocket: { host: ws.host, port: ws.port },
        api: { host: web.host, port: web.port },
      };
    },

    stop() {
      stopped ??= (async () => {
        const begun = performance.now();
        stopping = true;
        clearInterval(sweeper);
        hub.stopAccepting();
        const servers = close(bound);
        hub.closeAll();
        const deadline = config.shutdownTimeout;
        await Promise.all([
          websocket.drain(deadline),
          Promise.race([servers, new Promise((resolve) => setTimeout(resolve, deadline).unref())]),
        ]);
        for (const { server } of bound) server.closeAllConnections();
        // The closes above emitted their vacated/removed events from promise callbacks; let them
        // run, then send what webhooks hold within what is left of the deadline.
        await new Promise((resolve) => setImmediate(resolve));
        await webhooks.flush(Math.max(0, deadline - (performance.now() - begun)));
        webhooks.stop();
        await Promise.all(
          Object.values(scaling).map((role: { close(): Promise<void> }) => role.close()),
        );
      })();
      return stopped;
    },
  };
}
