/**
 * Runs the built `bin/herald.js` as a child process. Logs are JSON lines on stdout (not a TTY),
 * so the start line's addresses are read from its fields; that is how `--port 0` is learnt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import PusherServer from 'pusher';
import { fileURLToPath } from 'node:url';

// From dist/test/helpers/ to the package root.
const bin = fileURLToPath(new URL('../../../bin/herald.js', import.meta.url));

/** Generous: a cold `node` start on a busy 2-core machine; only reached when something broke. */
const WAIT_MS = 10_000;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface StartLine {
  readonly msg: string;
  readonly websocket: Address;
  readonly api: Address;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();

/** The test's own environment without HERALD_* and PUSHER_* (they would leak into the server). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(HERALD|PUSHER)_/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

export class HeraldProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  #stdout = '';
  #stderr = '';
  #exit: Exit | undefined;
  #consumed = 0;
  readonly #waiters = new Set<() => void>();

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [bin, ...args], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.#onStdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
      this.#notify();
    });
    this.child.once('close', (code, signal) => {
      running.delete(this.child);
      this.#exit = { code, signal };
      this.#notify();
    });
  }

  get stdout(): string {
    return this.#stdout;
  }
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the first JSON log line `match` accepts; rejects on exit or after a while. */
  waitForLine(match: (line: LogLine) => boolean, what = 'log line'): Promise<LogLine> {
    return this.#waitFor(() => this.lines.find(match), what);
  }

  /** The `herald listening on …` line, with the bound addresses read from its URL fields. */
  async started(): Promise<StartLine> {
    const line = await this.waitForLine((l) => l.msg.startsWith('herald listening on'), 'start');
    const address = (url: unknown): Address => {
      const { hostname, port } = new URL(String(url));
      return { host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port) };
    };
    return { ...line, websocket: address(line.websocket), api: address(line.api) };
  }

  /** Resolves with the exit, or rejects when the process is still running after `ms`. */
  exit(ms = WAIT_MS): Promise<Exit> {
    return this.#waitFor(() => this.#exit, 'exit', ms);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.child.pid!, signal);
  }

  #onStdout(chunk: string): void {
    this.#stdout += chunk;
    const complete = this.#stdout.split('\n').slice(0, -1);
    // Help and version output are plain text; only log lines are JSON.
    for (const text of complete.slice(this.#consumed)) {
      if (text.startsWith('{')) this.lines.push(JSON.parse(text) as LogLine);
    }
    this.#consumed = complete.length;
    this.#notify();
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  #waitFor<T>(found: () => T | undefined, what: string, ms = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value !== undefined) done(() => resolve(value));
        else if (this.#exit !== undefined) {
          done(() =>
            reject(new Error(`herald exited before the ${what}; stderr:\n${this.#stderr}`)),
          );
        }
      };
      const timer = setTimeout(() => {
        done(() => reject(new Error(`no ${what} within ${ms} ms; stderr:\n${this.#stderr}`)));
      }, ms);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** Spawns `node bin/herald.js ...args` with a clean environment plus `env`. */
export function spawnHerald(args: readonly string[], env?: Record<string, string>): HeraldProcess {
  return new HeraldProcess(args, env);
}

/** Runs a command that is expected to exit on its own (help, bad options). */
export async function runHerald(
  args: readonly string[],
  env?: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const herald = spawnHerald(args, env);
  const { code } = await herald.exit();
  return { code, stdout: herald.stdout, stderr: herald.stderr };
}

/** SIGKILLs, by PID, every process spawned here that is still running. For `after` hooks. */
export function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }
}

/** Ports that were free a moment ago: listened on (port 0) together, then closed. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The credentials of the app `herald start` serves when given none. */
export const DEFAULT_APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' } as const;

/** The `pusher` SDK for that app, pointed at `api`. */
export function defaultAppSdk(api: Address): PusherServer {
  return new PusherServer({
    appId: DEFAULT_APP.id,
    key: DEFAULT_APP.key,
    secret: DEFAULT_APP.secret,
    host: api.host,
    port: String(api.port),
  });
}
