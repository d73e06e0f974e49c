/**
 * The child side of a bench server process. The server runs alone in its process (the machine
 * has two cores: one for the server under test, one for the load generator) and talks to the
 * bench over the IPC channel `fork` opens: it reports its port, answers stats requests, and stops
 * when asked or when the bench goes away.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

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
  /** V8 heap in use (`process.memoryUsage().heapUsed`). */
  readonly heapUsedBytes: number;
  /**
   * What keeps the event loop alive, counted by kind (`process.getActiveResourcesInfo()`):
   * `TCPSocketWrap`, `TCPServerWrap`, `Timeout`… Unref'd handles and timers are not listed.
   */
  readonly activeResources: Readonly<Record<string, number>>;
  /**
   * Write system calls so far (`syscw` of /proc/self/io; Linux only, else undefined). Frames per
   * write shows how well a server batches: each write is a trip through the kernel's TCP stack,
   * which is most of the cost of a fan-out.
   */
  readonly writeCalls: number | undefined;
  /** See {@link ServerHandle.overCapacityCloses}; undefined for the baseline. */
  readonly overCapacityCloses: number | undefined;
}

/** The process's memory at one moment, in bytes (`process.memoryUsage()`). */
export interface ChildMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /**
   * Resident pages of the V8 heap that hold no live object: the young generation (empty after
   * a full GC) and free space in the old one. Their amount follows the allocation history (V8
   * grows the young generation up to 32 MiB under a burst of allocations), not what is kept.
   */
  readonly heapFreeResidentBytes: number;
  /** Memory of C++ objects bound to JS ones, `ArrayBuffer`s (and so Buffers) included. */
  readonly externalBytes: number;
  /** True when a full garbage collection ran just before (the child has `--expose-gc`). */
  readonly collected: boolean;
}

export type ToChild =
  /** `gc`: collect garbage before measuring (needs `--expose-gc` on the child, else ignored). */
  | { readonly type: 'stats'; readonly gc?: boolean }
  | { readonly type: 'stop' }
  /** A memory reading; `heapSnapshot`: also write a V8 heap snapshot to that path, after it. */
  | { readonly type: 'memory'; readonly heapSnapshot?: string };

export type FromChild =
  | { readonly type: 'ready'; readonly port: number; readonly app?: ServerHandle['app'] }
  | ({ readonly type: 'stats' } & ChildStats)
  | ({ readonly type: 'memory' } & ChildMemory);

function writeCalls(): number | undefined {
  try {
    const match = /^syscw:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function stats(handle: ServerHandle, gc: boolean): ChildStats {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const usage = process.memoryUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    loopActiveMs: loop.active,
    loopIdleMs: loop.idle,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    activeResources: activeResources(),
    writeCalls: writeCalls(),
    overCapacityCloses: handle.overCapacityCloses?.(),
  };
}

/** Collects garbage first when it can, so the heap holds only what is still reachable. */
function memory(heapSnapshot: string | undefined): ChildMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const usage = process.memoryUsage();
  let heapFreeResidentBytes = 0;
  for (const space of getHeapSpaceStatistics()) {
    heapFreeResidentBytes += Math.max(0, space.physical_space_size - space.space_used_size);
  }
  const reading = {
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    heapTotalBytes: usage.heapTotal,
    heapFreeResidentBytes,
    externalBytes: usage.external,
    collected: gc !== undefined,
  };
  // After the reading: the snapshot's own allocations must not count in it.
  if (heapSnapshot !== undefined) writeHeapSnapshot(heapSnapshot);
  return reading;
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
        if (message.type === 'stats')
          reply({ type: 'stats', ...stats(handle, message.gc === true) });
        else if (message.type === 'memory') {
          reply({ type: 'memory', ...memory(message.heapSnapshot) });
        } else if (message.type === 'stop') stop();
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
