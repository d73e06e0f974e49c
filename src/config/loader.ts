/**
 * The one reader of configuration sources: defaults < JSON config file < environment < flags,
 * merged into one input and validated once by the schema. Nothing else in herald reads
 * `process.env`.
 */
import { readFileSync } from 'node:fs';
import {
  appsOf,
  ConfigError,
  parseConfig,
  type AppConfig,
  type HeraldConfig,
  type HeraldOptions,
} from './schema.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** `list`: comma-separated, blanks around the commas ignored. */
type Kind = 'string' | 'integer' | 'boolean' | 'list';

interface EnvironmentVariable {
  /** Read in order; the first one set wins, so `HERALD_*` beats the `PUSHER_*` spellings. */
  readonly names: readonly [string, ...string[]];
  readonly kind: Kind;
}

/**
 * The options the environment can set. `PUSHER_*` are the names apps already export for their
 * own SDK (Laravel's `.env` uses `PUSHER_APP_*`), so herald can start from the same file.
 */
export const environmentVariables = {
  host: { names: ['HERALD_HOST'], kind: 'string' },
  port: { names: ['HERALD_PORT'], kind: 'integer' },
  socketHost: { names: ['HERALD_SOCKET_HOST'], kind: 'string' },
  socketPort: { names: ['HERALD_SOCKET_PORT'], kind: 'integer' },
  webHost: { names: ['HERALD_WEB_HOST'], kind: 'string' },
  webPort: { names: ['HERALD_WEB_PORT'], kind: 'integer' },
  tlsCert: { names: ['HERALD_TLS_CERT'], kind: 'string' },
  tlsKey: { names: ['HERALD_TLS_KEY'], kind: 'string' },
  appId: { names: ['HERALD_APP_ID', 'PUSHER_APP_ID'], kind: 'string' },
  key: { names: ['HERALD_APP_KEY', 'PUSHER_APP_KEY', 'PUSHER_KEY'], kind: 'string' },
  secret: { names: ['HERALD_APP_SECRET', 'PUSHER_APP_SECRET', 'PUSHER_SECRET'], kind: 'string' },
  clientEvents: { names: ['HERALD_CLIENT_EVENTS'], kind: 'boolean' },
  config: { names: ['HERALD_CONFIG'], kind: 'string' },
  logLevel: { names: ['HERALD_LOG_LEVEL'], kind: 'string' },
  webhookUrl: { names: ['HERALD_WEBHOOK_URL'], kind: 'list' },
  adapter: { names: ['HERALD_ADAPTER'], kind: 'string' },
  redisUrl: { names: ['HERALD_REDIS_URL'], kind: 'string' },
  redisPrefix: { names: ['HERALD_REDIS_PREFIX'], kind: 'string' },
  nodeTimeout: { names: ['HERALD_NODE_TIMEOUT'], kind: 'integer' },
  dev: { names: ['HERALD_DEV'], kind: 'boolean' },
  recordLimit: { names: ['HERALD_RECORD_LIMIT'], kind: 'integer' },
  metrics: { names: ['HERALD_METRICS'], kind: 'boolean' },
  console: { names: ['HERALD_CONSOLE'], kind: 'boolean' },
  consoleToken: { names: ['HERALD_CONSOLE_TOKEN'], kind: 'string' },
  consoleRows: { names: ['HERALD_CONSOLE_ROWS'], kind: 'integer' },
} as const satisfies Partial<Record<keyof HeraldOptions, EnvironmentVariable>>;

/** The options that make up the default app; given by env or flags they add it next to `apps`. */
const defaultAppOptions = ['appId', 'key', 'secret', 'clientEvents'] as const;

/** A whole decimal integer (`"6001"`); `"6001abc"`, `"1.5"` and `"0x10"` are refused. */
export function parseInteger(text: string): number | undefined {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
}

