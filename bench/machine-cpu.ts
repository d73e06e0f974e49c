/**
 * Machine-wide CPU time from /proc/stat, to tell how much of the two cores went to processes
 * other than the bench and its server (a busy neighbour makes any run noisy). Linux only; other
 * systems report nothing.
 *
 * Interrupt time (irq, softirq) is left out of "busy": it is charged to no process, and on
 * loopback it is mostly the kernel passing the bench's own packets, several tenths of a core when
 * every trigger travels alone (the fixed-rate and REST scenarios), not a neighbour.
 */
import { readFileSync } from 'node:fs';

export interface MachineCpu {
  /** Busy (processes and steal, not interrupts) and total jiffies summed over all CPUs. */
  readonly busy: number;
  readonly total: number;
}

export function machineCpu(): MachineCpu | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = fields[3]! + fields[4]!;
  const interrupts = fields[5]! + fields[6]!;
  return { busy: total - idle - interrupts, total };
}

/** Busy CPUs (1 = one core fully busy) between two readings taken `seconds` apart. */
export function busyCores(
  before: MachineCpu | undefined,
  after: MachineCpu | undefined,
  cores: number,
): number | undefined {
  if (before === undefined || after === undefined || after.total === before.total) return undefined;
  return ((after.busy - before.busy) / (after.total - before.total)) * cores;
}
