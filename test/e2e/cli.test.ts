/**
 * `herald` as users run it: `node bin/herald.js` in a child process, configured by flags, env and
 * a config file, reached by pusher-js, raw WebSockets and plain HTTP, stopped by signals.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PusherJsModule from 'pusher-js';
import PusherServer from 'pusher';
import WebSocket from 'ws';
import { freePorts, killAll, runHerald, spawnHerald, type Address } from '../helpers/cli.js';

// pusher-js is CommonJS with ES-style declarations: at run time the default import is the class.
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;
type PusherJs = InstanceType<typeof PusherJs>;

const WAIT_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  killAll();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** Resolves once a pusher-js client with `key` is connected to `address`; disconnected after. */
function connectPusherJs(key: string, { host, port }: Address): Promise<PusherJs> {
  const pusher = new PusherJs(key, {
    cluster: 'herald',
    wsHost: host,
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
  });
  cleanups.push(() => pusher.disconnect());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${key}: not connected`)), WAIT_MS);
    pusher.connection.bind('state_change', ({ current }: { current: string }) => {
      if (current === 'connected') {
        clearTimeout(timer);
        resolve(pusher);
      } else if (current === 'failed' || current === 'unavailable') {
        clearTimeout(timer);
        reject(new Error(`${key}: connection ${current}`));
      }
    });
  });
}

interface RawSocket {
  readonly socket: WebSocket;
  readonly frames: { event: string; data?: unknown }[];
  readonly closed: Promise<number>;
}

/** A plain `ws` client, resolved after `pusher:connection_established`. */
function connectWs({ host, port }: Address, key: string): Promise<RawSocket> {
  const socket = new WebSocket(`ws://${host}:${port}/app/${key}?protocol=7`);
  cleanups.push(() => socket.terminate());
  const frames: RawSocket['frames'] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connection_established')), WAIT_MS);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as RawSocket['frames'][number];
      frames.push(frame);
      if (frame.event === 'pusher:connection_established') {
        clearTimeout(timer);
        resolve({ socket, frames, closed });
      }
    });
  });
}

async function get(address: Address, path: string): Promise<number> {
  const response = await fetch(`http://${address.host}:${address.port}${path}`);
  await response.arrayBuffer();
  return response.status;
}

describe('herald --help', () => {
  const flags = [
    ['--host', 'HERALD_HOST', '127.0.0.1'],
    ['--port', 'HERALD_PORT', '6001'],
    ['-i, --app-id', 'PUSHER_APP_ID', 'app-id'],
    ['-k, --key', 'PUSHER_KEY', 'app-key'],
    ['-s, --secret', 'PUSHER_SECRET', 'app-secret'],
    ['--no-client-events', 'HERALD_CLIENT_EVENTS=false', 'client events on'],
    ['--no-metrics', 'HERALD_METRICS=false', 'metrics on'],
    ['--config', 'HERALD_CONFIG', 'none'],
    ['--log-level', 'HERALD_LOG_LEVEL', 'info'],
    ['--socket-host', 'HERALD_SOCKET_HOST', '--host'],
    ['--socket-port', 'HERALD_SOCKET_PORT', '--port'],
    ['--web-host', 'HERALD_WEB_HOST', '--host'],
    ['--web-port', 'HERALD_WEB_PORT', '--port'],
  ];

  for (const args of [['--help'], ['start', '--help']]) {
    it(`herald ${args.join(' ')} lists every flag with its env var and default`, async () => {
      const { code, stdout } = await runHerald(args);
      assert.equal(code, 0);
      // One entry per option, each starting on a line of its own; wrapped lines are joined.
      const entries = stdout.split(/\n(?= {2}-)/).map((entry) => entry.replace(/\s+/g, ' ').trim());
      for (const [flag, env, fallback] of flags) {
        const entry = entries.find((candidate) => candidate.startsWith(`${flag} `));
        assert.ok(entry !== undefined, `${flag} missing from:\n${stdout}`);
        assert.ok(entry.includes(env!), `${env} missing from: ${entry}`);
        assert.ok(entry.includes(`default: ${fallback})`), `default missing from: ${entry}`);
      }
      assert.match(stdout.replace(/\s+/g, ' '), /Apps: without "apps" in the config file/);
    });
  }
});

