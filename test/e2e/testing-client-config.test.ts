/**
 * `herald client-config` as users run it (flags, environment, config file), and the same data
 * from `startHerald().clientConfig` — each format checked by using it: pusher-js connects with
 * the printed options, the `pusher` SDK triggers with the printed options and `PUSHER_URL`, the
 * JS snippet evaluates to those options, and a shell reads the `.env` lines back unchanged.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PusherServer from 'pusher';
import { startHerald } from '../../src/testing/index.js';
import type { ClientConfig } from '../../src/testing/client-config.js';
import { freePorts, killAll, spawnHerald } from '../helpers/cli.js';
import { printHerald } from '../helpers/testing-cli.js';
import { PusherJsClients, nextEvent, subscribe } from '../helpers/pusher-js.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-client-config-'));
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  killAll();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function clientConfigOf(args: string[], env?: Record<string, string>) {
  const { code, stdout, stderr } = await printHerald(['client-config', ...args], env);
  assert.equal(code, 0, stderr);
  return stdout;
}

describe('herald client-config', () => {
  it('prints options that reach the server `start` runs with the same flags', async () => {
    const [port] = await freePorts(1);
    const flags = ['--port', String(port), '--app-id', '123', '--key', 'k-1', '--secret', 's 1'];
    const config = JSON.parse(await clientConfigOf(flags)) as ClientConfig;
    const server = spawnHerald(['start', ...flags]);
    await server.started();

    // pusher-js with the printed options, the SDK with the printed options…
    const clients = new PusherJsClients({
      app: config.app,
      pusherJsOptions: config.pusherJs.options,
    });
    cleanups.push(() => clients.disconnectAll());
    const pusher = await clients.connect();
    const channel = await subscribe(pusher, 'news');
    const first = nextEvent(channel, 'one');
    await new PusherServer(config.pusher).trigger('news', 'one', { via: 'options' });
    assert.deepEqual(await first, { via: 'options' });
    // …and the SDK from PUSHER_URL alone (the Node SDK wants a numeric app id there).
    const second = nextEvent(channel, 'two');
    await PusherServer.forURL(config.env.PUSHER_URL!).trigger('news', 'two', { via: 'url' });
    assert.deepEqual(await second, { via: 'url' });

    assert.deepEqual(config.env, {
      PUSHER_APP_ID: '123',
      PUSHER_APP_KEY: 'k-1',
      PUSHER_APP_SECRET: 's 1',
      PUSHER_HOST: '127.0.0.1',
      PUSHER_PORT: String(port),
      PUSHER_SCHEME: 'http',
      PUSHER_APP_CLUSTER: 'herald',
      PUSHER_URL: `http://k-1:s%201@127.0.0.1:${port}/apps/123`,
    });
  });

  it('reads the environment and the config file as `start` does', async () => {
    const file = join(dir, 'herald.json');
    writeFileSync(file, JSON.stringify({ port: 7001, path: '/ws', socketPort: 7002 }));
    const config = JSON.parse(
      await clientConfigOf(['--config', file], { PUSHER_APP_KEY: 'from-env', HERALD_HOST: '::1' }),
    ) as ClientConfig;
    assert.deepEqual(config.pusherJs, {
      key: 'from-env',
      options: {
        cluster: 'herald',
        wsHost: '[::1]',
        wsPort: 7002,
        wsPath: '/ws',
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
      },
    });
    assert.deepEqual([config.pusher.host, config.pusher.port], ['[::1]', '7001']);
  });

  it('--format js is a snippet that builds the same clients', async () => {
    const args = ['--port', '7100'];
    const config = JSON.parse(await clientConfigOf(args)) as ClientConfig;
    const snippet = await clientConfigOf([...args, '--format', 'js']);
    const built: unknown[][] = [];
    const record = function (this: unknown, ...given: unknown[]) {
      built.push(given);
    };
    new Function('Pusher', 'PusherServer', snippet)(record, record);
    assert.deepEqual(built, [[config.pusherJs.key, config.pusherJs.options], [config.pusher]]);
  });

  it('--format env and dotenv are read back unchanged by a shell', async () => {
    const secret = `it's "$ecret" \\ \`x\``;
    const args = ['--port', '7200', '--secret', secret];
    const config = JSON.parse(await clientConfigOf(args)) as ClientConfig;
    for (const format of ['env', 'dotenv']) {
      const file = join(dir, `${format}.env`);
      writeFileSync(file, await clientConfigOf([...args, '--format', format]));
      const read = execFileSync('sh', ['-c', `set -a; . "$0"; env`, file], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
      });
      for (const [name, value] of Object.entries(config.env)) {
        assert.ok(read.split('\n').includes(`${name}=${value}`), `${format}: ${name}=${value}`);
      }
    }
    const dotenv = await clientConfigOf([...args, '--format', 'dotenv']);
    assert.match(dotenv, /^VITE_PUSHER_PORT=7200$/m);
    assert.match(dotenv, /^VITE_PUSHER_HOST=127\.0\.0\.1$/m);
    assert.match(dotenv, /^BROADCAST_CONNECTION=pusher$/m);
  });

  it('names a host clients can reach: 127.0.0.1 for 0.0.0.0, or --client-host', async () => {
    const wildcard = JSON.parse(
      await clientConfigOf(['--host', '0.0.0.0', '--port', '7300']),
    ) as ClientConfig;
    assert.equal(wildcard.pusherJs.options.wsHost, '127.0.0.1');
    const named = JSON.parse(
      await clientConfigOf(['--host', '0.0.0.0', '--port', '7300', '--client-host', 'herald']),
    ) as ClientConfig;
    assert.equal(named.pusherJs.options.wsHost, 'herald');
    assert.equal(named.env.PUSHER_HOST, 'herald');
  });

  it('refuses port 0, pointing at the running server instead', async () => {
    const { code, stdout, stderr } = await printHerald(['client-config', '--port', '0']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /^herald: client-config: port 0 picks a free port when the server starts/);
    assert.match(stderr, /GET \/__herald\/client-config/);
  });

  it('startHerald().clientConfig is what the CLI prints for the same configuration', async () => {
    const [port] = await freePorts(1);
    const herald = await startHerald({ port, appId: '9', key: 'kk', secret: 'ss' });
    cleanups.push(() => herald.stop());
    const printed = JSON.parse(
      await clientConfigOf([
        '--port',
        String(port),
        '--app-id',
        '9',
        '--key',
        'kk',
        '--secret',
        'ss',
      ]),
    ) as unknown;
    assert.deepEqual(herald.clientConfig, printed);
    assert.deepEqual(herald.clientConfig.pusherJs.options, herald.pusherJsOptions);
    assert.deepEqual(herald.clientConfig.pusher, herald.pusherOptions);
  });
});
