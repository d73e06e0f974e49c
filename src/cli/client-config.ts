/**
 * `herald client-config`: prints, for the configuration `herald start` would run with (same
 * flags, environment and config file), what clients need — pusher-js options as JSON or a JS
 * snippet, `PUSHER_*` variables, or a `.env` block. Nothing is started: this reads the options.
 */
import { appsOf, ConfigError, type HeraldConfig } from '../config/schema.js';
import {
  clientConfig,
  formatClientConfig,
  type ClientConfigFormat,
} from '../testing/client-config.js';

export interface ClientConfigCommand {
  readonly format: ClientConfigFormat;
  /** The host clients connect to, when it is not the one herald binds (a Docker service…). */
  readonly clientHost?: string | undefined;
}

/** The text to print; ConfigError when the port is only known once the server runs. */
export function clientConfigText(config: HeraldConfig, command: ClientConfigCommand): string {
  const websocket = {
    host: config.socketHost ?? config.host,
    port: config.socketPort ?? config.port,
  };
  const api = { host: config.webHost ?? config.host, port: config.webPort ?? config.port };
  if (websocket.port === 0 || api.port === 0) {
    throw new ConfigError(
      'client-config: port 0 picks a free port when the server starts, so it is not known ' +
        'yet. Give a port, or ask the running server (herald start --dev): ' +
        'GET /__herald/client-config',
    );
  }
  const app = appsOf(config)[0]!;
  const options = {
    path: config.path,
    tls: config.tlsCert !== undefined,
    ...(command.clientHost === undefined ? {} : { host: command.clientHost }),
  };
  return formatClientConfig(clientConfig(app, { websocket, api }, options), command.format);
}