describe('herald start', () => {
  it('starts with flags: /ready answers 200 and pusher-js connects with the key', async () => {
    const herald = spawnHerald([
      'start',
      '--port',
      '0',
      '-i',
      'flag-id',
      '-k',
      'flag-key',
      '-s',
      'flag-secret',
      '--log-level',
      'info',
    ]);
    const line = await herald.started();
    assert.equal(line.websocket.port, line.api.port);
    assert.notEqual(line.api.port, 0);
    const url = `http://127.0.0.1:${line.api.port}`;
    assert.equal(
      line.msg,
      `herald listening on ${url} (ws://127.0.0.1:${line.api.port}/app/flag-key) ` +
        'app-id=flag-id key=flag-key secret=flag-secret',
    );
    assert.equal(await get(line.api, '/ready'), 200);
    await connectPusherJs('flag-key', line.websocket);
  });

  it('serves every app of a config file', async () => {
    const config = writeConfig('two-apps.json', {
      port: 0,
      apps: [
        { id: 'one', key: 'key-one', secret: 'secret-one' },
        { id: 'two', key: 'key-two', secret: 'secret-two', clientEvents: false },
      ],
    });
    const herald = spawnHerald(['start', '--config', config]);
    const line = await herald.started();
    assert.match(line.msg, /key=key-one secret=secret-one \(\+1 more/);
    await Promise.all([
      connectPusherJs('key-one', line.websocket),
      connectPusherJs('key-two', line.websocket),
    ]);
  });

  it('reads HERALD_* and PUSHER_* variables: the key connects, the id and secret sign', async () => {
    const herald = spawnHerald(['start'], {
      HERALD_PORT: '0',
      HERALD_APP_KEY: 'env-key',
      PUSHER_APP_ID: 'env-id',
      PUSHER_SECRET: 'env-secret',
      HERALD_LOG_LEVEL: 'info',
    });
    const line = await herald.started();
    await connectPusherJs('env-key', line.websocket);
    const sdk = new PusherServer({
      appId: 'env-id',
      key: 'env-key',
      secret: 'env-secret',
      host: line.api.host,
      port: String(line.api.port),
      useTLS: false,
    });
    const response = await sdk.trigger('news', 'hello', { ok: true });
    assert.equal(response.status, 200);
  });

  it('exits 1 naming the bad option, with no stack trace', async () => {
    const config = writeConfig('bad-app.json', {
      apps: [
        { id: 'one', key: 'key-one', secret: 'secret-one' },
        { id: 'two', key: 'key-two', secret: '' },
      ],
    });
    const cases: { args: string[]; env: Record<string, string>; names: string }[] = [
      { args: ['start', '--config', config], env: {}, names: 'apps.1.secret:' },
      { args: ['start', '--port', '70000'], env: {}, names: 'port:' },
      { args: ['start'], env: { HERALD_PORT: 'abc' }, names: 'HERALD_PORT' },
      { args: ['start', '--port', 'abc'], env: {}, names: "'--port <port>'" },
    ];
    await Promise.all(
      cases.map(async ({ args, env, names }) => {
        const { code, stdout, stderr } = await runHerald(args, env);
        assert.equal(code, 1, args.join(' '));
        assert.ok(stderr.includes(names), `${names} not in: ${stderr}`);
        assert.doesNotMatch(stderr, /^\s+at /m, 'a stack trace');
        assert.equal(stdout, '');
      }),
    );
  });

  it('exits 1 naming host:port when the port is taken', async () => {
    const taken = createServer();
    cleanups.push(() => taken.close());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const { code, stderr } = await runHerald(['start', '--port', String(port)]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`));
  });

  it('takes pusher-fake flags: --socket-port and --web-port split WebSocket and API, --id', async () => {
    const [socketPort, webPort] = (await freePorts(2)) as [number, number];
    const herald = spawnHerald([
      'start',
      '--socket-port',
      String(socketPort),
      '--web-port',
      String(webPort),
      '--id',
      'fake-id',
    ]);
    const line = await herald.started();
    assert.match(line.msg, / app-id=fake-id /, "pusher-fake's --id");
    assert.deepEqual(line.websocket, { host: '127.0.0.1', port: socketPort });
    assert.deepEqual(line.api, { host: '127.0.0.1', port: webPort });
    assert.equal(await get(line.api, '/ready'), 200);
    assert.equal(await get(line.api, '/apps/fake-id/channels'), 401, 'unsigned API call');
    assert.equal(await get(line.websocket, '/apps/fake-id/channels'), 404, 'no API on WS port');
    await connectPusherJs('app-key', line.websocket);
    await assert.rejects(connectWs(line.api, 'app-key'), 'no WebSocket on the API port');
  });
});

describe('herald start: stopping', () => {
  it('on SIGTERM closes clients with 4200 and exits 0', async () => {
    const herald = spawnHerald(['start', '--port', '0']);
    const line = await herald.started();
    const raw = await connectWs(line.websocket, 'app-key');
    const pusher = await connectPusherJs('app-key', line.websocket);
    const pusherError = new Promise<unknown>((resolve) => {
      pusher.connection.bind('error', (error: { data?: { code?: number } }) => resolve(error.data));
    });

    herald.signal('SIGTERM');
    assert.equal(await raw.closed, 4200);
    const last = raw.frames.at(-1)!;
    assert.equal(last.event, 'pusher:error');
    assert.equal((last.data as { code: number }).code, 4200);
    assert.equal(((await pusherError) as { code: number }).code, 4200);
    // pusher-js reconnects at once on 4200; stop it before it finds no server.
    pusher.disconnect();
    const exit = await herald.exit(WAIT_MS);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(herald.lines.some((l) => l.msg === 'herald stopped'));
  });

  it('exits 1 at once on a second signal while the first is still stopping', async () => {
    const herald = spawnHerald(['start', '--port', '0']);
    const line = await herald.started();
    // A client that completes the handshake but never answers the close frame keeps the graceful
    // stop waiting (until shutdownTimeout), which leaves room for the second signal.
    const stubborn = await upgradeAndIgnore(line.websocket);
    cleanups.push(() => stubborn.destroy());

    herald.signal('SIGTERM');
    await herald.waitForLine((l) => l.signal === 'SIGTERM', 'stopping line');
    herald.signal('SIGINT');
    assert.deepEqual(await herald.exit(WAIT_MS), { code: 1, signal: null });
    assert.ok(!herald.lines.some((l) => l.msg === 'herald stopped'), 'finished the stop anyway');
  });
});

/** Opens `/app/app-key` by hand and then reads nothing more, as a hung client would. */
function upgradeAndIgnore({ host, port }: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, host, () => {
      socket.write(
        `GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${chunk.toString('latin1')}`));
    });
  });
}
