/**
 * `herald doctor` as users run it (`node bin/herald.js doctor` in a child process) against real
 * servers this file starts: all green, then one deliberate mistake at a time (wrong key, wrong
 * secret, wrong app id), a port nothing listens on, a port that accepts and never answers, and a
 * server that is not ready because its Redis went away.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { freePorts, killAll, runHerald } from '../helpers/cli.js';
import { RecordingLog } from '../helpers/recording-log.js';
import { REDIS_URL, removeKeys, testPrefix } from '../helpers/redis.js';
import { RedisRelay } from '../helpers/redis-relay.js';

const app = { id: '42', key: 'doctor-key', secret: 'doctor-secret-0123' };
const dir = mkdtempSync(join(tmpdir(), 'herald-doctor-'));

let herald: TestHerald;

before(async () => {
  herald = await startHerald({ apps: [app] });
});
afterEach(() => killAll());
after(async () => {
  await herald.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Check {
  readonly status: string;
  /** The check's first line and the indented lines under it. */
  readonly text: string;
}

interface DoctorRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly checks: ReadonlyMap<string, Check>;
}

/** Runs `herald doctor ...args` and splits its output into one block per check. */
async function doctor(args: readonly string[], env?: Record<string, string>): Promise<DoctorRun> {
  const { code, stdout, stderr } = await runHerald(['doctor', ...args], env);
  const blocks: string[][] = [];
  for (const line of stdout.split('\n')) {
    if (/^(ok|FAIL|skip) /.test(line)) blocks.push([line]);
    else if (line.startsWith('      ')) blocks.at(-1)?.push(line);
  }
  const checks = new Map<string, Check>(
    blocks.map((block) => {
      const [, status, name] = /^(\S+) +(\S+)/.exec(block[0]!)!;
      return [name!, { status: status!, text: block.join('\n') }];
    }),
  );
  return { code, stdout, stderr, checks };
}

const credentials = (overrides: Partial<typeof app> = {}) => {
  const { id, key, secret } = { ...app, ...overrides };
  return ['--app-id', id, '--key', key, '--secret', secret];
};

/** Asserts the check's status; a failed one must come with a fix. */
function check(run: DoctorRun, name: string, status: 'ok' | 'FAIL' | 'skip'): string {
  const found = run.checks.get(name);
  assert.ok(found !== undefined, `no ${name} line in:\n${run.stdout}${run.stderr}`);
  assert.equal(found.status, status, found.text);
  if (status === 'FAIL') assert.match(found.text, /\n {6}fix: \S/, `a fix for ${name}`);
  return found.text;
}

describe('herald doctor against a healthy server', () => {
  const assertAllGreen = (run: DoctorRun) => {
    assert.equal(run.code, 0, run.stdout + run.stderr);
    for (const name of ['reachable', 'ready', 'websocket', 'rest']) check(run, name, 'ok');
    assert.deepEqual([...run.checks.keys()], ['reachable', 'ready', 'websocket', 'rest']);
    assert.match(run.stdout, /\nAll 4 checks passed\.\n$/);
    assert.equal(run.stdout.includes(app.secret), false, 'the secret is never printed');
  };

  it('passes every check with the app given as flags', async () => {
    const run = await doctor(['--port', String(herald.port), ...credentials()]);
    assertAllGreen(run);
    assert.match(check(run, 'websocket', 'ok'), /\/app\/doctor-key\?protocol=7 connected/);
    assert.match(
      check(run, 'rest', 'ok'),
      /GET http:\/\/127\.0\.0\.1:\d+\/apps\/42\/channels answered 200/,
    );
  });

  it('reads the app and the port from PUSHER_* and HERALD_* like herald start', async () => {
    assertAllGreen(
      await doctor([], {
        HERALD_PORT: String(herald.port),
        PUSHER_APP_ID: app.id,
        PUSHER_APP_KEY: app.key,
        PUSHER_APP_SECRET: app.secret,
      }),
    );
  });

  it('reads them from the config file the server runs with, or takes --url', async () => {
    const config = join(dir, 'server.json');
    writeFileSync(config, JSON.stringify({ host: '0.0.0.0', port: herald.port, apps: [app] }));
    assertAllGreen(await doctor(['--config', config]));
    assertAllGreen(await doctor(['--url', `http://127.0.0.1:${herald.port}`, ...credentials()]));
  });
});

