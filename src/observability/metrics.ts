/**
 * Prometheus metrics, fed by the lifecycle (the core never calls them), the webhook senders'
 * attempts and the router's response hook, and served as text at `GET /metrics` on the API port.
 * Every server has a registry of its own, so several in one process never mix their numbers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { HttpMount, MountedUrl } from '../api/router.js';
import type { Lifecycle } from '../core/lifecycle.js';
import { channelType } from '../protocol/channel-name.js';
import { ApiError, HttpStatus } from '../protocol/errors.js';
import type { WebhookAttempt, Webhooks } from '../webhooks/index.js';
import { processMetrics } from './process-metrics.js';

export interface MetricsDeps {
  readonly lifecycle: Lifecycle;
  /** The apps served: their series start at 0 instead of appearing with their first event. */
  readonly appIds: readonly string[];
  readonly webhooks: Pick<Webhooks, 'onAttempt'>;
}

export interface Metrics {
  /** This server's metrics and the process-wide default ones. */
  readonly registry: Registry;
  /** `GET /metrics` for the router's `mounts`. */
  readonly mount: HttpMount;
  /** For the router's `onResponse`: counts one answered request. */
  readonly onResponse: (endpoint: string, status: number) => void;
  /** Stops listening (the numbers stay readable). */
  stop(): void;
}

export const METRICS_PATH = '/metrics';

/** `public`, `private`, `encrypted`, `presence`, `user`, with `_cache` for cache channels. */
export function channelTypeLabel(channel: string): string {
  const { kind, cached } = channelType(channel);
  return cached ? `${kind}_cache` : kind;
}

/** What became of a webhook request: a 2xx, another status, or no status at all. */
export function webhookResult({ status }: WebhookAttempt): string {
  if (status === undefined) return 'no_response';
  return status >= 200 && status < 300 ? 'delivered' : 'http_error';
}

/** Recipients and bytes of one app, added up per message and read at scrape time. */
interface Deliveries {
  recipients: number;
  bytes: number;
}

