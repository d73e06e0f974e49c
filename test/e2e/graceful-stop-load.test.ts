/**
 * SIGTERM in the middle of a stream of REST triggers: every trigger herald answered 200 reaches
 * every subscriber still connected, and only then does each socket close with 4200. herald runs
 * as its own process (the CLI), the triggers come from the real `pusher` SDK, eight at a time.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { DEFAULT_APP, defaultAppSdk, killAll, spawnHerald } from '../helpers/cli.js';
import { renderQuery, signedPairs } from '../helpers/rest.js';

const SUBSCRIBERS = 200;
const SENDERS = 8;
/** Triggers acknowledged before the signal is sent. */
const BEFORE_SIGNAL = 300;

after(killAll);

interface Subscriber {
  readonly received: Set<number>;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  /** Events received after the close frame's pusher:error (must stay 0). */
  readonly late: () => number;
}

function subscriber(url: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const received = new Set<number>();
    let errored = false;
    let late = 0;
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { event: string; data?: string };
      if (frame.event === 'pusher:connection_established') {
        socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'load' } }));
      } else if (frame.event === 'pusher_internal:subscription_succeeded') {
        resolve({ received, closed, late: () => late });
      } else if (frame.event === 'pusher:error') {
        errored = true;
      } else if (frame.event === 'n') {
        if (errored) late += 1;
        received.add((JSON.parse(frame.data!) as { n: number }).n);
      }
    });
  });
}

describe('a graceful stop under load', () => {
  it('delivers every trigger answered 200 to every subscriber, then closes with 4200', async (t) => {
    const herald = spawnHerald(['start', '--port', '0']);
    const { websocket, api } = await herald.started();
    const url = `ws://${websocket.host}:${websocket.port}/app/app-key?protocol=7`;
    const subscribers: Subscriber[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      subscribers.push(...(await Promise.all(Array.from({ length: 50 }, () => subscriber(url)))));
    }
    const sdk = defaultAppSdk(api);

    const acknowledged: number[] = [];
    let signalled = false;
    let acknowledgedAfterSignal = 0;
    let next = 0;
    const signalSent = new Promise<void>((resolve) => {
      const sender = async () => {
        for (;;) {
          const n = next++;
          try {
            await sdk.trigger('load', 'n', { n });
          } catch {
            return; // refused or cut: the server is stopping
          }
          acknowledged.push(n);
          if (signalled) acknowledgedAfterSignal += 1;
          if (!signalled && acknowledged.length >= BEFORE_SIGNAL) {
            signalled = true;
            herald.signal('SIGTERM');
            resolve();
          }
        }
      };
      void Promise.all(Array.from({ length: SENDERS }, sender));
    });
    await signalSent;
    const codes = await Promise.all(subscribers.map((s) => s.closed));
    const exit = await herald.exit(10_000);

    assert.equal(exit.code, 0);
    assert.deepEqual(new Set(codes), new Set([4200]), 'every subscriber was closed with 4200');
    for (const [index, { received, late }] of subscribers.entries()) {
      const missing = acknowledged.filter((n) => !received.has(n));
      assert.deepEqual(missing, [], `subscriber ${index} missed acknowledged triggers`);
      assert.equal(late(), 0, `subscriber ${index} got events after the close began`);
    }
    // The stream went on through the stop: the case this test is about happened.
    assert.ok(acknowledged.length >= BEFORE_SIGNAL);
    t.diagnostic(
      `${acknowledged.length} triggers acknowledged, ${acknowledgedAfterSignal} after SIGTERM`,
    );
  });

  it('a trigger whose body arrives after SIGTERM is answered, delivered, then the close', async () => {
    const herald = spawnHerald(['start', '--port', '0']);
    const { websocket, api } = await herald.started();
    const url = `ws://${websocket.host}:${websocket.port}/app/app-key?protocol=7`;
    const watcher = await subscriber(url);
    const target = {
      url: `http://${api.host}:${api.port}`,
      app: DEFAULT_APP,
    };
    const path = '/apps/app-id/events';
    const body = JSON.stringify({ name: 'n', channel: 'load', data: JSON.stringify({ n: 7 }) });
    const pairs = signedPairs(target, 'POST', path, body);
    // Expect: 100-continue: the server answers "continue" once it holds the request, so the
    // test knows the request is under way before it sends the stop signal.
    const req = request(`${target.url}${path}?${renderQuery(pairs)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', resolve));
    herald.signal('SIGTERM');
    await herald.waitForLine((line) => line.msg.startsWith('SIGTERM: stopping'), 'stop line');
    req.end(body);

    assert.equal(await status, 200);
    assert.equal(await watcher.closed, 4200);
    assert.deepEqual([...watcher.received], [7], 'the event went out before the close');
    assert.equal((await herald.exit(10_000)).code, 0);
  });
});