describe('herald doctor explains a deliberately wrong client', () => {
  it('a wrong key: the WebSocket gets 4001 and the REST call names the key', async () => {
    const run = await doctor(['--port', String(herald.port), ...credentials({ key: 'wrong-key' })]);
    assert.equal(run.code, 1);
    check(run, 'reachable', 'ok');
    check(run, 'ready', 'ok');
    const websocket = check(run, 'websocket', 'FAIL');
    assert.match(websocket, /pusher:error 4001 "Application does not exist"/);
    assert.match(
      websocket,
      /fix: no app with key "wrong-key" on the server: give the key of an app/,
    );
    const rest = check(run, 'rest', 'FAIL');
    assert.match(rest, /answered 401, failed check: auth_key \(unknown\)/);
    assert.match(rest, /\n {8}Why: no app on this server has the key "wrong-key"\./);
    assert.match(rest, /fix: the key "wrong-key" is not app "42"'s on the server/);
    assert.match(run.stdout, /\n2 failed, 0 not checked, 2 passed\.\n$/);
  });

  it('a wrong secret: the REST call fails and the server’s explanation is printed', async () => {
    const run = await doctor([
      '--port',
      String(herald.port),
      ...credentials({ secret: 'not-the-secret' }),
    ]);
    assert.equal(run.code, 1);
    check(run, 'websocket', 'ok');
    const rest = check(run, 'rest', 'FAIL');
    assert.match(rest, /answered 401, failed check: auth_signature \(mismatch\)/);
    assert.match(rest, /\n {6}the server says:\n {8}Invalid signature: you should have sent /);
    assert.match(rest, /\n {8}Failed check: auth_signature \(mismatch\); /);
    assert.match(
      rest,
      /\n {8}String to sign \(.*\): "GET\\n\/apps\/42\/channels\\nauth_key=doctor-key&auth_timestamp=\d+&auth_version=1\.0"/,
    );
    assert.match(rest, /fix: the secret is not the server's for app "42": give the app's secret/);
    for (const secret of [app.secret, 'not-the-secret']) {
      assert.equal(run.stdout.includes(secret), false, 'no secret is printed');
    }
  });

  it('a wrong app id: the REST call is 404 and the fix names --app-id', async () => {
    const run = await doctor(['--port', String(herald.port), ...credentials({ id: 'nope' })]);
    assert.equal(run.code, 1);
    check(run, 'websocket', 'ok');
    const rest = check(run, 'rest', 'FAIL');
    assert.match(rest, /answered 404: Unknown app id: nope/);
    assert.match(rest, /fix: no app with id "nope" on the server: .*--app-id/);
  });
});

describe('herald doctor against a server that is not there or not well', () => {
  it('a port nothing listens on: reachable fails, the rest is not checked', async () => {
    const [port] = await freePorts(1);
    const run = await doctor(['--port', String(port), ...credentials()]);
    assert.equal(run.code, 1);
    const reachable = check(run, 'reachable', 'FAIL');
    assert.match(reachable, /ECONNREFUSED/);
    assert.match(reachable, new RegExp(`fix: nothing listens on 127\\.0\\.0\\.1:${port}: start`));
    for (const name of ['ready', 'websocket', 'rest']) {
      assert.match(check(run, name, 'skip'), /not checked: 127\.0\.0\.1:\d+ is not reachable/);
    }
  });

  it('a port that accepts and never answers: the check gives up after --timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const run = await doctor(['--port', String(port), '--timeout', '1', ...credentials()]);
      assert.equal(run.code, 1);
      const reachable = check(run, 'reachable', 'FAIL');
      assert.match(reachable, /: no answer within 1 s/);
      assert.match(
        reachable,
        /fix: no answer from 127\.0\.0\.1:\d+: a firewall that drops packets/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('not ready: /ready is 503 while the server cannot reach Redis, with the fix', async () => {
    const relay = await RedisRelay.start(REDIS_URL);
    const log = new RecordingLog();
    const prefix = testPrefix('doctor');
    const cut = await startHerald(
      { apps: [app], adapter: 'redis', redisUrl: relay.url, redisPrefix: prefix },
      { log },
    );
    try {
      relay.cut();
      await log.waitFor('error', /^Redis connection lost/);
      const run = await doctor(['--port', String(cut.port), ...credentials()]);
      assert.equal(run.code, 1);
      check(run, 'reachable', 'ok');
      const ready = check(run, 'ready', 'FAIL');
      assert.match(ready, /\/ready answered 503: The shared state store is unreachable/);
      assert.match(ready, /fix: the server cannot reach Redis: .*--redis-url/);
    } finally {
      await cut.stop();
      await relay.close();
      await removeKeys(prefix);
    }
  });

  it('refuses a --url with a path, before checking anything', async () => {
    const run = await doctor(['--url', `http://127.0.0.1:${herald.port}/herald`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--url <url>.*expected no path/);
    assert.equal(run.stdout, '');
  });
});
