/**
 * The bench side of a server process: fork the compiled server file, wait for its port, ask it
 * for CPU and event-loop counters or a memory reading, stop it. Every live child is tracked so
 * an error or Ctrl-C in the bench still stops each one by its PID.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildMemory, ChildStats, FromChild, ServerHandle, ToChild } from './child.js';
import { pinServer } from './pinning.js';

export type ServerKind = 'baseline' | 'herald';

const files: Record<ServerKind, URL> = {
  baseline: new URL('./baseline-server.js', import.meta.url),
  herald: new URL('./herald-server.js', import.meta.url),
};

const live = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL, by PID). For error and signal paths. */
export function killAll(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGKILL');
    }
  }
  live.clear();
}

const READY_TIMEOUT_MS = 15_000;
const STATS_TIMEOUT_MS = 5_000;
/** A heap snapshot of a process holding thousands of sockets takes seconds on a busy machine. */
const SNAPSHOT_TIMEOUT_MS = 120_000;
/** A server whose event loop was busy less than this share of a settle interval is idle. */
const IDLE_LOOP = 0.05;
const SETTLE_INTERVAL_MS = 100;

export class ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly app: ServerHandle['app'];
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #pendingStats: Array<(stats: ChildStats) => void> = [];
  #pendingMemory: Array<(memory: ChildMemory) => void> = [];

  private constructor(
    kind: ServerKind,
    child: ChildProcess,
    exited: Promise<void>,
    ready: Extract<FromChild, { type: 'ready' }>,
  ) {
    this.kind = kind;
    this.#child = child;
    this.#exited = exited;
    this.port = ready.port;
    this.app = ready.app;
    child.on('message', (message: FromChild) => {
      if (message.type === 'stats') this.#pendingStats.shift()?.(message);
      else if (message.type === 'memory') this.#pendingMemory.shift()?.(message);
    });
  }

  /**
   * Forks the server. `execArgv` are node flags for the child only (e.g. `--cpu-prof`); the
   * bench's own flags are not inherited, so profiling the bench does not profile the server.
   * `file` and `args` run another server file of the same kind (a cluster node) with arguments.
   */
  static async start(
    kind: ServerKind,
    execArgv: readonly string[] = [],
    { file = files[kind], args = [] }: { file?: URL; args?: readonly string[] } = {},
  ): Promise<ServerProcess> {
    const child = fork(file, [...args], {
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        resolve();
      }),
    );
    const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`${kind} server did not start within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      const onMessage = (message: FromChild) => {
        if (message.type !== 'ready') return;
        cleanup();
        resolve(message);
      };
      const onExit = (code: number | null, signal: string | null) =>
        fail(new Error(`${kind} server exited before it was ready (${signal ?? code})`));
      const fail = (error: Error) => {
        cleanup();
        if (child.exitCode === null && child.signalCode === null)
          process.kill(child.pid!, 'SIGKILL');
        reject(error);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    // Pinned once ready: every thread it started so far moves, later ones inherit the mask.
    try {
      pinServer(child.pid!);
    } catch (error) {
      process.kill(child.pid!, 'SIGKILL');
      throw error;
    }
    return new ServerProcess(kind, child, exited, ready);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The child's counters; `gc` collects garbage first (start the child with `--expose-gc`). */
  stats({ gc = false }: { gc?: boolean } = {}): Promise<ChildStats> {
    return this.#ask({ type: 'stats', gc }, this.#pendingStats, STATS_TIMEOUT_MS);
  }

  /**
   * The child's memory, after a full garbage collection if it was started with `--expose-gc`.
   * With `heapSnapshot`, the child then writes a V8 heap snapshot to that path.
   */
  memory(heapSnapshot?: string): Promise<ChildMemory> {
    const message: ToChild =
      heapSnapshot === undefined ? { type: 'memory' } : { type: 'memory', heapSnapshot };
    const timeoutMs = heapSnapshot === undefined ? STATS_TIMEOUT_MS : SNAPSHOT_TIMEOUT_MS;
    return this.#ask(message, this.#pendingMemory, timeoutMs);
  }

  /** One request, answered in order: the child replies to requests of a type one at a time. */
  #ask<T>(message: ToChild, pending: Array<(answer: T) => void>, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.kind} server did not answer a ${message.type} request`)),
        timeoutMs,
      );
      pending.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.#send(message, (error) => {
        clearTimeout(timer);
        reject(new Error(`${this.kind} server is gone: ${error.message}`));
      });
    });
  }

  /**
   * Resolves once the server's event loop is idle (busy under 5% of 100 ms), e.g. after many
   * connections closed, so the work they leave behind does not land in the next slice. Gives up
   * quietly after `timeoutMs`: a server that stays busy is then measured as it is.
   */
  async settle(timeoutMs = 5_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let before = await this.stats();
    while (performance.now() < deadline) {
      await sleep(SETTLE_INTERVAL_MS);
      const after = await this.stats();
      const active = after.loopActiveMs - before.loopActiveMs;
      const wall = active + after.loopIdleMs - before.loopIdleMs;
      if (wall > 0 && active / wall < IDLE_LOOP) return;
      before = after;
    }
  }

  /** Asks for a graceful stop; kills the process by PID if it has not exited by `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    // A child that died unasked cannot hear the request; the deadline below still applies.
    this.#send({ type: 'stop' }, () => this.#child.kill('SIGKILL'));
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const timedOut = await Promise.race([this.#exited.then(() => false), killed]);
    clearTimeout(timer);
    if (timedOut) {
      process.kill(this.pid, 'SIGKILL');
      await this.#exited;
      throw new Error(`${this.kind} server did not exit within ${timeoutMs} ms of stop; killed`);
    }
  }

  /** Sends over IPC; `failed` runs if the child is gone (with a callback, no 'error' event). */
  #send(message: ToChild, failed: (error: Error) => void): void {
    if (!this.#child.connected) return failed(new Error('IPC channel closed'));
    this.#child.send(message, (error) => {
      if (error !== null) failed(error);
    });
  }
}