/** Subscribes the metrics to `deps`; call {@link Metrics.stop} when the server stops. */
export function attachMetrics(deps: MetricsDeps): Metrics {
  const { lifecycle, appIds } = deps;
  const own = new Registry();
  const registers = [own];
  const perApp = ['app_id'] as const;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge({ name, help, labelNames, registers });

  const connections = gauge('herald_connections', 'Open connections on this node.', perApp);
  const opened = counter('herald_connections_opened_total', 'Connections accepted.', perApp);
  const closed = counter('herald_connections_closed_total', 'Connections closed, by close code.', [
    'app_id',
    'code',
  ]);
  const refused = counter(
    'herald_connections_refused_total',
    'Connections refused before they got a socket id, by close code.',
    ['code'],
  );
  const subscriptions = gauge(
    'herald_subscriptions',
    'Subscriptions of connections on this node, by channel type.',
    ['app_id', 'channel_type'],
  );
  const subscriptionErrors = counter(
    'herald_subscription_errors_total',
    'Subscriptions refused, by the status of their pusher:subscription_error.',
    ['app_id', 'status'],
  );
  const occupied = gauge(
    'herald_channels_occupied',
    'Channels occupied minus vacated, of the transitions this node decided (sum over nodes).',
    perApp,
  );
  const members = gauge(
    'herald_presence_members',
    'Presence members added minus removed, of the transitions this node decided (sum over nodes).',
    perApp,
  );
  const clientEvents = counter('herald_client_events_total', 'Client events relayed.', perApp);
  const apiMessages = counter(
    'herald_api_messages_total',
    'Events accepted through the HTTP API, one per channel.',
    perApp,
  );
  const httpRequests = counter(
    'herald_http_requests_total',
    'HTTP requests answered on the API port, by route and status.',
    ['endpoint', 'status'],
  );
  const webhookAttempts = counter(
    'herald_webhook_attempts_total',
    'Webhook requests, by result: delivered (2xx), http_error, no_response.',
    ['app_id', 'result'],
  );

  // Fan-out is the hot path: a message adds two numbers here, prom-client reads them on scrape.
  const deliveries = new Map<string, Deliveries>();
  const deliveriesOf = (appId: string) => {
    let found = deliveries.get(appId);
    if (found === undefined) deliveries.set(appId, (found = { recipients: 0, bytes: 0 }));
    return found;
  };
  new Counter({
    name: 'herald_messages_delivered_total',
    help: 'Channel messages written to subscribers of this node, counted once per recipient.',
    labelNames: perApp,
    registers,
    collect() {
      this.reset();
      for (const [appId, { recipients }] of deliveries) this.inc({ app_id: appId }, recipients);
    },
  });
  new Counter({
    name: 'herald_delivered_bytes_total',
    help: 'Bytes of the channel messages written to subscribers (UTF-8 text, framing excluded).',
    labelNames: perApp,
    registers,
    collect() {
      this.reset();
      for (const [appId, { bytes }] of deliveries) this.inc({ app_id: appId }, bytes);
    },
  });

  for (const appId of appIds) {
    const labels = { app_id: appId };
    for (const metric of [connections, occupied, members]) metric.set(labels, 0);
    for (const metric of [opened, clientEvents, apiMessages]) metric.inc(labels, 0);
    deliveriesOf(appId);
  }

  const app = (appId: string) => ({ app_id: appId });
  const off = [
    lifecycle.on('connection_opened', ({ appId }) => {
      connections.inc(app(appId));
      opened.inc(app(appId));
    }),
    lifecycle.on('connection_closed', ({ appId, code }) => {
      connections.dec(app(appId));
      closed.inc({ app_id: appId, code: String(code) });
    }),
    lifecycle.on('connection_refused', ({ code }) => refused.inc({ code: String(code) })),
    lifecycle.on('subscribed', ({ appId, channel }) =>
      subscriptions.inc({ app_id: appId, channel_type: channelTypeLabel(channel) }),
    ),
    lifecycle.on('unsubscribed', ({ appId, channel }) =>
      subscriptions.dec({ app_id: appId, channel_type: channelTypeLabel(channel) }),
    ),
    lifecycle.on('subscription_failed', ({ appId, status }) =>
      subscriptionErrors.inc({ app_id: appId, status: String(status) }),
    ),
    lifecycle.on('channel_occupied', ({ appId }) => occupied.inc(app(appId))),
    lifecycle.on('channel_vacated', ({ appId }) => occupied.dec(app(appId))),
    lifecycle.on('member_added', ({ appId }) => members.inc(app(appId))),
    lifecycle.on('member_removed', ({ appId }) => members.dec(app(appId))),
    lifecycle.on('client_event', ({ appId }) => clientEvents.inc(app(appId))),
    lifecycle.on('api_message', ({ appId }) => apiMessages.inc(app(appId))),
    lifecycle.on('delivered', ({ appId, recipients, bytes }) => {
      const totals = deliveriesOf(appId);
      totals.recipients += recipients;
      totals.bytes += bytes;
    }),
    deps.webhooks.onAttempt((attempt) =>
      webhookAttempts.inc({ app_id: attempt.appId, result: webhookResult(attempt) }),
    ),
  ];

  const registry = Registry.merge([own, processMetrics()]);
  return {
    registry,
    mount: {
      prefix: METRICS_PATH,
      handle: (req, res, url) => serve(registry, req, res, url),
    },
    onResponse: (endpoint, status) => httpRequests.inc({ endpoint, status: String(status) }),
    stop() {
      for (const unsubscribe of off.splice(0)) unsubscribe();
    },
  };
}

/** `GET /metrics`: the Prometheus text format (version 0.0.4). */
async function serve(
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
  url: MountedUrl,
): Promise<void> {
  if (url.path !== METRICS_PATH) throw new ApiError(HttpStatus.not_found, `Not found: ${url.path}`);
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    throw new ApiError(HttpStatus.method_not_allowed, `${method} not allowed on ${url.path}`, {
      allow: 'GET, HEAD',
    });
  }
  const text = await registry.metrics();
  res.writeHead(HttpStatus.ok, {
    'content-type': registry.contentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
