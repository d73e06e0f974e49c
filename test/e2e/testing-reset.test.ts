/**
 * `reset()` and `stop()` of herald/testing with the real clients: a reset closes every client
 * with 4099 so pusher-js stays disconnected, empties channels, presence, sign-ins and caches
 * (as the `pusher` SDK and new clients see them), ends refusals and clears the recording; a
 * process that used startHerald exits on its own once it stopped it.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import PusherServer from 'pusher';
import { startHerald, WaitError } from '../../src/testing/index.js';
import { AuthClients, membersOf, signin } from '../helpers/auth.js';
import { errorsOf, eventsOf, nextEvent, subscribe, waitForState } from '../helpers/pusher-js.js';
import { RawClients } from '../helpers/ws-client.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(options: Parameters<typeof startHerald>[0] = {}) {
  const herald = await startHerald({ record: true, ...options });
  const sdk = new PusherServer(herald.pusherOptions);
  // AuthClients, not PusherJsClients: its clients release the timer pusher-js's Node build
  // leaves behind after a 4000–4099 close (see its releaseOrphanCloseTimer).
  const clients = new AuthClients(herald, sdk);
  const raw = new RawClients(herald);
  cleanups.push(
    () => herald.stop(),
    () => raw.closeAll(),
    () => clients.disconnectAll(),
  );
  return { herald, sdk, clients, raw };
}

describe('reset()', () => {
  it('closes every client with pusher:error 4099 and close 4099', async () => {
    const { herald, clients, raw } = await setup();
    const pusher = await clients.connect();
    const client = await raw.connect();
    await herald.reset();
    const closed = await client.closed();
    assert.equal(closed.code, 4099);
    assert.deepEqual(
      client.frames.filter((frame) => frame.event === 'pusher:error').map((frame) => frame.data),
      [{ code: 4099, message: 'herald was reset (test isolation): not reconnecting' }],
    );
    const error = await errorsOf(pusher).next((e) => e.data?.code === 4099, 'the 4099 error');
    assert.equal(error.type, 'PusherError');
    await waitForState(pusher, 'disconnected');
  });

  it('pusher-js does not reconnect after it (it would retry within 1 s otherwise)', async () => {
    const { herald, clients } = await setup();
    const pusher = await clients.connect();
    await herald.reset();
    await waitForState(pusher, 'disconnected');
    // A negative needs a window: pusher-js retries at once (42xx) or after 1 s (others).
    await assert.rejects(herald.waitFor({ kind: 'connected' }, { timeout: 1500 }), WaitError);
    assert.equal(pusher.connection.state, 'disconnected');
  });

  it('empties channels, presence and sign-ins, as the SDK and new clients see them', async () => {
    const { herald, sdk, clients } = await setup();
    const alice = await clients.connect({
      user: { id: 'alice' },
      member: { user_id: 'alice', user_info: { name: 'Alice' } },
    });
    await subscribe(alice, 'news');
    await subscribe(alice, 'presence-room');
    await signin(alice);
    assert.deepEqual(Object.keys(await herald.channels()).sort(), [
      '#server-to-user-alice',
      'news',
      'presence-room',
    ]);
    assert.deepEqual(await herald.members('presence-room'), [
      { id: 'alice', info: { name: 'Alice' } },
    ]);

    await herald.reset();
    assert.deepEqual(await herald.channels(), {});
    assert.deepEqual(await herald.members('presence-room'), []);
    const listed = await sdk.get({ path: '/channels' });
    assert.deepEqual(await listed.json(), { channels: {} });
    const users = await sdk.get({ path: '/channels/presence-room/users' });
    assert.deepEqual(await users.json(), { users: [] });

    // A new member finds the room empty but for themself.
    const bob = await clients.connect({ member: { user_id: 'bob' } });
    const room = await subscribe(bob, 'presence-room');
    assert.deepEqual(membersOf(room).each, [{ id: 'bob', info: null }]);
  });

  it('empties cache channels: the next subscriber gets pusher:cache_miss', async () => {
    const { herald, sdk, clients } = await setup();
    await sdk.trigger('cache-prices', 'price', { eur: 1 });
    const before = await clients.connect();
    const cached = before.subscribe('cache-prices');
    assert.deepEqual(await nextEvent(cached, 'price'), { eur: 1 });

    await herald.reset();
    const after = await clients.connect();
    const channel = after.subscribe('cache-prices');
    await nextEvent(channel, 'pusher:cache_miss');
    assert.equal(
      eventsOf(channel).items.some((event) => event.event === 'price'),
      false,
      'the old price is gone',
    );
    const info = await sdk.get({ path: '/channels/cache-prices', params: { info: 'cache' } });
    assert.equal(((await info.json()) as { cache?: unknown }).cache, null);
  });

  it('clears the recording once the disconnects are in, and rejects pending waits', async () => {
    const { herald, sdk, clients } = await setup();
    const pusher = await clients.connect({ member: { user_id: 'u' } });
    await subscribe(pusher, 'presence-room');
    await sdk.trigger('presence-room', 'hello', '');
    const pending = herald.waitFor({ event: 'never' });
    await herald.reset();
    await assert.rejects(pending, { reason: 'reset' });
    assert.deepEqual(herald.events(), [], 'nothing of the test before, its disconnects included');
    const next = await clients.connect();
    const record = await herald.waitFor({ kind: 'connected' });
    assert.ok(record.kind === 'connected');
    assert.equal(record.socketId, next.connection.socket_id);
  });

  it('ends a refusal, and the next test connects as usual', async () => {
    const { herald, sdk, clients } = await setup();
    herald.refuseConnections(60_000);
    await herald.reset();
    const pusher = await clients.connect();
    const channel = await subscribe(pusher, 'news');
    const received = nextEvent(channel, 'flash');
    await sdk.trigger('news', 'flash', { ok: true });
    assert.deepEqual(await received, { ok: true });
  });

  it('works without recording', async () => {
    const herald = await startHerald();
    cleanups.push(() => herald.stop());
    const raw = new RawClients(herald);
    cleanups.push(() => raw.closeAll());
    const client = await raw.connect();
    await herald.reset();
    assert.equal((await client.closed()).code, 4099);
  });
});

describe('stop()', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));

  /** Runs an ES module as a user's test file would be (cwd: the package, herald/testing). */
  function run(script: string): Promise<{ code: number | null; output: string; ms: number }> {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        process.kill(child.pid!, 'SIGKILL');
        reject(new Error(`still running after 15 s: a handle was left open\n${output}`));
      }, 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output, ms: performance.now() - started });
      });
    });
  }

  it('frees every handle: a process that used herald/testing exits on its own', async () => {
    const { code, output } = await run(`
      import { createServer } from 'node:http';
      import { startHerald } from 'herald/testing';
      import Pusher from 'pusher-js';
      import PusherServer from 'pusher';
      import WebSocket from 'ws';

      // A webhook receiver, so the stop also has kept-alive webhook sockets to free.
      const receiver = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
      await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const herald = await startHerald({
        record: true,
        webhookUrl: ['http://127.0.0.1:' + receiver.address().port + '/'],
        webhookBatchMs: 0,
      });
      const pusher = new Pusher(herald.app.key, herald.pusherJsOptions);
      const channel = pusher.subscribe('news');
      await new Promise((resolve) => channel.bind('pusher:subscription_succeeded', resolve));
      const got = new Promise((resolve) => channel.bind('flash', resolve));
      await new PusherServer(herald.pusherOptions).trigger('news', 'flash', { n: 1 });
      await got;
      await herald.waitFor({ kind: 'trigger' });
      // A browser tab left open: reset closes it and it stays closed.
      const tab = new WebSocket(herald.url.replace('http', 'ws') + '/app/' + herald.app.key + '?protocol=7');
      await new Promise((resolve) => tab.once('message', resolve));
      const tabClosed = new Promise((resolve) => tab.once('close', resolve));
      pusher.disconnect();
      await herald.reset();
      await tabClosed;
      await herald.stop();
      receiver.close();
      console.log('stopped');
    `);
    assert.equal(code, 0, output);
    assert.match(output, /stopped/);
  });

  it('resolves while a webhook URL refuses connections', async () => {
    const { code, output } = await run(`
        import { startHerald } from 'herald/testing';
        import WebSocket from 'ws';

        // Port 9 (discard) has no listener here: every attempt is refused and retried.
        const herald = await startHerald({
          webhookUrl: ['http://127.0.0.1:9/'],
          webhookBatchMs: 0,
          shutdownTimeout: 200,
        });
        const tab = new WebSocket(herald.url.replace('http', 'ws') + '/app/' + herald.app.key + '?protocol=7');
        await new Promise((resolve) => tab.once('message', resolve));
        tab.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }));
        await new Promise((resolve) => tab.once('message', resolve));
        await herald.reset();
        await herald.stop();
        console.log('stopped');
      `);
    assert.equal(code, 0, output);
  });
});
