/**
 * The machine a report was measured on, from `os` and (on Linux) /proc/cpuinfo: numbers from a
 * two-core VM and from a workstation are not comparable, so every report names its machine.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface Machine {
  readonly cpuModel: string;
  /** CPUs of the machine (`os.cpus()`), whatever the bench is pinned to. */
  readonly cores: number;
  readonly cpuMHz: number | undefined;
  /** True when /proc/cpuinfo lists the `hypervisor` flag: a virtual machine, CPU maybe shared. */
  readonly virtual: boolean | undefined;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly kernel: string;
  readonly arch: string;
  /** 1, 5 and 15 minute load averages when the report started. */
  readonly loadAverage: readonly number[];
}

function cpuinfo(): Map<string, string> {
  const fields = new Map<string, string>();
  try {
    // The first processor's block is enough: the benches run on one kind of core.
    const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n', 1)[0]!;
    for (const line of first.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  } catch {
    // Not Linux: os.cpus() below still names the CPU.
  }
  return fields;
}

export function describeMachine(): Machine {
  const info = cpuinfo();
  const mhz = Number(info.get('cpu MHz'));
  const flags = info.get('flags');
  return {
    cpuModel: info.get('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    cpuMHz: Number.isFinite(mhz) ? Math.round(mhz) : undefined,
    virtual: flags === undefined ? undefined : flags.split(' ').includes('hypervisor'),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: os.type(),
    kernel: os.release(),
    arch: os.arch(),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** One line: "AMD EPYC, 2 cores at 2,450 MHz (virtual), 7.8 GiB; Node v20.20.2; Linux 6.1 x64". */
export function machineLine(machine: Machine): string {
  const speed = machine.cpuMHz === undefined ? '' : ` at ${machine.cpuMHz} MHz`;
  const virtual = machine.virtual === true ? ' (virtual machine)' : '';
  return (
    `${machine.cpuModel}, ${machine.cores} cores${speed}${virtual}, ${machine.memoryGiB} GiB; ` +
    `Node ${machine.node}; ${machine.os} ${machine.kernel} ${machine.arch}`
  );
}
