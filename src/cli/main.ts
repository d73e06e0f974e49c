/**
 * The `herald` command line. Parsing only: options are read and validated by the config loader,
 * and a configuration mistake is a message on stderr and exit code 1, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config/loader.js';
import { appSchema, ConfigError, configSchema } from '../config/schema.js';
import { clientConfigFormats, type ClientConfigFormat } from '../testing/client-config.js';
import { checkConfig, checkConfigHelp } from './check-config.js';
import { clientConfigText } from './client-config.js';
import {
  DEFAULT_TIMEOUT_SECONDS,
  doctorHelp,
  doctorOptions,
  doctorTarget,
  runDoctor,
} from './doctor.js';
import { givenFlags, startOptions } from './flags.js';

const epilog = `
Precedence: defaults < --config file < environment < flags. An empty variable counts as unset;
HERALD_* wins over PUSHER_*.

Apps: without "apps" in the config file, herald serves one default app (--app-id, --key,
--secret, --no-client-events). With "apps", those are served; if the environment or flags also
set a default-app option, the default app is served too, ahead of them (its id and key must
differ from theirs).

Config file: a JSON object whose keys are the option names in camelCase:
${wrap(Object.keys(configSchema.shape))}
Each entry of "apps":
${wrap(Object.keys(appSchema.shape))}

Stopping: SIGTERM or SIGINT closes every connection with 4200 (clients reconnect at once),
finishes in-flight HTTP requests and exits 0. A second signal while stopping exits at once
with 1.`;

/** The words as indented, comma-separated lines of at most 90 columns. */
function wrap(words: readonly string[]): string {
  const lines = [''];
  for (const word of words) {
    if (lines.at(-1)!.length + word.length > 86) lines.push('');
    lines[lines.length - 1] += `${word}, `;
  }
  return lines
    .map((line) => `  ${line.trimEnd()}`)
    .join('\n')
    .replace(/,$/, '');
}

function version(): string {
  // Resolved from dist/src/cli/ to the package root.
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function program(setExitCode: (exitCode: number) => void): Command {
  const herald = new Command('herald')
    .description('A self-hosted server for the Pusher Channels protocol.')
    .version(version())
    .exitOverride();
  const start = herald
    .command('start')
    .description('start the server (WebSocket /app/{key} and HTTP API /apps/{id}/...)')
    .addHelpText('after', epilog)
    .action(async (values: Record<string, unknown>, command: Command) => {
      const config = loadConfig({
        flags: givenFlags(values, (name) => command.getOptionValueSource(name)),
      });
      // Loaded only to serve: the server's dependencies would slow down --help and bad options.
      const { runServer } = await import('./start.js');
      setExitCode(await runServer(config));
    });
  for (const option of startOptions()) start.addOption(option);

  const clientConfig = herald
    .command('client-config')
    .description(
      'print what clients need for the configuration `start` would run with (same flags, env ' +
        'and config file): pusher-js options, pusher SDK options, PUSHER_* variables',
    )
    .addOption(
      new Option(
        '--format <format>',
        'json: everything; js: snippets; env: PUSHER_* lines; dotenv: a .env block for Laravel',
      )
        .choices(clientConfigFormats)
        .default('json'),
    )
    .option(
      '--client-host <host>',
      'the host clients connect to (default: --host, and 127.0.0.1 for 0.0.0.0)',
    )
    .action((values: Record<string, unknown>, command: Command) => {
      const config = loadConfig({
        flags: givenFlags(values, (name) => command.getOptionValueSource(name)),
      });
      const text = clientConfigText(config, {
        format: values['format'] as ClientConfigFormat,
        clientHost: values['clientHost'] as string | undefined,
      });
      process.stdout.write(text);
    });
  for (const option of startOptions()) clientConfig.addOption(option);

  const doctor = herald
    .command('doctor')
    .description(
      'check a running server from the outside: reachable, /ready, a WebSocket with the key, ' +
        'a signed REST call; prints a fix for each failure',
    )
    .addHelpText('after', doctorHelp)
    .action(async (values: Record<string, unknown>, command: Command) => {
      const config = loadConfig({
        flags: givenFlags(values, (name) => command.getOptionValueSource(name)),
      });
      const target = doctorTarget(config, values['url'] as URL | undefined);
      const seconds = (values['timeout'] as number | undefined) ?? DEFAULT_TIMEOUT_SECONDS;
      const options = { timeoutMs: seconds * 1000, version: version() };
      setExitCode(await runDoctor(target, options, (text) => process.stdout.write(text)));
    });
  for (const option of doctorOptions()) doctor.addOption(option);

  herald
    .command('check-config')
    .description(
      'validate a JSON config file without starting the server; env and flags are not applied',
    )
    .argument('<file>', 'the JSON config file')
    .addHelpText('after', checkConfigHelp)
    .action((file: string) => {
      const { code, text } = checkConfig(file);
      (code === 0 ? process.stdout : process.stderr).write(text);
      setExitCode(code);
    });

  herald.addHelpText('after', () => `\n${start.helpInformation()}${epilog}`);
  return herald;
}

/** Runs the command in `argv` (`process.argv`); resolves with the process exit code. */
export async function main(argv: string[]): Promise<number | void> {
  let exitCode: number | undefined;
  try {
    await program((code) => (exitCode = code)).parseAsync(argv);
  } catch (error) {
    // Commander has already printed its message (or the help).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      process.stderr.write(`herald: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return exitCode;
}
