import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { givenFlags, startOptions } from '../../src/cli/flags.js';
import { loadConfig, parseBoolean, parseInteger } from '../../src/config/loader.js';
import { ConfigError, type HeraldOptions } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (JSON-encoded unless a string) to a fresh file and returns its path. */
function file(content: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function load(options: { file?: unknown; env?: Record<string, string>; flags?: HeraldOptions }) {
  const config = options.file === undefined ? undefined : file(options.file);
  return loadConfig({
    env: options.env ?? {},
    flags: { ...(config === undefined ? {} : { config }), ...options.flags },
  });
}

/** Asserts a ConfigError whose message contains every one of `parts`. */
function rejects(run: () => unknown, ...parts: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    for (const part of parts) assert.ok(error.message.includes(part), error.message);
    return true;
  });
}

describe('loadConfig: sources', () => {
  it('applies the schema defaults when nothing is given', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 6001);
    assert.equal(config.appId, 'app-id');
    assert.equal(config.key, 'app-key');
    assert.equal(config.secret, 'app-secret');
    assert.equal(config.clientEvents, true);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.metrics, true);
    assert.equal(config.apps, undefined);
    assert.equal(config.console, true);
    assert.equal(config.consoleToken, undefined);
    assert.equal(config.consoleRows, 1000);
  });

  // Each option three times over: the file's value loses to the env's, which loses to the flag's.
  const cases = [
    { option: 'host', env: 'HERALD_HOST', file: 'f.local', envText: 'e.local', flag: 'x.local' },
    { option: 'port', env: 'HERALD_PORT', file: 1001, envText: '1002', flag: 1003 },
    { option: 'appId', env: 'HERALD_APP_ID', file: 'file-id', envText: 'env-id', flag: 'flag-id' },
    { option: 'key', env: 'HERALD_APP_KEY', file: 'file-key', envText: 'env-key', flag: 'flag-k' },
    { option: 'secret', env: 'HERALD_APP_SECRET', file: 'f-s', envText: 'e-s', flag: 'flag-s' },
    {
      option: 'clientEvents',
      env: 'HERALD_CLIENT_EVENTS',
      file: true,
      envText: 'false',
      flag: true,
    },
    { option: 'logLevel', env: 'HERALD_LOG_LEVEL', file: 'warn', envText: 'debug', flag: 'error' },
    { option: 'metrics', env: 'HERALD_METRICS', file: true, envText: 'false', flag: true },
    { option: 'socketHost', env: 'HERALD_SOCKET_HOST', file: 'a', envText: 'b', flag: 'c' },
    { option: 'socketPort', env: 'HERALD_SOCKET_PORT', file: 2001, envText: '2002', flag: 2003 },
    { option: 'webHost', env: 'HERALD_WEB_HOST', file: 'a', envText: 'b', flag: 'c' },
    { option: 'webPort', env: 'HERALD_WEB_PORT', file: 3001, envText: '3002', flag: 3003 },
    { option: 'console', env: 'HERALD_CONSOLE', file: true, envText: 'false', flag: true },
    {
      option: 'consoleToken',
      env: 'HERALD_CONSOLE_TOKEN',
      file: 'file-token-0123456789',
      envText: 'env-token-0123456789',
      flag: 'flag-token-0123456789',
    },
    { option: 'consoleRows', env: 'HERALD_CONSOLE_ROWS', file: 100, envText: '200', flag: 300 },
  ] as const;
  const envValue = (text: string) =>
    /^\d+$/.test(text) ? Number(text) : text === 'false' ? false : text;

  for (const { option, env, file: fromFile, envText, flag } of cases) {
    it(`${option}: file < ${env} < flag`, () => {
      const fileOnly = { [option]: fromFile };
      assert.equal(load({ file: fileOnly })[option], fromFile);
      assert.equal(load({ file: fileOnly, env: { [env]: envText } })[option], envValue(envText));
      const all = load({ file: fileOnly, env: { [env]: envText }, flags: { [option]: flag } });
      assert.equal(all[option], flag);
    });
  }

  it('clientEvents: a flag of false beats an env of true', () => {
    const config = load({ env: { HERALD_CLIENT_EVENTS: 'true' }, flags: { clientEvents: false } });
    assert.equal(config.clientEvents, false);
  });

  it('reads the file named by HERALD_CONFIG, and a --config flag wins over it', () => {
    const fromEnv = file({ port: 4001 });
    const fromFlag = file({ port: 4002 });
    assert.equal(loadConfig({ env: { HERALD_CONFIG: fromEnv } }).port, 4001);
    const both = loadConfig({ env: { HERALD_CONFIG: fromEnv }, flags: { config: fromFlag } });
    assert.equal(both.port, 4002);
    assert.equal(both.config, fromFlag);
  });

  it('reads only the env object it is given, never process.env', () => {
    process.env.HERALD_PORT = '4444';
    try {
      assert.equal(loadConfig({ env: {} }).port, 6001);
    } finally {
      delete process.env.HERALD_PORT;
    }
  });

  it('treats an empty variable as unset', () => {
    const config = load({ env: { HERALD_PORT: '', HERALD_APP_KEY: '', PUSHER_KEY: 'pk' } });
    assert.equal(config.port, 6001);
    assert.equal(config.key, 'pk');
  });

  it('accepts true/false/1/0 in any case for booleans and only whole integers for ports', () => {
    for (const [text, value] of [
      ['true', true],
      ['1', true],
      ['FALSE', false],
      ['0', false],
    ]) {
      assert.equal(load({ env: { HERALD_CLIENT_EVENTS: text as string } }).clientEvents, value);
    }
    assert.equal(parseBoolean('yes'), undefined);
    assert.equal(parseInteger('6001'), 6001);
    for (const text of ['', '1.5', '0x10', '60a', '-1', '1e3']) {
      assert.equal(parseInteger(text), undefined, text);
    }
  });
});

