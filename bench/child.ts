/**
 * The child side of a bench server process. The server runs alone in its process (the machine
 * has two cores: one for the server under test, one for the load generator) and talks to the
 * bench over the IPC channel `fork` opens: it reports its port, answers stats requests, and stops
 * when asked or when the bench goes away.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface ServerHandle {
  readonly port: number;
  /** The app to sign REST calls with, when the server checks signatures. */
  readonly app?: { readonly id: string; readonly key: string; readonly secret: string };
  /** Connections the server closed with 4100 (over capacity) so far, if it has such a cap. */
  overCapacityCloses?(): number;
  stop(): Promise<void>;
}

/** Cumulative counters since the child started; the bench subtracts two of them. */
export interface ChildStats {
  /** User + system CPU time in microseconds (all threads, so GC helpers count too). */
  readonly cpuMicros: number;
  /** Event-loop busy and idle time in milliseconds (`performance.eventLoopUtilization`). */
  readonly loopActiveMs: number;
  readonly loopIdleMs: number;
  readonly rssBytes: number;
  /**
   * Write system calls so far (`syscw` of /proc/self/io; Linux only, else undefined). Frames per
   * write shows how well a server batches: each write is a trip through the kernel's TCP stack,
   * which is most of the cost of a fan-out.
   */
  readonly writeCalls: number | undefined;
  /** See {@link ServerHandle.overCapacityCloses}; undefined for the baseline. */
  readonly overCapacityCloses: number | undefined;
}

export type ToChild = { readonly type: 'stats' } | { readonly type: 'stop' };

export type FromChild =
  | { readonly type: 'ready'; readonly port: number; readonly app?: ServerHandle['app'] }
  | ({ readonly type: 'stats' } & ChildStats);

function writeCalls(): number | undefined {
  try {
    const match = /^syscw:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function stats(handle: ServerHandle): ChildStats {
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  return {
    cpuMicros: cpu.user + cpu.system,
    loopActiveMs: loop.active,
    loopIdleMs: loop.idle,
    rssBytes: process.memoryUsage.rss(),
    writeCalls: writeCalls(),
    overCapacityCloses: handle.overCapacityCloses?.(),
  };
}

/**
 * Starts a server and serves the IPC protocol until stopped. The process then exits on its own
 * once the server released its handles (a server that leaks one is killed by the bench).
 */
export function serveChild(start: () => Promise<ServerHandle>): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('This is a bench server process: run it through `node dist/bench/fanout.js`');
  }
  const reply = (message: FromChild) => send(message);
  start().then(
    (handle) => {
      let stopped: Promise<void> | undefined;
      const stop = () => {
        stopped ??= handle.stop().finally(() => {
          if (process.connected) process.disconnect();
        });
      };
      process.on('message', (message: ToChild) => {
        if (message.type === 'stats') reply({ type: 'stats', ...stats(handle) });
        else if (message.type === 'stop') stop();
      });
      // The bench died or was interrupted: nobody will ever ask us to stop.
      process.on('disconnect', stop);
      reply({ type: 'ready', port: handle.port, ...(handle.app ? { app: handle.app } : {}) });
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
      process.disconnect();
    },
  );
}
