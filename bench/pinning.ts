/**
 * CPU pinning with `taskset` (util-linux), when the machine has it: the load generator (this
 * process) on the first CPU it may use, each server process on one of the others, taken in turn.
 * Two servers then share a core only when there are fewer cores than servers, and the benches
 * load one server at a time. Pinning keeps the scheduler from moving a server onto the
 * generator's core mid-slice, which on two cores makes slices disagree.
 */
import { execFileSync } from 'node:child_process';

export type PinSetting = 'auto' | 'off';

export interface Pinning {
  readonly generator: number;
  readonly servers: readonly number[];
}

let active: Pinning | undefined;
let nextServer = 0;
/** Why pinning is off, for the report. */
let reason = 'not configured';

/** The CPUs `pid` may run on, from `taskset -c -p` ("pid 42's current affinity list: 0-3,6"). */
function allowedCpus(pid: number): number[] {
  const output = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  const list = output.slice(output.lastIndexOf(':') + 1).trim();
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last! - first! + 1 }, (_, i) => first! + i);
  });
}

function setAffinity(pid: number, cpu: number): void {
  // -a: every thread of the process (V8's and libuv's too), not only the main one.
  execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: 'ignore' });
}

/**
 * Turns pinning on (unless `setting` is `off`) and pins this process to the generator's CPU.
 * Returns the placement, or undefined when pinning is off or impossible (no `taskset`, one CPU).
 */
export function usePinning(setting: PinSetting): Pinning | undefined {
  active = undefined;
  if (setting === 'off') {
    reason = 'off (--pin off)';
    return undefined;
  }
  let cpus: number[];
  try {
    cpus = allowedCpus(process.pid);
  } catch {
    reason = 'off: taskset is not available';
    return undefined;
  }
  if (cpus.length < 2) {
    reason = 'off: only one CPU';
    return undefined;
  }
  active = { generator: cpus[0]!, servers: cpus.slice(1) };
  setAffinity(process.pid, active.generator);
  return active;
}

/** Pins a freshly started server process to the next server CPU; does nothing when off. */
export function pinServer(pid: number): void {
  if (active === undefined) return;
  setAffinity(pid, active.servers[nextServer++ % active.servers.length]!);
}

/** One line for the report: where each process runs. */
export function describePinning(): string {
  if (active === undefined) return `not pinned (${reason})`;
  return (
    `taskset: load generator on CPU ${active.generator}, ` +
    `server processes on CPU ${active.servers.join(', ')}`
  );
}
