/**
 * Connection-rate benchmark: connections per second through the upgrade, the Pusher handshake
 * and a subscribe, herald against the minimal `ws` server in the same run. See bench/README.md.
 *
 * Results go to stdout (a table, the ratio, one JSON line); progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { numberOption, parsePin, parseServers, runBench } from './cli.js';
import { connectJson, connectReport, runConnectRate, type ConnectOptions } from './connect-run.js';
import type { PinSetting } from './pinning.js';
import type { ServerKind } from './server-process.js';

const usage = `Usage: node dist/bench/connect-rate.js [options]

  --connections N   connections opened per slice              (BENCH_CONNECTIONS, default 2000)
  --concurrency N   handshakes in flight at most               (BENCH_CONCURRENCY, default 50)
  --rounds N        rounds of one slice per server             (BENCH_ROUNDS, default 6)
  --only SERVER     run only herald or baseline                (BENCH_ONLY)
  --pin MODE        auto: pin processes to cores with taskset; off  (BENCH_PIN, default auto)
  --help`;

interface Options extends ConnectOptions {
  readonly servers: readonly ServerKind[];
  readonly pin: PinSetting;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      connections: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      pin: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return undefined;
  const raw = (flag: string | undefined, variable: string) => flag ?? env[variable];
  return {
    connections: Math.round(
      numberOption('connections', raw(values.connections, 'BENCH_CONNECTIONS'), 2000, 1, 15_000),
    ),
    concurrency: Math.round(
      numberOption('concurrency', raw(values.concurrency, 'BENCH_CONCURRENCY'), 50, 1, 1000),
    ),
    rounds: Math.round(numberOption('rounds', raw(values.rounds, 'BENCH_ROUNDS'), 6, 1, 100)),
    servers: parseServers(raw(values.only, 'BENCH_ONLY')),
    pin: parsePin(raw(values.pin, 'BENCH_PIN')),
  };
}

runBench(parse, usage, async ({ servers, connections, concurrency, rounds }) => {
  const options = { connections, concurrency, rounds };
  const run = await runConnectRate(options, servers);
  process.stdout.write(
    `\n${connectReport(options, run)}\n\n${JSON.stringify(connectJson(options, run))}\n`,
  );
});
