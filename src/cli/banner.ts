/**
 * What `herald start` prints once it listens: one line a person can copy credentials from, and
 * ready-to-paste client options for pusher-js and the server SDKs at debug level.
 */
import type { AppConfig, HeraldConfig } from '../config/schema.js';
import type { HeraldAddress } from '../herald.js';
import { urlHost } from '../apps/client-options.js';
import { isLoopback } from '../api/control.js';
import { signInRequired } from '../console/access.js';
import { CONSOLE_PREFIX } from '../console/index.js';
import { clientConfig } from '../testing/client-config.js';

export interface Banner {
  readonly fields: object;
  readonly message: string;
}

/**
 * `herald listening on http://… (ws://…/app/{key}) app-id=… key=… secret=…` for the first app
 * (`https://` and `wss://` with TLS).
 */
export function startLine(
  config: HeraldConfig,
  address: HeraldAddress,
  apps: readonly AppConfig[],
): Banner {
  const app = apps[0]!;
  const tls = config.tlsCert !== undefined;
  const api = `${tls ? 'https' : 'http'}://${urlHost(address.api.host)}:${address.api.port}`;
  const { host, port } = address.websocket;
  const ws = `${tls ? 'wss' : 'ws'}://${urlHost(host)}:${port}${config.path}`;
  const more = apps.length > 1 ? ` (+${apps.length - 1} more in the config file)` : '';
  return {
    // Two short fields: pino-pretty prints one line per field, and scripts can `new URL()` them.
    fields: { api, websocket: ws },
    message:
      `herald listening on ${api} (${ws}/app/${app.key}) ` +
      `app-id=${app.id} key=${app.key} secret=${app.secret}${more}`,
  };
}

/** Where the debug console is and who may open it; undefined when it is off. */
export function consoleLine(config: HeraldConfig, address: HeraldAddress): Banner | undefined {
  if (!config.console) return undefined;
  const url = `http://${urlHost(address.api.host)}:${address.api.port}${CONSOLE_PREFIX}`;
  const access = signInRequired(address.api.host, config.consoleToken, isLoopback)
    ? "sign in with an app's key and secret or the console token"
    : 'open to this machine only';
  return {
    fields: { console: url },
    message: `debug console at ${url} (${access}; --no-console turns it off)`,
  };
}

/**
 * `new Pusher(key, {...})` for pusher-js and `new Pusher({...})` for the Node server SDK, from the
 * same client configuration `herald client-config` prints (a wildcard bind becomes 127.0.0.1).
 */
export function clientSnippets(
  config: HeraldConfig,
  address: HeraldAddress,
  app: AppConfig,
): Banner[] {
  const { pusherJs: client, pusher } = clientConfig(app, address, {
    path: config.path,
    tls: config.tlsCert !== undefined,
  });
  const pusherJs = client.options;
  return [
    {
      fields: { pusherJs },
      message: `pusher-js: new Pusher(${JSON.stringify(client.key)}, ${JSON.stringify(pusherJs)})`,
    },
    { fields: { pusher }, message: `pusher (Node SDK): new Pusher(${JSON.stringify(pusher)})` },
  ];
}
