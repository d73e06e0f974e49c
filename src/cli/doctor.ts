/**
 * `herald doctor`: checks a running server from the outside, as its clients would reach it, and
 * prints one line per check with a fix for each failure. Where the server is and which app to
 * use come from the same sources as `herald start` (defaults < --config < env < flags), so the
 * doctor can be run with the very environment the application uses; `--url` names a server
 * somewhere else.
 */
import { InvalidArgumentError, Option } from 'commander';
import { environmentVariables, parseInteger } from '../config/loader.js';
import { appsOf, ConfigError, type HeraldConfig } from '../config/schema.js';
import { urlHost } from '../apps/client-options.js';
import { reachableHost } from '../testing/client-config.js';
import { integerArgument } from './flags.js';
import {
  checkReachable,
  checkReady,
  checkRest,
  checkWebSocket,
  type CheckOptions,
  type CheckResult,
  type DoctorTarget,
} from './doctor-checks.js';

/** Seconds each check may take unless `--timeout` says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 5;

const envOf = (option: keyof typeof environmentVariables) =>
  environmentVariables[option].names.join(', ');

function secondsArgument(text: string): number {
  const value = parseInteger(text);
  if (value === undefined || value < 1) {
    throw new InvalidArgumentError('expected whole seconds, at least 1.');
  }
  return value;
}

function urlArgument(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidArgumentError('expected http://host[:port] or https://host[:port].');
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    // The SDKs cannot reach an API below a base path (PROTOCOL.md §5.1), nor can the doctor.
    throw new InvalidArgumentError('expected no path: http://host[:port] or https://host[:port].');
  }
  return url;
}

/** The doctor's flags; the loader reads the ones `herald start` also has (same env names). */
export function doctorOptions(): Option[] {
  return [
    new Option('--url <url>', 'the server as clients reach it: http(s)://host[:port]')
      .argParser(urlArgument)
      .conflicts(['host', 'port']),
    new Option('--host <host>', `host of the server (env: ${envOf('host')}; default: 127.0.0.1)`),
    new Option(
      '--port <port>',
      `port of the server (env: ${envOf('port')}; default: 6001)`,
    ).argParser(integerArgument),
    new Option('-i, --app-id <id>', `id of the app to check (env: ${envOf('appId')})`),
    new Option('-k, --key <key>', `key of the app (env: ${envOf('key')})`),
    new Option('-s, --secret <secret>', `secret of the app (env: ${envOf('secret')})`),
    new Option(
      '--config <file>',
      `the server's JSON config file: its host, ports, path and first app (env: ${envOf('config')})`,
    ),
    new Option(
      '--timeout <seconds>',
      `seconds each check may take (default: ${DEFAULT_TIMEOUT_SECONDS})`,
    ).argParser(secondsArgument),
  ];
}

export const doctorHelp = `
Checks, in order: GET / answers (the port is reachable), GET /ready answers 200, a WebSocket
connects to /app/{key} and receives pusher:connection_established, and GET /apps/{id}/channels
signed with the key and secret succeeds. Each line says ok or FAIL with a fix; on a 401 the
server's explanation is printed. Exit code 0 when every check passes, 1 otherwise.

The app is the first of the configuration \`herald start\` would run with (the default app, or
the first of "apps" in --config). Without --url the host and ports are those the server would
listen on (a wildcard address means this machine; socketPort and webPort of --config count).`;

/** Where the server is and which app to check, from the configuration and `--url`. */
export function doctorTarget(config: HeraldConfig, url: URL | undefined): DoctorTarget {
  const app = appsOf(config)[0]!;
  const credentials = { id: app.id, key: app.key, secret: app.secret };
  if (url !== undefined) {
    const websocket = `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}${config.path}`;
    return { api: new URL(url.origin), websocket: new URL(websocket), app: credentials };
  }
  const address = (host: string, port: number) => {
    if (port === 0) {
      throw new ConfigError(
        'doctor: port 0 makes the server pick a free port when it starts; give the port it ' +
          'listens on (--port or --url)',
      );
    }
    return `${urlHost(reachableHost(host))}:${port}`;
  };
  const api = address(config.webHost ?? config.host, config.webPort ?? config.port);
  const websocket = address(config.socketHost ?? config.host, config.socketPort ?? config.port);
  return {
    api: new URL(`http://${api}`),
    websocket: new URL(`ws://${websocket}${config.path}`),
    app: credentials,
  };
}

/**
 * Runs the checks in order and writes a line for each. A check that cannot succeed because an
 * earlier one failed on the same address is reported as skipped rather than failed twice.
 * Resolves with the exit code: 0 when every check passed.
 */
export async function runDoctor(
  target: DoctorTarget,
  options: CheckOptions,
  write: (text: string) => void,
): Promise<number> {
  const { api, websocket, app } = target;
  write(
    `herald doctor: ${api.origin} (WebSocket ${websocket.href.replace(/\/$/, '')}/app/${app.key}), ` +
      `app id "${app.id}"\n`,
  );
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    write(formatResult(result));
  };
  const skip = (name: string) =>
    report({ name, status: 'skip', summary: `not checked: ${api.host} is not reachable` });

  const reachable = await checkReachable(target, options);
  report(reachable);
  const up = reachable.status === 'ok';
  if (up) report(await checkReady(target, options));
  else skip('ready');
  // The WebSocket may be served on a port of its own (socketPort), reachable or not.
  if (up || websocket.host !== api.host) report(await checkWebSocket(target, options));
  else skip('websocket');
  if (up) report(await checkRest(target, options));
  else skip('rest');

  const count = (status: CheckResult['status']) =>
    results.filter((result) => result.status === status).length;
  const [failed, skipped] = [count('fail'), count('skip')];
  if (failed + skipped === 0) {
    write(`All ${results.length} checks passed.\n`);
    return 0;
  }
  write(`${failed} failed, ${skipped} not checked, ${count('ok')} passed.\n`);
  return 1;
}

const labels = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;

/** `FAIL  rest       GET … answered 401: …`, then the server's text and the fix, indented. */
export function formatResult(result: CheckResult): string {
  const lines = [`${labels[result.status]}  ${result.name.padEnd(10)} ${result.summary}`];
  if (result.server !== undefined) {
    lines.push(
      '      the server says:',
      ...result.server.split('\n').map((line) => `        ${line}`),
    );
  }
  if (result.fix !== undefined) lines.push(`      fix: ${result.fix}`);
  return `${lines.join('\n')}\n`;
}
