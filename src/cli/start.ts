/**
 * `herald start`: run a server until SIGTERM or SIGINT, then stop it gracefully.
 *
 * The first signal starts `herald.stop()` (no new connections, every socket closed with 4200 so
 * clients reconnect at once to another node, in-flight HTTP requests finished, the rest cut after
 * `shutdownTimeout`) and the process exits 0 once it is done. A second signal while stopping exits
 * at once with 1: the operator asked twice and waiting longer would only get in the way.
 */
import { appsOf, type HeraldConfig } from '../config/schema.js';
import { createHerald, type Herald } from '../herald.js';
import { createLogger } from '../observability/logger.js';
import type { Log } from '../core/log.js';
import { clientSnippets, consoleLine, startLine } from './banner.js';

const stopSignals = ['SIGTERM', 'SIGINT'] as const;

/** Runs until stopped by a signal; resolves with the process exit code. */
export async function runServer(config: HeraldConfig): Promise<number> {
  const log = createLogger(config.logLevel);
  const herald = createHerald(config, { log });
  let address;
  try {
    address = await herald.start();
  } catch (error) {
    process.stderr.write(`herald: ${listenFailure(error, config)}\n`);
    return 1;
  }
  const apps = appsOf(config);
  const line = startLine(config, address, apps);
  log.info(line.fields, line.message);
  const debugConsole = consoleLine(config, address);
  if (debugConsole !== undefined) log.info(debugConsole.fields, debugConsole.message);
  for (const snippet of clientSnippets(config, address, apps[0]!)) {
    log.debug(snippet.fields, snippet.message);
  }
  return stopOnSignal(herald, log);
}

function stopOnSignal(herald: Herald, log: Log): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, `${signal} while stopping: exiting without waiting (exit code 1)`);
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, `${signal}: stopping, closing connections with 4200`);
      herald.stop().then(
        () => {
          log.info({}, 'herald stopped');
          finish(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'graceful stop failed');
          finish(1);
        },
      );
    };
    const finish = (code: number) => {
      for (const signal of stopSignals) process.off(signal, onSignal);
      resolve(code);
    };
    for (const signal of stopSignals) process.on(signal, onSignal);
  });
}

const listenReasons: Partial<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/** `cannot listen on 127.0.0.1:6001: the port is already in use`; other errors are rethrown. */
function listenFailure(error: unknown, config: HeraldConfig): string {
  const { code, syscall, address, port, hostname, message } = error as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
    hostname?: string;
  };
  if (syscall !== 'listen' && syscall !== 'getaddrinfo') throw error;
  const host = address ?? hostname ?? config.host;
  const where = port === undefined ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return `cannot listen on ${where}: ${listenReasons[code ?? ''] ?? message}`;
}