describe('loadConfig: PUSHER_* names', () => {
  it('reads the app id, key and secret from the PUSHER_* names', () => {
    const config = load({
      env: { PUSHER_APP_ID: 'p-id', PUSHER_APP_KEY: 'p-key', PUSHER_APP_SECRET: 'p-secret' },
    });
    assert.deepEqual([config.appId, config.key, config.secret], ['p-id', 'p-key', 'p-secret']);
    const short = load({ env: { PUSHER_KEY: 'short-key', PUSHER_SECRET: 'short-secret' } });
    assert.deepEqual([short.key, short.secret], ['short-key', 'short-secret']);
  });

  it('lets HERALD_* win over PUSHER_*, and PUSHER_APP_* over the short names', () => {
    const config = load({
      env: {
        HERALD_APP_ID: 'h-id',
        PUSHER_APP_ID: 'p-id',
        HERALD_APP_KEY: 'h-key',
        PUSHER_APP_KEY: 'p-key',
        PUSHER_KEY: 'short-key',
        PUSHER_APP_SECRET: 'p-secret',
        PUSHER_SECRET: 'short-secret',
      },
    });
    assert.deepEqual([config.appId, config.key, config.secret], ['h-id', 'h-key', 'p-secret']);
  });

  it('lets a flag win over PUSHER_*', () => {
    assert.equal(load({ env: { PUSHER_APP_KEY: 'p' }, flags: { key: 'f' } }).key, 'f');
  });
});

describe('loadConfig: bad values', () => {
  it('names the variable for a value that is not of its type', () => {
    rejects(() => load({ env: { HERALD_PORT: 'abc' } }), 'HERALD_PORT', '"abc"');
    rejects(() => load({ env: { HERALD_WEB_PORT: '80.5' } }), 'HERALD_WEB_PORT');
    rejects(() => load({ env: { HERALD_CLIENT_EVENTS: 'yes' } }), 'HERALD_CLIENT_EVENTS', 'yes');
  });

  it('names the option for a value the schema refuses, whatever its source', () => {
    rejects(() => load({ env: { HERALD_PORT: '70000' } }), 'port:');
    rejects(() => load({ flags: { port: -1 } }), 'port:');
    rejects(() => load({ env: { HERALD_LOG_LEVEL: 'loud' } }), 'logLevel:');
    rejects(() => load({ file: { activityTimeout: 'soon' } }), 'activityTimeout:');
    rejects(() => load({ env: { HERALD_CONSOLE_TOKEN: 'short' } }), 'consoleToken:', '16');
    rejects(() => load({ env: { HERALD_CONSOLE_ROWS: '5' } }), 'consoleRows:');
    rejects(() => load({ env: { HERALD_CONSOLE: 'off' } }), 'HERALD_CONSOLE', '"off"');
  });

  it('names the file when it is missing, not JSON or not an object', () => {
    const missing = join(dir, 'missing.json');
    rejects(() => loadConfig({ env: {}, flags: { config: missing } }), missing, 'not found');
    const broken = file('{"port": 1,}');
    rejects(() => loadConfig({ env: {}, flags: { config: broken } }), broken, 'not valid JSON');
    const list = file([{ port: 1 }]);
    rejects(() => loadConfig({ env: {}, flags: { config: list } }), list, 'JSON object');
  });

  it('refuses unknown keys in the file, at the top and in an app', () => {
    const path = file({ prot: 1 });
    rejects(() => loadConfig({ env: {}, flags: { config: path } }), '"prot"', path);
    rejects(
      () => load({ file: { apps: [{ id: 'a', key: 'k', secret: 's', clientevents: false }] } }),
      'apps.0',
      '"clientevents"',
    );
  });

  it('names the app and field of a bad app', () => {
    const apps = [
      { id: 'a', key: 'ka', secret: 'sa' },
      { id: 'b', key: 'kb', secret: '' },
    ];
    rejects(() => load({ file: { apps } }), 'apps.1.secret:');
  });
});

