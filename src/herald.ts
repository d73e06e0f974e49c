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
import { isLoopback } from './api/control.js';
import { InFlight } from './api/in-flight.js';
import { createApiHandler } from './api/router.js';
import { attachConsole } from './console/index.js';
import { createLogger } from './observability/logger.js';
import { attachMetrics } from './observability/metrics.js';
import { memoryScaling, type Scaling } from './scaling/memory/index.js';
import { MemoryNodeRegistry } from './scaling/memory/memory-node-registry.js';
import type { NodeRegistry } from './scaling/node-registry.js';
import { startNodeUpkeep } from './scaling/node-upkeep.js';
import { redisScaling } from './scaling/redis/index.js';
import { close, listen, type BoundListener, type Listener } from './transport/http-server.js';
import { readTlsCredentials, type TlsCredentials } from './transport/tls.js';
import { WebSocketTransport } from './transport/websocket.js';
import { attachWebhooks, type WebhookEvent, type Webhooks } from './webhooks/index.js';
import { clientConfig } from './testing/client-config.js';
import { recorderFor, resetHerald, type HubControl } from './testing/control.js';
import type { Recorder } from './testing/recorder.js';
import { systemTimers } from './webhooks/timers.js';

export interface HeraldAddress {
  /** Where pusher-js connects (`wsHost`/`wsPort`; `wssPort` with TLS). */
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
  readonly webhooks: Pick<Webhooks, 'stats' | 'onAttempt'>;
  /** What happened, for tests; undefined unless `record` (or `dev`) is on. */
  readonly recorder: Recorder | undefined;
  /** Reset and fault injection for tests (herald/testing, the dev control API); once started. */
  readonly control: HubControl;
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

function addressOf(bound: readonly BoundListener[]): HeraldAddress {
  const ws = bound.find((listener) => listener.websocket)!;
  const web = bound.find((listener) => listener.api)!;
  return { websocket: { host: ws.host, port: ws.port }, api: { host: web.host, port: web.port } };
}

/** The certificate and key when TLS is configured (the schema makes it both or neither). */
function tlsOf({ tlsCert, tlsKey }: HeraldConfig): TlsCredentials | undefined {
  if (tlsCert === undefined || tlsKey === undefined) return undefined;
  return readTlsCredentials({ tlsCert, tlsKey });
}

/**
 * Every scaling role plus the node registry, picked once by the `adapter` option.
 * @param holdMs how long the stores hold vacancies and presence removals (the vacate delay).
 */
async function createScaling(config: HeraldConfig, clock: Clock, log: Log, holdMs: number) {
  if (config.adapter === 'redis') {
    return redisScaling({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      nodeTimeoutMs: config.nodeTimeout * 1000,
      holdMs,
      clock,
      log,
    });
  }
  return { ...memoryScaling(clock, holdMs), registry: new MemoryNodeRegistry() };
}

/** Whether a removal held out the vacate delay still stands, asked of the store that holds it. */
function claimRemoval(
  roles: Pick<Scaling, 'index' | 'presence'>,
  appId: string,
  event: WebhookEvent,
) {
  if (event.name === 'member_removed') {
    return roles.presence.claimRemoval(appId, event.channel, event.user_id);
  }
  return roles.index.claimVacancy(appId, event.channel);
}

/**
 * The core's log while the shared backend is down: its per-operation failures go to debug, since
 * the registry already logged the outage once (and logs its end).
 */
function quietWhileDown(log: Log, registry: NodeRegistry): Log {
  return {
    debug: (fields, message) => log.debug(fields, message),
    info: (fields, message) => log.info(fields, message),
    // Called on the logger, never detached: pino's methods need their `this`.
    warn: (fields, message) =>
      registry.ready ? log.warn(fields, message) : log.debug(fields, message),
    error: (fields, message) =>
      registry.ready ? log.error(fields, message) : log.debug(fields, message),
  };
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
  // The stores hold vacancies for as long as webhooks hold removals, so a return on any node
  // takes the removal back (§6.2); without webhooks nobody would claim them.
  const holdMs = appConfigs.some((app) => app.webhooks.length > 0) ? config.vacateDelayMs : 0;
  // Webhooks listen to the lifecycle; the core does not know they exist.
  const webhooks = attachWebhooks({
    lifecycle,
    apps: appConfigs,
    log,
    timers: systemTimers(clock),
    // A removal held before the stores exist (or after they closed) stands.
    claim: (appId, event) =>
      running === undefined ? Promise.resolve(true) : claimRemoval(running.scaling, appId, event),
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

  // Attached before anything runs, so a test sees the first connection too.
  const recorder = recorderFor(config, { lifecycle, webhooks, clock });
  // Off, nothing listens: the lifecycle skips the events nobody reads.
  const metrics = config.metrics
    ? attachMetrics({ lifecycle, appIds: appConfigs.map((app) => app.id), webhooks })
    : undefined;
  // Listens from the start too, so a console page opened later shows what happened before it.
  const debugConsole = config.console
    ? attachConsole(
        { lifecycle, webhooks, apps, clock, isLoopback },
        {
          rows: config.consoleRows,
          token: config.consoleToken,
          host: config.webHost ?? config.host,
          maxRequestBodyBytes: config.maxRequestBodyBytes,
        },
      )
    : undefined;

  let running: Awaited<ReturnType<typeof run>> | undefined;
  let starting: Promise<HeraldAddress> | undefined;
  let stopped: Promise<void> | undefined;

  /** Connects the scaling layer, builds the core and binds the ports. */
  async function run() {
    // Read first: a bad file fails the start before there is anything to undo.
    const tls = tlsOf(config);
    const scaling = await createScaling(config, clock, log, holdMs);
    const { registry, ...roles } = scaling;
    const hub = new Hub({
      apps,
      ...roles,
      clock,
      lifecycle,
      log: quietWhileDown(log, registry),
      options: {
        activityTimeout: config.activityTimeout,
        pongTimeout: config.pongTimeout,
        path: config.path,
        allowMissingProtocol: config.allowMissingProtocol,
      },
    });
    const websocket = new WebSocketTransport(hub, clock, {
      maxMessageBytes: config.maxMessageBytes,
      maxSendBufferBytes: config.maxSendBufferBytes,
    });
    const state = { stopping: false };
    let bound: BoundListener[] = [];
    const api = createApiHandler({
      apps,
      core: hub,
      clock,
      log,
      maxRequestBodyBytes: config.maxRequestBodyBytes,
      ready: () => !state.stopping && registry.ready,
      storeAvailable: () => registry.ready,
      control: config.dev
        ? {
            hub,
            recorder,
            apps,
            signed: !isLoopback(config.webHost ?? config.host),
            clientConfig: (app) =>
              clientConfig(app, addressOf(bound), { path: config.path, tls: tls !== undefined }),
            reset: () => resetHerald(hub, recorder),
          }
        : undefined,
      mounts: [
        ...(metrics === undefined ? [] : [metrics.mount]),
        ...(debugConsole === undefined ? [] : [debugConsole.mount(hub)]),
      ],
      onResponse: metrics?.onResponse,
    });
    const inFlight = new InFlight(log);
    try {
      bound = await listen(
        listenersOf(config),
        {
          request: inFlight.track(api),
          upgrade: (req, socket, head) => websocket.handleUpgrade(req, socket, head),
        },
        tls,
      );
    } catch (error) {
      await Promise.all(Object.values(scaling).map((role) => role.close()));
      throw error;
    }
    const timers: NodeJS.Timeout[] = [setInterval(() => hub.sweep(), SWEEP_INTERVAL_MS)];
    if (config.adapter === 'redis') {
      timers.push(...startNodeUpkeep(registry, hub, log, config.nodeTimeout * 1000));
    }
    for (const timer of timers) timer.unref();
    return { scaling, hub, websocket, bound, timers, state, inFlight };
  }

  return {
    config,
    apps: apps.all(),
    lifecycle,
    webhooks: {
      stats: () => webhooks.stats(),
      onAttempt: (listener) => webhooks.onAttempt(listener),
    },
    recorder,

    get control(): HubControl {
      if (running === undefined) throw new Error('herald is not started');
      return running.hub;
    },

    start() {
      if (starting !== undefined) return Promise.reject(new Error('herald is already started'));
      starting = run().then((result) => {
        running = result;
        return addressOf(result.bound);
      });
      return starting;
    },

    stop() {
      stopped ??= (async () => {
        await starting?.catch(() => undefined);
        if (running === undefined) {
          recorder?.stop();
          debugConsole?.stop();
          webhooks.stop();
          metrics?.stop();
          return;
        }
        const { scaling, hub, websocket, bound, timers, state, inFlight } = running;
        const begun = performance.now();
        const deadline = config.shutdownTimeout;
        const left = () => Math.max(0, deadline - (performance.now() - begun));
        const timeout = () => new Promise((resolve) => setTimeout(resolve, left()).unref());
        state.stopping = true;
        // Pending waits (a control API long poll among them) must not hold the stop up.
        recorder?.stop();
        // Console pages hold their feed responses open: end them, or closing the servers
        // would wait for them until the deadline.
        debugConsole?.stop();
        for (const timer of timers) clearInterval(timer);
        hub.stopAccepting();
        const servers = close(bound);
        // Requests under way finish first, while every socket is still open: whatever they
        // triggered is queued before the 4200 close below, so a 200 means delivered.
        await Promise.race([inFlight.drain(), timeout()]);
        // Their keep-alive connections are idle now; close() closed only those idle back then.
        for (const { server } of bound) server.closeIdleConnections();
        hub.closeAll();
        await Promise.all([websocket.drain(left()), Promise.race([servers, timeout()])]);
        for (const { server } of bound) server.closeAllConnections();
        // The closes above emitted their vacated/removed events from promise callbacks; let them
        // run, then send what webhooks hold within what is left of the deadline.
        await new Promise((resolve) => setImmediate(resolve));
        // A referenced timer bounds the flush: the webhook timers are unref'd, and with nothing
        // else left in the event loop the process would otherwise end before stop() resolves.
        const remaining = left();
        let limit: NodeJS.Timeout | undefined;
        await Promise.race([
          webhooks.flush(remaining),
          new Promise((resolve) => (limit = setTimeout(resolve, remaining))),
        ]);
        clearTimeout(limit);
        webhooks.stop();
        metrics?.stop();
        await Promise.all(Object.values(scaling).map((role) => role.close()));
      })();
      return stopped;
    },
  };
}
