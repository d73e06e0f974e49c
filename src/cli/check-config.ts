/**
 * `herald check-config <file>`: validates a config file exactly as `herald start --config <file>`
 * reads it, without starting anything. Only the file counts: the environment and flags, which
 * `start` applies on top of it, are left out so that the verdict is the file's own.
 */
import { loadConfig } from '../config/loader.js';
import { appsOf, ConfigError } from '../config/schema.js';

export interface CheckConfigResult {
  /** 0 when the file is valid, 1 otherwise. */
  readonly code: number;
  /** The summary (valid) or every problem, each naming its option (invalid). */
  readonly text: string;
}

export const checkConfigHelp = `
The file is read as \`herald start --config <file>\` reads it, but environment variables
(HERALD_*, PUSHER_*) and flags are not applied: \`start\` would apply them on top of the file.
Every problem is printed with the option's path (apps.1.secret: ...); unknown options are
problems too. Exit code 0 when the file is valid, 1 otherwise.`;

export function checkConfig(path: string): CheckConfigResult {
  let config;
  try {
    config = loadConfig({ flags: { config: path }, env: {} });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { code: 1, text: `herald check-config: ${path} is not valid.\n${error.message}\n` };
  }
  const apps = appsOf(config);
  const ids = apps.map((app) => JSON.stringify(app.id)).join(', ');
  const where = (host: string | undefined, port: number | undefined) =>
    `${host ?? config.host}:${port ?? config.port}`;
  const websocket = where(config.socketHost, config.socketPort);
  const api = where(config.webHost, config.webPort);
  const listen =
    websocket === api ? `listens on ${api}` : `WebSocket on ${websocket}, HTTP API on ${api}`;
  const lines = [
    `${path} is valid.`,
    `  ${apps.length === 1 ? '1 app' : `${apps.length} apps`} (id ${ids})` +
      `${config.apps === undefined ? ', the default app' : ''}`,
    `  ${listen}, adapter ${config.adapter}${config.dev ? ', testing mode (dev)' : ''}`,
    '  (environment variables and flags not applied; `herald start` applies them on top)',
  ];
  return { code: 0, text: `${lines.join('\n')}\n` };
}