describe('loadConfig: apps', () => {
  const fileApps = [
    { id: 'one', key: 'key-one', secret: 'secret-one', maxConnections: 5 },
    { id: 'two', key: 'key-two', secret: 'secret-two', clientEvents: false },
  ];

  it('serves exactly the file apps when env and flags set no default-app option', () => {
    const config = load({ file: { apps: fileApps }, env: { HERALD_PORT: '7000' } });
    assert.deepEqual(
      config.apps?.map((app) => [app.id, app.key, app.clientEvents, app.maxConnections]),
      [
        ['one', 'key-one', true, 5],
        ['two', 'key-two', false, null],
      ],
    );
  });

  it('ignores top-level app options in the file when it lists apps', () => {
    const config = load({ file: { key: 'top-key', apps: fileApps } });
    assert.deepEqual(
      config.apps?.map((app) => app.key),
      ['key-one', 'key-two'],
    );
  });

  it('puts the default app first when the env gives one of its options', () => {
    const config = load({ file: { apps: fileApps }, env: { PUSHER_APP_KEY: 'env-key' } });
    assert.deepEqual(
      config.apps?.map((app) => [app.id, app.key, app.secret]),
      [
        ['app-id', 'env-key', 'app-secret'],
        ['one', 'key-one', 'secret-one'],
        ['two', 'key-two', 'secret-two'],
      ],
    );
  });

  it('puts the default app first when a flag gives one of its options', () => {
    const config = load({ file: { apps: fileApps }, flags: { clientEvents: false } });
    assert.equal(config.apps?.length, 3);
    assert.deepEqual(
      [config.apps?.[0]?.id, config.apps?.[0]?.key, config.apps?.[0]?.clientEvents],
      ['app-id', 'app-key', false],
    );
  });

  it('refuses a default app whose id or key is also a file app’s, naming the option', () => {
    rejects(() => load({ file: { apps: fileApps }, flags: { appId: 'two' } }), 'appId:', 'apps.1');
    rejects(
      () => load({ file: { apps: fileApps }, env: { HERALD_APP_KEY: 'key-one' } }),
      'key:',
      'apps.0',
    );
  });

  it('refuses two file apps with the same id or key, naming the later one', () => {
    const sameId = [fileApps[0], { ...fileApps[1], id: 'one' }];
    rejects(() => load({ file: { apps: sameId } }), 'apps.1.id:', 'apps.0');
    const sameKey = [fileApps[0], { ...fileApps[1], key: 'key-one' }];
    rejects(() => load({ file: { apps: sameKey } }), 'apps.1.key:', 'apps.0');
  });

  it('refuses an empty apps list', () => {
    rejects(() => load({ file: { apps: [] } }), 'apps:');
  });
});

