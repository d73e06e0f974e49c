/**
 * The one declaration of every option: type, default and doc. The loader merges
 * defaults < config file < environment < flags into one input and validates it here once;
 * nothing else reads configuration sources.
 */
import { z } from 'zod';
import { webhookEventNames } from '../webhooks/events.js';

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();
const bytes = z.number().int().positive();

const milliseconds = (max: number) => z.number().int().min(0).max(max);

/** An absolute http:// or https:// URL. */
const httpUrl = z.string().refine((text) => {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}, 'must be an absolute http:// or https:// URL');

/** Headers herald sets itself on every webhook: the body's framing and its signature. */
const reservedHeaders = [
  'content-type',
  'content-length',
  'x-pusher-key',
  'x-pusher-signature',
  'host',
  'connection',
  'transfer-encoding',
];

export const webhookSchema = z
  .object({
    /** Where the POST goes. */
    url: httpUrl,
    /** The event names this URL receives (default: all of them). */
    events: z.array(z.enum(webhookEventNames)).min(1).optional(),
    /** Extra request headers (e.g. a shared token), sent with exactly this capitalisation. */
    headers: z
      .record(
        z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'),
        z
          .string()
          .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be printable Latin-1 (no control characters)'),
      )
      .optional(),
  })
  .strict()
  .superRefine((webhook, context) => {
    for (const name of Object.keys(webhook.headers ?? {})) {
      if (reservedHeaders.includes(name.toLowerCase())) {
        context.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `${name} is set by herald and cannot be configured`,
        });
      }
    }
  });

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const appSchema = z
  .object({
    /** App id: the `/apps/{id}` of the HTTP API and the SDK's `appId`. */
    id: z.string().min(1),
    /** Public key: the `/app/{key}` of the WebSocket URL and the pusher-js constructor argument. */
    key: z.string().min(1),
    /** Signs channel auth, REST requests and webhooks. Never sent to clients. */
    secret: z.string().min(1),
    /** A disabled app refuses connections (4003) and REST calls (403). */
    enabled: z.boolean().default(true),
    /** Allow `client-*` events on private and presence channels. */
    clientEvents: z.boolean().default(true),
    /** Concurrent connections allowed; beyond it new connections are closed with 4004. */
    maxConnections: z.number().int().positive().nullable().default(null),
    /** Bytes of `data` per REST-triggered event (Pusher: 10 KB); larger is refused with 413. */
    maxEventDataBytes: bytes.default(10_240),
    /** Bytes of `data` per client event (Pusher: 10 KB). */
    maxClientEventBytes: bytes.default(10_240),
    /** Client events accepted per connection per second (Pusher: 10); beyond it 4301. */
    clientEventRateLimit: z.number().int().positive().default(10),
    /** Channel name length (Pusher docs: 164; the SDKs allow 200). */
    maxChannelNameLength: z.number().int().min(1).max(1000).default(164),
    /** Event name length (Pusher: 200). */
    maxEventNameLength: z.number().int().min(1).max(1000).default(200),
    /** Channels per trigger (Pusher: 100). */
    maxChannelsPerTrigger: z.number().int().min(1).max(1000).default(100),
    /** Events per batch trigger (Pusher: 10). */
    maxBatchSize: z.number().int().min(1).max(1000).default(10),
    /** Distinct users per presence channel (Pusher: 100); beyond it subscriptions are refused. */
    maxPresenceMembers: z.number().int().positive().default(100),
    /** Characters of a presence or signed-in user id (Pusher: 128). */
    maxUserIdLength: z.number().int().positive().default(128),
    /** Bytes of a member's serialized `user_info` (Pusher: 1 KB). */
    maxUserInfoBytes: bytes.default(1024),
    /** User ids per signin watchlist (Pusher: 100); the rest are dropped with `pusher:error` 4302. */
    maxWatchlistSize: z.number().int().positive().default(100),
    /** Seconds a cache channel keeps its last REST-triggered event (Pusher: up to 30 minutes). */
    cacheTtl: seconds.default(1800),
    /** Send `pusher_internal:subscription_count` to subscribers of non-presence channels. */
    subscriptionCount: z.boolean().default(false),
    /** Webhook URLs (PROTOCOL.md §6), each with the events it wants and extra headers. */
    webhooks: z.array(webhookSchema).default([]),
  })
  .strict();

