/**
 * Churn leaves nothing behind: `herald start` as users run it (its own process, so the handles
 * and timers counted are the server's alone), 2,000 short connections from the churn bench's
 * load generator — public, private, presence (six users, several connections each at once) and
 * cache channels, client events, clean closes, unsubscribes, destroyed sockets, closes not
 * waited for, sockets gone while a subscribe is in flight — then, through the API only: no
 * occupied channel, no presence user, every connection and subscription gauge at 0, and the
 * process's active handles and timers (`/metrics`, prom-client) back to their count before.
 *
 * Subscriptions are signed by the `pusher` SDK's `authorizeChannel`, not by herald's own code.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, get } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import PusherServer from 'pusher';
import { ChurnLoad } from '../../bench/churn-load.js';
import { channelKinds, closeModes } from '../../bench/churn-mix.js';
import { killAll, spawnHerald, type Address } from '../helpers/cli.js';

const APP = { id: 'churn-app', key: 'churn-key', secret: randomBytes(16).toString('hex') };
const CYCLES = 2000;
const CONCURRENCY = 20;
/** Generous for a busy 2-core machine; only reached when something is left behind. */
const SETTLE_MS = 10_000;

after(killAll);

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * `GET /metrics` on a connection of its own (`Connection: close`), so no kept-alive socket of
 * an earlier request is counted among the server's handles.
 */
function scrape(api: Address): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    get(`http://${api.host}:${api.port}/metrics`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`/metrics answered ${res.statusCode}`));
        const samples: Sample[] = [];
        for (const line of text.split('\n')) {
          const match = line.startsWith('#') ? null : SAMPLE.exec(line);
          if (match === null) continue;
          const labels: Record<string, string> = {};
          for (const [, label, value] of (match[2] ?? '').matchAll(LABEL)) labels[label!] = value!;
          samples.push({ name: match[1]!, labels, value: Number(match[3]) });
        }
        resolve(samples);
      });
    }).on('error', reject);
  });
}

/** Every sample of `name`, keyed by its labels (`type=TCPSocketWrap`; `` without labels). */
function series(samples: readonly Sample[], name: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = Object.entries(sample.labels)
      .map(([label, value]) => `${label}=${value}`)
      .sort()
      .join(',');
    found[key] = sample.value;
  }
  return found;
}

/** What keeps the server's event loop alive: handles and resources (timers among them) by kind. */
function processState(samples: readonly Sample[]) {
  return {
    handles: series(samples, 'nodejs_active_handles'),
    handlesTotal: series(samples, 'nodejs_active_handles_total'),
    resources: series(samples, 'nodejs_active_resources'),
    resourcesTotal: series(samples, 'nodejs_active_resources_total'),
  };
}

/** Scrapes until `done` accepts a scrape or `ms` pass; the last scrape either way. */
async function scrapeUntil(
  api: Address,
  done: (samples: Sample[]) => boolean,
  ms: number,
): Promise<Sample[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const samples = await scrape(api);
    if (done(samples) || performance.now() >= deadline) return samples;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it(`leaves no channel, member, subscription, handle or timer after ${CYCLES} churn cycles`, async () => {
  const app = ['--app-id', APP.id, '--key', APP.key, '--secret', APP.secret];
  const herald = spawnHerald(['start', '--port', '0', ...app]);
  let passed = false;
  try {
    const { api, websocket } = await herald.started();
    // Whatever a first request sets up once is then there before and after alike.
    await scrape(api);
    const before = processState(await scrape(api));
    assert.equal(before.resources['type=Timeout'], undefined, 'an idle herald holds no timer');

    const sdk = new PusherServer({
      appId: APP.id,
      key: APP.key,
      secret: APP.secret,
      host: api.host,
      port: String(api.port),
      useTLS: false,
      agent: new Agent({ keepAlive: false }),
    });
    const load = new ChurnLoad(
      { port: websocket.port, key: APP.key },
      (socketId, channel, member) => sdk.authorizeChannel(socketId, channel, member),
      { concurrency: CONCURRENCY },
    );
    await load.run(CYCLES);
    const { tally } = load;
    // The mix is what this test claims it is.
    for (const kind of channelKinds) assert.ok(tally.kinds[kind] > 0, `no ${kind} channel`);
    for (const mode of closeModes) assert.ok(tally.closes[mode] > 0, `no ${mode} close`);
    assert.ok(tally.clientEvents > 0);
    assert.ok(tally.maxConnectionsPerMember >= 2, 'no presence user had two connections at once');

    // The clients have seen their sockets close; the server may still be releasing them.
    const gauge = (samples: Sample[], name: string) => series(samples, name)[`app_id=${APP.id}`];
    const metrics = await scrapeUntil(
      api,
      (samples) => gauge(samples, 'herald_connections') === 0,
      SETTLE_MS,
    );
    assert.equal(gauge(metrics, 'herald_connections_opened_total'), CYCLES, 'opened');
    const closed = Object.values(series(metrics, 'herald_connections_closed_total'));
    assert.equal(
      closed.reduce((sum, count) => sum + count, 0),
      CYCLES,
      'closed',
    );
    assert.equal(gauge(metrics, 'herald_client_events_total'), tally.clientEvents, 'client events');
    assert.deepEqual(series(metrics, 'herald_subscription_errors_total'), {}, 'refusals');
    assert.equal(gauge(metrics, 'herald_connections'), 0, 'herald_connections');
    assert.equal(gauge(metrics, 'herald_presence_members'), 0, 'herald_presence_members');
    assert.equal(gauge(metrics, 'herald_channels_occupied'), 0, 'herald_channels_occupied');
    const types = [
      'presence',
      'presence_cache',
      'private',
      'private_cache',
      'public',
      'public_cache',
    ];
    assert.deepEqual(
      series(metrics, 'herald_subscriptions'),
      Object.fromEntries(types.map((type) => [`app_id=${APP.id},channel_type=${type}`, 0])),
      'herald_subscriptions by channel type',
    );

    const channels = await sdk.get({ path: '/channels' });
    assert.deepEqual(await channels.json(), { channels: {} });
    for (const channel of tally.channels) {
      const info = await sdk.get({ path: `/channels/${channel}` });
      assert.deepEqual(await info.json(), { occupied: false }, channel);
    }
    for (const channel of tally.presenceChannels) {
      const users = await sdk.get({ path: `/channels/${channel}/users` });
      assert.deepEqual(await users.json(), { users: [] }, channel);
    }

    // A closing socket holds `ws`'s close timer until it is gone, and the REST calls' sockets
    // close after their responses.
    const settled = await scrapeUntil(
      api,
      (samples) => isDeepStrictEqual(processState(samples), before),
      SETTLE_MS,
    );
    assert.deepEqual(processState(settled), before, 'active handles and resources by kind');
    passed = true;
  } finally {
    // A graceful stop exits on its own when nothing is left; after a failure (a leaked timer
    // keeps the process alive) the kill lets the failure itself be reported.
    herald.signal(passed ? 'SIGTERM' : 'SIGKILL');
    await herald.exit();
  }
});