describe('loadConfig: TLS', () => {
  const pair = (cert: string, key: string) => ({ tlsCert: cert, tlsKey: key });

  it('tlsCert and tlsKey: file < HERALD_TLS_CERT/HERALD_TLS_KEY < flags', () => {
    const fromFile = { file: pair('f.crt', 'f.key') };
    const env = { HERALD_TLS_CERT: 'e.crt', HERALD_TLS_KEY: 'e.key' };
    const pick = ({ tlsCert, tlsKey }: { tlsCert?: string; tlsKey?: string }) => [tlsCert, tlsKey];
    assert.deepEqual(pick(load({})), [undefined, undefined]);
    assert.deepEqual(pick(load(fromFile)), ['f.crt', 'f.key']);
    assert.deepEqual(pick(load({ ...fromFile, env })), ['e.crt', 'e.key']);
    const flags = pair('x.crt', 'x.key');
    assert.deepEqual(pick(load({ ...fromFile, env, flags })), ['x.crt', 'x.key']);
  });

  it('refuses one without the other, naming the missing option, whatever the source', () => {
    rejects(() => load({ file: { tlsCert: 'c.pem' } }), 'tlsKey: must be given with tlsCert');
    rejects(() => load({ env: { HERALD_TLS_KEY: 'k.pem' } }), 'tlsCert: must be given with tlsKey');
    rejects(() => load({ flags: { tlsCert: 'c.pem' } }), 'tlsKey:');
    rejects(() => load({ file: { tlsCert: '', tlsKey: 'k.pem' } }), 'tlsCert:');
  });

  it('leaves the files to the start: missing ones load (client-config needs no key)', () => {
    const config = load({ flags: pair('no-such-cert.pem', 'no-such-key.pem') });
    assert.equal(config.tlsKey, 'no-such-key.pem');
  });
});

describe('loadConfig: flags as commander parses them', () => {
  /** `herald start ...argv` through the real flag table, without starting anything. */
  function fromArgv(argv: string[], env: Record<string, string> = {}) {
    const command = new Command('start').exitOverride().configureOutput({ writeErr: () => {} });
    for (const option of startOptions()) command.addOption(option);
    command.parse(argv, { from: 'user' });
    const flags = givenFlags(command.opts(), (name) => command.getOptionValueSource(name));
    return loadConfig({ env, flags });
  }

  it('leaves unset flags unset, so they do not override the environment', () => {
    const config = fromArgv([], { HERALD_CLIENT_EVENTS: 'false', HERALD_PORT: '7001' });
    assert.equal(config.clientEvents, false);
    assert.equal(config.port, 7001);
  });

  it('turns --no-client-events into clientEvents: false over the environment', () => {
    const config = fromArgv(['--no-client-events'], { HERALD_CLIENT_EVENTS: 'true' });
    assert.equal(config.clientEvents, false);
  });

  it('turns --no-metrics into metrics: false over the environment; unset, the env decides', () => {
    assert.equal(fromArgv(['--no-metrics'], { HERALD_METRICS: 'true' }).metrics, false);
    assert.equal(fromArgv([], { HERALD_METRICS: 'false' }).metrics, false);
    assert.equal(fromArgv([]).metrics, true);
  });

  it('parses ports as integers and takes the short and pusher-fake spellings', () => {
    const config = fromArgv(['--socket-port', '7002', '--web-port', '7003', '-k', 'k', '-s', 's']);
    assert.deepEqual(
      [config.socketPort, config.webPort, config.key, config.secret],
      [7002, 7003, 'k', 's'],
    );
    assert.equal(fromArgv(['--id', 'fake-id']).appId, 'fake-id');
    assert.equal(fromArgv(['-i', 'short-id']).appId, 'short-id');
    assert.equal(fromArgv(['--id', 'fake-id', '--app-id', 'long-id']).appId, 'long-id');
  });

  it('takes --tls-cert and --tls-key as file paths', () => {
    const config = fromArgv(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem']);
    assert.deepEqual([config.tlsCert, config.tlsKey], ['cert.pem', 'key.pem']);
  });

  it('turns the console off with --no-console and on with --console, over the environment', () => {
    assert.equal(fromArgv(['--no-console'], { HERALD_CONSOLE: 'true' }).console, false);
    assert.equal(fromArgv(['--console'], { HERALD_CONSOLE: 'false' }).console, true);
    assert.equal(fromArgv([], { HERALD_CONSOLE: 'false' }).console, false);
    const config = fromArgv(['--console-token', 'a-token-of-16-chars', '--console-rows', '50']);
    assert.deepEqual([config.consoleToken, config.consoleRows], ['a-token-of-16-chars', 50]);
  });

  it('refuses a port flag that is not an integer, naming the flag', () => {
    assert.throws(() => fromArgv(['--port', '60x1']), /--port <port>.*expected an integer/);
  });
});