export const configSchema = z
  .object({
    /** Address to listen on (WebSocket and HTTP API). */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port of the WebSocket endpoint `/app/{key}` and the HTTP API `/apps/{id}/...`; 0 picks one. */
    port: port.default(6001),
    /** pusher-fake compatible: address/port of the WebSocket endpoint (default: host/port). */
    socketHost: z.string().min(1).optional(),
    socketPort: port.optional(),
    /** pusher-fake compatible: address/port of the HTTP API (default: host/port). */
    webHost: z.string().min(1).optional(),
    webPort: port.optional(),
    /**
     * TLS: PEM certificate file (the chain after it, as a CA issues a `fullchain.pem`). With
     * `tlsKey`, every port serves `https://` and `wss://`; read once, when the server starts.
     */
    tlsCert: z.string().min(1).optional(),
    /** TLS: PEM private key file of `tlsCert`, unencrypted. */
    tlsKey: z.string().min(1).optional(),
    /** Default app id (used when the config file lists no `apps`). */
    appId: z.string().min(1).default('app-id'),
    /** Default app key. */
    key: z.string().min(1).default('app-key'),
    /** Default app secret. */
    secret: z.string().min(1).default('app-secret'),
    /** Client events for the default app. */
    clientEvents: z.boolean().default(true),
    /** Webhook URLs of the default app, each receiving every event type. */
    webhookUrl: z.array(httpUrl).optional(),
    /** Several apps on one server; replaces the default app. */
    apps: z.array(appSchema).min(1).optional(),
    /** JSON config file the other options were read from (informational once loaded). */
    config: z.string().optional(),
    /** Structured log level; logs are JSON, or human-readable when stdout is a TTY. */
    logLevel: z.enum(logLevels).default('info'),
    /** Prefix before `/app/{key}` (pusher-js `wsPath`), e.g. `/ws`. */
    path: z
      .string()
      .regex(/^(\/[^/?#]+)*$/, 'must be empty or start with / and not end with /')
      .default(''),
    /** Seconds of silence before the server probes a connection; announced to clients. */
    activityTimeout: seconds.max(3600).default(120),
    /** Seconds to wait for any frame after a probe before closing with 4201. */
    pongTimeout: seconds.max(600).default(30),
    /** Accept connections without `?protocol=` (hand-written clients) instead of closing 4008. */
    allowMissingProtocol: z.boolean().default(false),
    /** Largest inbound WebSocket message in bytes; larger closes with 1009. */
    maxMessageBytes: bytes.default(65_536),
    /**
     * Bytes a connection may have waiting to be sent (a client that stops reading, a slow
     * network); past it the connection is closed with 4100 and nothing more is queued for it.
     */
    maxSendBufferBytes: bytes.min(65_536).default(1_048_576),
    /** Largest HTTP request body in bytes; larger is refused with 413. */
    maxRequestBodyBytes: bytes.default(1_048_576),
    /** Milliseconds a graceful stop may take before remaining sockets are cut. */
    shutdownTimeout: z.number().int().min(0).max(60_000).default(4000),
    /** Where channel state lives: `local` (this process, in memory) or `redis` (a cluster). */
    adapter: z.enum(['local', 'redis']).default('local'),
    /** Redis for the `redis` adapter: `redis://[user:password@]host:port[/db]` or `rediss://`. */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and topic, so several clusters can share one Redis. */
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .default('herald'),
    /** Seconds after which a silent node is dead and its connections' state is removed. */
    nodeTimeout: z.number().min(1).max(3600).default(30),
    /**
     * Milliseconds a webhook batch stays open after its first event, per app and URL; its events
     * go in one request, in order. 0 sends every event in a request of its own.
     */
    webhookBatchMs: milliseconds(60_000).default(50),
    /**
     * Milliseconds `channel_vacated` and `member_removed` webhooks wait for the channel to be
     * occupied again (or the member to return); if it is, neither the removal nor the new
     * `channel_occupied`/`member_added` is sent (Pusher: 3 s). 0 sends them at once.
     */
    vacateDelayMs: milliseconds(600_000).default(3000),
    /** Milliseconds a webhook request may take before it counts as failed (Pusher: 4 s). */
    webhookTimeoutMs: milliseconds(600_000).min(1).default(4000),
    /**
     * Milliseconds after a webhook's first attempt during which failures (non-2xx, timeout,
     * network error) are retried (Pusher: 5 minutes); then it is given up. 0: no retries.
     */
    webhookRetryWindowMs: milliseconds(86_400_000).default(300_000),
    /** Milliseconds before the first retry; each further one waits twice as long, up to 60 s. */
    webhookRetryDelayMs: milliseconds(3_600_000).min(1).default(1000),
    /**
     * Webhook batches held per URL (waiting, in flight or between retries); beyond it new ones
     * are dropped, logged and counted.
     */
    webhookQueueSize: z.number().int().positive().default(1000),
    /** Webhook requests in flight per URL at once. */
    webhookConcurrency: z.number().int().min(1).max(100).default(2),
    /**
     * Testing mode: the control API under `/__herald/` (reset, recorded events, waits, channels,
     * disconnects, refusals; docs/testing.md) and recording. Not for production: whoever reaches
     * the port can disconnect every client. Bound to an address other than loopback, every
     * control request must be signed like a REST call, with the first app's credentials.
     */
    dev: z.boolean().default(false),
    /**
     * Record REST triggers, client events, subscriptions, connections and webhook attempts for
     * tests to query and wait for. Default: on with `dev`, off otherwise (then it costs nothing).
     */
    record: z.boolean().optional(),
    /** Records kept; beyond it the oldest are dropped, so a long session stays bounded. */
    recordLimit: z.number().int().min(1).max(1_000_000).default(10_000),
    /**
     * Prometheus metrics at `GET /metrics` on the API port, unauthenticated like `/ready`: keep
     * that port away from the public, or turn this off. Off: `/metrics` is 404 and nothing is
     * counted.
     */
    metrics: z.boolean().default(true),
    /**
     * The debug console at `/console` on the HTTP API port: per app, a live log of connections,
     * subscriptions, messages and webhooks, the occupied channels and an event creator. On by
     * default, which is safe: on a loopback address only this machine reaches it, and bound
     * beyond loopback every visitor must sign in with an app's key and secret (or
     * `consoleToken`), checked on the server. Off (`--no-console`) where nobody should watch.
     */
    console: z.boolean().default(true),
    /**
     * A shared secret that signs in to every app's console page. Setting it makes signing in
     * required on loopback too.
     */
    consoleToken: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * Console rows per app: the recent events the server keeps for a page opened later, and
     * the most a page shows (the oldest rows go first).
     */
    consoleRows: z.number().int().min(10).max(100_000).default(1000),
  })
  .strict()
  .superRefine((config, context) => {
    // Half a TLS setup would serve plain HTTP to clients told to expect TLS.
    if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
      const [missing, given] =
        config.tlsCert === undefined ? ['tlsCert', 'tlsKey'] : ['tlsKey', 'tlsCert'];
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: `must be given with ${given} (TLS needs the certificate and its private key)`,
      });
    }
    // Keys route WebSocket connections and ids route REST calls: each must name one app.
    for (const field of ['id', 'key'] as const) {
      const seen = new Map<string, number>();
      for (const [index, app] of (config.apps ?? []).entries()) {
        const earlier = seen.get(app[field]);
        if (earlier !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['apps', index, field],
            message: `app ${field} "${app[field]}" is also apps.${earlier}'s`,
          });
        }
        seen.set(app[field], index);
      }
    }
  });

/** Options as a caller writes them (everything optional). */
export type HeraldOptions = z.input<typeof configSchema>;
/** Options after validation, with every default applied. */
export type HeraldConfig = z.output<typeof configSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type AppOptions = z.input<typeof appSchema>;

/**
 * Validates merged options. Throws a {@link ConfigError} whose message names every bad option
 * by its path (`apps.1.secret: …`).
 */
export function parseConfig(input: unknown): HeraldConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The apps a config serves: `apps`, or the single default app built from the top-level options. */
export function appsOf(config: HeraldConfig): AppConfig[] {
  if (config.apps !== undefined) return config.apps;
  return [
    appSchema.parse({
      id: config.appId,
      key: config.key,
      secret: config.secret,
      clientEvents: config.clientEvents,
      webhooks: (config.webhookUrl ?? []).map((url) => ({ url })),
    }),
  ];
}
