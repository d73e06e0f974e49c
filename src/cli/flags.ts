/**
 * The flags of `herald start`. Types and defaults come from the schema, variable names from the
 * loader; this table adds only the spelling on the command line and the help line.
 */
import { InvalidArgumentError, Option } from 'commander';
import { environmentVariables, parseInteger } from '../config/loader.js';
import { configSchema, logLevels, type HeraldOptions } from '../config/schema.js';

type FlagOption = keyof typeof environmentVariables;

interface Flag {
  readonly option: FlagOption;
  /** Commander's spelling; the long name must be the option's name in kebab-case. */
  readonly flags: string;
  readonly description: string;
  /** What the help shows as the default when the schema has none to show. */
  readonly defaultText?: string;
}

/** Options that are not set anywhere still print their schema default in the help. */
const defaults: Partial<Record<string, unknown>> = configSchema.parse({});

export const startFlags: readonly Flag[] = [
  { option: 'host', flags: '--host <host>', description: 'address to listen on' },
  {
    option: 'port',
    flags: '--port <port>',
    description: 'port of the WebSocket endpoint and the HTTP API; 0 picks a free one',
  },
  {
    option: 'tlsCert',
    flags: '--tls-cert <file>',
    description: 'PEM certificate: with --tls-key, every port serves https:// and wss://',
    defaultText: 'none',
  },
  {
    option: 'tlsKey',
    flags: '--tls-key <file>',
    description: 'PEM private key of --tls-cert (unencrypted)',
    defaultText: 'none',
  },
  {
    option: 'appId',
    flags: '-i, --app-id <id>',
    description: 'id of the default app (pusher-fake spells it --id, also accepted)',
  },
  { option: 'key', flags: '-k, --key <key>', description: 'key of the default app' },
  { option: 'secret', flags: '-s, --secret <secret>', description: 'secret of the default app' },
  {
    option: 'clientEvents',
    flags: '--no-client-events',
    description: 'refuse client-* events for the default app',
    defaultText: 'client events on',
  },
  {
    option: 'config',
    flags: '--config <file>',
    description: 'JSON config file',
    defaultText: 'none',
  },
  { option: 'logLevel', flags: '--log-level <level>', description: 'log level' },
  {
    option: 'webhookUrl',
    flags: '--webhook-url <url>',
    description: 'webhook URL of the default app, all events; repeatable (comma-separated in env)',
    defaultText: 'none',
  },
  {
    option: 'adapter',
    flags: '--adapter <adapter>',
    description: 'where channel state lives: local (in memory) or redis (several nodes)',
  },
  {
    option: 'redisUrl',
    flags: '--redis-url <url>',
    description: 'Redis for --adapter redis (redis:// or rediss://, password in the URL)',
  },
  { option: 'redisPrefix', flags: '--redis-prefix <prefix>', description: 'prefix of Redis keys' },
  {
    option: 'nodeTimeout',
    flags: '--node-timeout <seconds>',
    description: 'seconds after which a silent node is dead and its state is removed',
  },
  {
    option: 'dev',
    flags: '--dev',
    description:
      'testing mode: control API under /__herald/ (reset, recorded events, disconnects) and ' +
      'recording; never in production',
  },
  {
    option: 'recordLimit',
    flags: '--record-limit <count>',
    description: 'events recorded in testing mode; beyond it the oldest are dropped',
  },
  {
    option: 'metrics',
    flags: '--no-metrics',
    description: 'do not serve Prometheus metrics at /metrics on the API port',
    defaultText: 'metrics on',
  },
  {
    option: 'console',
    flags: '--no-console',
    description: 'do not serve the debug console at /console (--console turns it on)',
    defaultText: 'on; sign-in required beyond loopback',
  },
  {
    option: 'consoleToken',
    flags: '--console-token <token>',
    description: 'a secret that signs in to every app of the console, also on loopback',
    defaultText: 'none',
  },
  {
    option: 'consoleRows',
    flags: '--console-rows <count>',
    description: 'events the console keeps per app and shows at most; the oldest go first',
  },
  {
    option: 'socketHost',
    flags: '--socket-host <host>',
    description: 'pusher-fake alias: address of the WebSocket endpoint',
    defaultText: '--host',
  },
  {
    option: 'socketPort',
    flags: '--socket-port <port>',
    description: 'pusher-fake alias: port of the WebSocket endpoint',
    defaultText: '--port',
  },
  {
    option: 'webHost',
    flags: '--web-host <host>',
    description: 'pusher-fake alias: address of the HTTP API',
    defaultText: '--host',
  },
  {
    option: 'webPort',
    flags: '--web-port <port>',
    description: 'pusher-fake alias: port of the HTTP API',
    defaultText: '--port',
  },
];

/** Commander's parser for an integer flag value (`--port 60x1` is refused, naming the flag). */
export function integerArgument(text: string): number {
  const value = parseInteger(text);
  if (value === undefined) throw new InvalidArgumentError('expected an integer.');
  return value;
}

/** A repeatable flag: each occurrence adds one value. */
function appendArgument(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}

function helpLine({ option, flags, description, defaultText }: Flag): string {
  const { names } = environmentVariables[option];
  // A `--no-…` flag turns a default-on option off; its variable does that when false.
  const env = flags.startsWith('--no-') ? `${names[0]}=false` : names.join(', ');
  const fallback = defaultText ?? String(defaults[option]);
  return `${description} (env: ${env}; default: ${fallback})`;
}

/** The commander options, without commander defaults so that unset flags stay unset. */
export function startOptions(): Option[] {
  const options = startFlags.map((flag) => {
    const option = new Option(flag.flags, helpLine(flag));
    const { kind } = environmentVariables[flag.option];
    if (kind === 'integer') option.argParser(integerArgument);
    if (kind === 'list') option.argParser(appendArgument);
    if (flag.option === 'logLevel') option.choices(logLevels);
    if (flag.option === 'adapter') option.choices(['local', 'redis']);
    return option;
  });
  // Commander allows one long name per option; pusher-fake's `--id` is a second, hidden one.
  // `--console` sets the same option as `--no-console`, so it wins over HERALD_CONSOLE=false.
  return [...options, new Option('--id <id>').hideHelp(), new Option('--console').hideHelp()];
}

/** The flags the user actually typed, as options for the loader. */
export function givenFlags(
  values: Record<string, unknown>,
  sourceOf: (name: string) => string | undefined,
): HeraldOptions {
  const given: Record<string, unknown> = {};
  // Commander gives `--no-…` flags an implied `true` default; only typed flags count.
  for (const { option } of startFlags) {
    if (sourceOf(option) === 'cli') given[option] = values[option];
  }
  if (sourceOf('id') === 'cli') given['appId'] ??= values['id'];
  return given;
}
