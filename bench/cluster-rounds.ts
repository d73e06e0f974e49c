/**
 * A whole cluster run: start the set-ups, connect their subscribers, measure alternating
 * slices, stop everything. Shared by `cluster-fanout.js` and the report suite.
 */
import type { ClusterBenchOptions } from './cluster-options.js';
import { ClusterTarget, type ClusterSliceResult, type Setup } from './cluster-run.js';
import { int } from './format.js';
import { alternate, type Round } from './rounds.js';

export async function runCluster(
  options: ClusterBenchOptions,
): Promise<Round<ClusterSliceResult>[]> {
  const targets = new Map<Setup, ClusterTarget>();
  try {
    for (const setup of options.setups) {
      process.stderr.write(`starting ${setup} and connecting ${options.subscribers} subscribers\n`);
      targets.set(setup, await ClusterTarget.open(setup, options));
    }
    return await alternate(
      [...targets].map(([setup, target]) => ({
        label: setup,
        measure: () => target.measure(options.warmupMs, options.durationMs),
      })),
      options.rounds,
      (result) => `${int(result.deliveriesPerSecond)} deliveries/s`,
    );
  } finally {
    await Promise.allSettled([...targets.values()].map((target) => target.close()));
  }
}
