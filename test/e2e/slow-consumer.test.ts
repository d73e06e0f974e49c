/**
 * A client that stops reading must not make the server buffer without bound: past
 * `maxSendBufferBytes` its connection is closed with 4100 (over capacity) while everyone else
 * keeps receiving. herald runs as its own process (the CLI), so its memory is its own: the test
 * reads its resident set from /proc while it pushes far more at the stalled client than the cap
 * and the kernel's socket buffers could hold.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { DEFAULT_APP, defaultAppSdk, killAll, spawnHerald } from '../helpers/cli.js';
import { eventually } from '../helpers/cluster.js';
import { get } from '../helpers/rest.js';
import { RawClient } from '../helpers/ws-client.js';

const READERS = 1000;
const TICKS = 100;
const CAP = 256 * 1024;
/** Bytes triggered at the stalled client at most: far beyond the cap plus socket buffers. */
const PUSHED_AT_MOST = 96 * 1024 * 1024;
/** Resident-set growth allowed while that is pushed (the bound the cap gives, with room). */
const RSS_GROWTH_AT_MOST = 48 * 1024 * 1024;

after(killAll);

/** The resident set of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((text) => text.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) * 1024;
}

/** A subscriber that only counts the `tick` events it receives, as cheaply as a client can. */
function reader(url: string): Promise<{ ticks: () => number; socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    let ticks = 0;
    socket.on('error', reject);
    socket.on('message', (data) => {
      const text = String(data);
      if (text.includes('"pusher:connection_established"')) {
        socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'feed' } }));
      } else if (text.includes('"pusher_internal:subscription_succeeded"')) {
        resolve({ ticks: () => ticks, socket });
      } else if (text.includes('"tick"')) {
        ticks += 1;
      }
    });
  });
}

describe('a client that stops reading', () => {
  it(
    'is closed with 4100 past the cap, memory stays bounded, and the others miss nothing',
    { skip: existsSync('/proc/self/status') ? false : 'reads the server’s memory from /proc' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'herald-slow-'));
      const config = join(dir, 'herald.json');
      writeFileSync(config, JSON.stringify({ maxSendBufferBytes: CAP }));
      const herald = spawnHerald(['start', '--port', '0', '--config', config]);
      const readers: Array<{ ticks: () => number; socket: WebSocket }> = [];
      try {
        const { websocket, api } = await herald.started();
        const url = `ws://${websocket.host}:${websocket.port}/app/app-key?protocol=7`;
        const sdk = defaultAppSdk(api);
        for (let i = 0; i < READERS; i += 100) {
          readers.push(...(await Promise.all(Array.from({ length: 100 }, () => reader(url)))));
        }
        const stalled = new RawClient(url, true);
        await stalled.established();
        await stalled.subscribe('feed');
        await stalled.subscribe('bulk');
        stalled.socket.pause();

        const pid = herald.child.pid!;
        const baseline = rssOf(pid);
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
        const target = {
          url: `http://${api.host}:${api.port}`,
          app: DEFAULT_APP,
        };
        const bulkGone = async () => {
          const response = await get(target, '/channels/bulk');
          return !(JSON.parse(response.body) as { occupied: boolean }).occupied;
        };
        const payload = 'x'.repeat(10_000);
        let pushed = 0;
        const bulk = (async () => {
          while (pushed < PUSHED_AT_MOST && !(await bulkGone())) {
            const batch = Array.from({ length: 10 }, () => ({
              channel: 'bulk',
              name: 'chunk',
              data: payload,
            }));
            await sdk.triggerBatch(batch);
            pushed += 10 * payload.length;
          }
        })();
        const feed = (async () => {
          for (let i = 0; i < TICKS; i++) await sdk.trigger('feed', 'tick', { i });
        })();
        await Promise.all([bulk, feed]);
        clearInterval(sampler);
        peak = Math.max(peak, rssOf(pid));

        assert.ok(await bulkGone(), `the stalled client was not closed after ${pushed} bytes`);
        assert.ok(
          peak - baseline < RSS_GROWTH_AT_MOST,
          `herald grew by ${peak - baseline} bytes while ${pushed} were pushed at the client`,
        );
        await eventually(
          () => Promise.resolve(readers.every((r) => r.ticks() === TICKS) ? true : undefined),
          `every reader's ${TICKS} ticks`,
          10_000,
          () => `short: ${readers.filter((r) => r.ticks() < TICKS).length}`,
        );

        // Once it reads again, the stalled client is told why: pusher:error 4100, close 4100.
        stalled.socket.resume();
        const closed = await stalled.closed(10_000);
        assert.equal(closed.code, 4100);
        const error = stalled.frames.find((frame) => frame.event === 'pusher:error');
        assert.deepEqual((error?.data as { code: number } | undefined)?.code, 4100);
        assert.equal(
          readers.filter((r) => r.socket.readyState === WebSocket.OPEN).length,
          READERS,
          'nobody else was closed',
        );
      } finally {
        for (const { socket } of readers) socket.terminate();
        herald.signal('SIGTERM');
        await herald.exit(10_000);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
