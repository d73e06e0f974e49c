/**
 * What every client needs to reach one app on a herald (pusher-fake's `javascript` helper, for
 * every language): pusher-js options, `pusher` SDK options, the environment variables the
 * server SDKs and Laravel read, and renderings of those as JSON, a JS snippet and a `.env` block.
 * `herald client-config`, `startHerald().clientConfig` and `GET /__herald/client-config` all
 * print this.
 */
import { pusherJsOptions, pusherSdkOptions, urlHost } from '../apps/client-options.js';
import type { App } from '../apps/app.js';
import type { HeraldAddress } from '../herald.js';

export type ClientApp = Pick<App, 'id' | 'key' | 'secret'>;

export interface ClientConfig {
  readonly app: ClientApp;
  /** `new Pusher(pusherJs.key, pusherJs.options)` in the browser or Node (pusher-js). */
  readonly pusherJs: { readonly key: string; readonly options: ReturnType<typeof pusherJsOptions> };
  /** `new Pusher(pusher)` with the `pusher` Node SDK. */
  readonly pusher: ReturnType<typeof pusherSdkOptions>;
  /**
   * `PUSHER_*` as Laravel's `.env` names them (its `config/broadcasting.php` reads them for the
   * PHP SDK), plus `PUSHER_URL`, which the Ruby gem reads on its own and the Node and Python
   * SDKs take through `Pusher.forURL` / `Pusher.from_url`.
   */
  readonly env: Readonly<Record<string, string>>;
}

/** Hosts a client can connect to: a wildcard bind address means this machine. */
export function reachableHost(bound: string): string {
  if (bound === '0.0.0.0' || bound === '::' || bound === '') return '127.0.0.1';
  return bound;
}

export interface ClientConfigOptions {
  /** WebSocket path prefix (`path` option; pusher-js `wsPath`). */
  readonly path?: string;
  /** The host clients use instead of the bound one (a Docker service name, say). */
  readonly host?: string;
  /** The server serves TLS: `wss://` and `https://` (default false). */
  readonly tls?: boolean;
}

/** The client configuration of `app` on a server listening at `address`. */
export function clientConfig(
  app: App,
  address: HeraldAddress,
  options: ClientConfigOptions = {},
): ClientConfig {
  const ws = {
    host: urlHost(options.host ?? reachableHost(address.websocket.host)),
    port: address.websocket.port,
  };
  const api = {
    host: urlHost(options.host ?? reachableHost(address.api.host)),
    port: address.api.port,
  };
  const credentials = `${encodeURIComponent(app.key)}:${encodeURIComponent(app.secret)}`;
  const tls = options.tls ?? false;
  const scheme = tls ? 'https' : 'http';
  const pusherJs = pusherJsOptions(ws, options.path, tls);
  return {
    app: { id: app.id, key: app.key, secret: app.secret },
    pusherJs: { key: app.key, options: pusherJs },
    pusher: pusherSdkOptions(app, api, tls),
    env: {
      PUSHER_APP_ID: app.id,
      PUSHER_APP_KEY: app.key,
      PUSHER_APP_SECRET: app.secret,
      PUSHER_HOST: api.host,
      PUSHER_PORT: String(api.port),
      PUSHER_SCHEME: scheme,
      // Laravel builds `api-{cluster}.pusher.com` when PUSHER_HOST is missing: with this one
      // (pusher-js's dummy) a forgotten variable fails to resolve instead of reaching Pusher.
      PUSHER_APP_CLUSTER: pusherJs.cluster,
      PUSHER_URL: `${scheme}://${credentials}@${api.host}:${api.port}/apps/${encodeURIComponent(app.id)}`,
    },
  };
}

export const clientConfigFormats = ['json', 'js', 'env', 'dotenv'] as const;
export type ClientConfigFormat = (typeof clientConfigFormats)[number];

/** The configuration as text: `json` (everything), `js`, `env` (KEY=value lines) or `dotenv`. */
export function formatClientConfig(config: ClientConfig, format: ClientConfigFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(config, null, 2)}\n`;
    case 'js':
      return jsSnippet(config);
    case 'env':
      return envLines(config.env);
    case 'dotenv':
      return dotenvBlock(config);
  }
}

function jsSnippet({ pusherJs, pusher }: ClientConfig): string {
  const options = JSON.stringify(pusherJs.options, null, 2);
  return [
    '// pusher-js, in the browser or in Node: `import Pusher from "pusher-js"`',
    `const pusher = new Pusher(${JSON.stringify(pusherJs.key)}, ${options});`,
    '',
    '// the pusher server SDK for Node: `import PusherServer from "pusher"`',
    `const pusherServer = new PusherServer(${JSON.stringify(pusher, null, 2)});`,
    '',
  ].join('\n');
}

/**
 * A value as a `.env` file and a POSIX shell both read it: bare when plain, else in single
 * quotes (nothing expands inside them, in phpdotenv, dotenv or sh), else — when it holds a
 * single quote itself — in double quotes with `\ " $ \`` escaped, which both also undo.
 */
function quote(value: string): string {
  if (/^[A-Za-z0-9_.:/@%+,-]*$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/[\\"$`]/g, '\\$&')}"`;
}

const envLines = (env: Readonly<Record<string, string>>) =>
  Object.entries(env)
    .map(([name, value]) => `${name}=${quote(value)}\n`)
    .join('');

function dotenvBlock(config: ClientConfig): string {
  const ws = config.pusherJs.options;
  const browser = {
    VITE_PUSHER_APP_KEY: config.app.key,
    VITE_PUSHER_HOST: ws.wsHost,
    VITE_PUSHER_PORT: String(ws.wsPort),
    VITE_PUSHER_SCHEME: ws.forceTLS ? 'https' : 'http',
    VITE_PUSHER_APP_CLUSTER: ws.cluster,
  };
  return [
    '# herald: the server SDKs (Laravel reads PUSHER_*; the Ruby gem reads PUSHER_URL)',
    'BROADCAST_CONNECTION=pusher',
    'BROADCAST_DRIVER=pusher',
    envLines(config.env).trimEnd(),
    '',
    '# herald: pusher-js / Laravel Echo through Vite (enabledTransports: ["ws", "wss"])',
    envLines(browser).trimEnd(),
    '',
  ].join('\n');
}