/** `a, b,c` → `['a', 'b', 'c']`; empty items are dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `true`/`false`/`1`/`0`, in any case. */
export function parseBoolean(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

function convert(name: string, text: string, kind: Kind): string | string[] | number | boolean {
  if (kind === 'string') return text;
  if (kind === 'list') return parseList(text);
  const value = kind === 'integer' ? parseInteger(text) : parseBoolean(text);
  if (value !== undefined) return value;
  const expected = kind === 'integer' ? 'an integer' : 'true, false, 1 or 0';
  throw invalid(`${name}: expected ${expected}, got ${JSON.stringify(text)}`);
}

/**
 * The options set in `env`, converted to their types. An empty variable counts as unset (compose
 * files and CI often export `NAME=` to mean "not given"). Throws ConfigError naming the variable.
 */
export function readEnvironment(env: Environment): HeraldOptions {
  const options: Record<string, unknown> = {};
  for (const [option, { names, kind }] of Object.entries(environmentVariables)) {
    const name = names.find((candidate) => (env[candidate] ?? '') !== '');
    if (name !== undefined) options[option] = convert(name, env[name]!, kind);
  }
  return options;
}

/** The options in a JSON config file (keys are the schema's). Throws ConfigError naming the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw invalid(`config file ${path}: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = jsonErrorAt(text);
    // V8 quotes the text around the error, newlines included: keep the message on one line.
    const reason = (error as Error).message.replace(/\r?\n/g, '\\n');
    throw invalid(`config file ${path}: not valid JSON at ${where} (${reason})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`config file ${path}: expected a JSON object of options`);
  }
  return value as Record<string, unknown>;
}

/**
 * `line L, column C` of the first character that cannot continue valid JSON. Node 20's
 * JSON.parse names no position for some errors (a trailing comma among them), so the longest
 * prefix that could still become valid JSON is found by bisection.
 */
function jsonErrorAt(text: string): string {
  const viable = (prefix: string) => {
    try {
      JSON.parse(prefix);
      return true;
    } catch (error) {
      const at = /at position (\d+)/.exec((error as Error).message);
      // An error at the very end only means the prefix stops early.
      if (at !== null) return Number(at[1]) >= prefix.length;
      return (error as Error).message === 'Unexpected end of JSON input';
    }
  };
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (viable(text.slice(0, middle))) low = middle;
    else high = middle - 1;
  }
  const lines = text.slice(0, low).split('\n');
  return `line ${lines.length}, column ${lines.at(-1)!.length + 1}`;
}

export interface ConfigSources {
  /** Options given as command-line flags, already typed; they win over everything. */
  readonly flags?: HeraldOptions;
  /** Environment variables (default: `process.env`). */
  readonly env?: Environment;
}

/**
 * Reads the config file named by `flags.config` or `HERALD_CONFIG`, the environment and the
 * flags, and validates the result. When the file lists `apps` and the env or flags also give a
 * default-app option (app id, key, secret, client events), that default app is served first,
 * ahead of the file's apps; `webhookUrl` alone (which configures the default app) is refused
 * then. Throws ConfigError naming the bad option, variable or file.
 */
export function loadConfig({ flags = {}, env = process.env }: ConfigSources = {}): HeraldConfig {
  const fromEnv = readEnvironment(env);
  const path = flags.config ?? fromEnv.config;
  const fromFile = path === undefined ? {} : readConfigFile(path);
  // Validated before the default app is added, so `apps.N` in a message is the file's N.
  const config = validate({ ...fromFile, ...fromEnv, ...flags }, path);
  if (config.apps === undefined) return config;

  const given: HeraldOptions = { ...fromEnv, ...flags };
  if (defaultAppOptions.every((option) => given[option] === undefined)) {
    // Adding a default app (well-known credentials) just to carry a URL would surprise more
    // than it helps; the file's apps say where their webhooks go.
    if (config.webhookUrl !== undefined) {
      throw invalid(
        'webhookUrl: sets webhooks of the default app (--webhook-url, HERALD_WEBHOOK_URL), but ' +
          'the config file lists apps: give each app "webhooks" in the file instead, or name ' +
          'the default app too (--app-id, --key, --secret)',
      );
    }
    return config;
  }
  const [defaultApp] = appsOf({ ...config, apps: undefined }) as [AppConfig];
  for (const [index, app] of config.apps.entries()) {
    if (app.id === defaultApp.id) throw clash('appId', `app id ${quote(app.id)}`, index);
    if (app.key === defaultApp.key) throw clash('key', `app key ${quote(app.key)}`, index);
  }
  return { ...config, apps: [defaultApp, ...config.apps] };
}

function validate(input: unknown, path: string | undefined): HeraldConfig {
  try {
    return parseConfig(input);
  } catch (error) {
    // An unknown key can only come from the file; say which file the options were read from.
    if (path === undefined || !(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${error.message}\n  (options read from config file ${path})`);
  }
}

function invalid(line: string): ConfigError {
  return new ConfigError(`Invalid configuration:\n  ${line}`);
}

const quote = (text: string) => JSON.stringify(text);

function clash(option: string, what: string, index: number): ConfigError {
  return invalid(
    `${option}: the default app (from the environment or flags) has ${what}, ` +
      `which apps.${index} of the config file also has`,
  );
}
