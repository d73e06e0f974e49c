/**
 * What a measured slice cost: the CPU and event-loop share of each server process (from its
 * counters over IPC), of this process (the load generator), and of the whole machine.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChildStats } from './child.js';
import { busyCores, machineCpu } from './machine-cpu.js';
import type { ServerProcess } from './server-process.js';

export interface ServerUsage {
  /** CPU time over wall time (can exceed 1: GC and I/O threads count). */
  readonly cpu: number;
  /** Share of wall time the event loop was busy (1 = saturated). */
  readonly loop: number;
  readonly rssMb: number;
  /** Write system calls during the slice (Linux only). */
  readonly writeCalls: number | undefined;
  /** Connections the server closed with 4100 during the slice (herald only). */
  readonly overCapacityCloses: number | undefined;
}

export interface SliceUsage {
  readonly seconds: number;
  readonly servers: readonly ServerUsage[];
  /** The load generator (this process): CPU over wall time, and its event loop's busy share. */
  readonly benchCpu: number;
  readonly benchLoop: number;
  /** Busy CPUs of the whole machine, interrupts left out (Linux only). */
  readonly machineCores: number | undefined;
}

function usage(before: ChildStats, after: ChildStats): ServerUsage {
  const wallMs = after.loopActiveMs + after.loopIdleMs - before.loopActiveMs - before.loopIdleMs;
  const delta = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a - b;
  return {
    cpu: (after.cpuMicros - before.cpuMicros) / 1000 / wallMs,
    loop: (after.loopActiveMs - before.loopActiveMs) / wallMs,
    rssMb: after.rssBytes / 1024 / 1024,
    writeCalls: delta(after.writeCalls, before.writeCalls),
    overCapacityCloses: delta(after.overCapacityCloses, before.overCapacityCloses),
  };
}

/** Starts measuring; the returned function ends the slice and reports it. */
export async function startMeter(
  servers: readonly ServerProcess[],
): Promise<() => Promise<SliceUsage>> {
  const serversBefore = await Promise.all(servers.map((server) => server.stats()));
  const machineBefore = machineCpu();
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  const start = performance.now();
  return async () => {
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const loop = performance.eventLoopUtilization(loopBefore);
    // Every CPU of the machine: /proc/stat sums them all, whatever this process is pinned to.
    const machineCores = busyCores(machineBefore, machineCpu(), cpus().length);
    const serversAfter = await Promise.all(servers.map((server) => server.stats()));
    return {
      seconds,
      servers: serversAfter.map((after, i) => usage(serversBefore[i]!, after)),
      benchCpu: (cpu.user + cpu.system) / 1000 / (seconds * 1000),
      benchLoop: loop.utilization,
      machineCores,
    };
  };
}

/**
 * CPU used by every other process on the machine (and stolen by the hypervisor), in cores;
 * interrupt time is left out (see machine-cpu.ts). `known` is CPU accounted for elsewhere (e.g.
 * Redis). Much above zero means the slice competed for the cores.
 */
export function otherCpu(slice: SliceUsage, known = 0): number | undefined {
  if (slice.machineCores === undefined) return undefined;
  const servers = slice.servers.reduce((sum, server) => sum + server.cpu, 0);
  return Math.max(0, slice.machineCores - servers - slice.benchCpu - known);
}
