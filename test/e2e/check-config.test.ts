/**
 * `herald check-config <file>` as users run it: a good file is summarised, a bad one gets every
 * problem named by its option, broken JSON its line and column, a missing file its name, and the
 * environment never changes the verdict. Nothing is started.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHerald } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-check-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `content` (JSON-encoded unless a string) and returns the file's path. */
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** The problem lines of a refusal: `  option: message`, indented by two spaces. */
const problems = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim());

describe('herald check-config', () => {
  it('summarises a valid file and exits 0', async () => {
    const path = file('good.json', {
      port: 7000,
      adapter: 'redis',
      apps: [
        { id: '1', key: 'key-one', secret: 'secret-one' },
        { id: '2', key: 'key-two', secret: 'secret-two', clientEvents: false },
      ],
    });
    const { code, stdout, stderr } = await runHerald(['check-config', path]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.equal(
      stdout,
      `${path} is valid.\n` +
        '  2 apps (id "1", "2")\n' +
        '  listens on 127.0.0.1:7000, adapter redis\n' +
        '  (environment variables and flags not applied; `herald start` applies them on top)\n',
    );
    assert.equal(stdout.includes('secret-one'), false, 'no secret is printed');
  });

  it('names separate WebSocket and API ports, and the default app of a file without apps', async () => {
    const path = file('ports.json', { socketPort: 6001, webPort: 6002, key: 'k' });
    const { code, stdout } = await runHerald(['check-config', path]);
    assert.equal(code, 0);
    assert.match(stdout, /\n {2}1 app \(id "app-id"\), the default app\n/);
    assert.match(stdout, /\n {2}WebSocket on 127\.0\.0\.1:6001, HTTP API on 127\.0\.0\.1:6002, /);
  });

  it('leaves the environment out: a bad variable does not fail a good file', async () => {
    const path = file('env.json', { port: 7001 });
    const { code, stdout } = await runHerald(['check-config', path], {
      HERALD_PORT: 'not-a-port',
      HERALD_ADAPTER: 'nonsense',
      PUSHER_APP_ID: 'from-env',
    });
    assert.equal(code, 0);
    assert.match(stdout, /1 app \(id "app-id"\)/);
    assert.match(stdout, /listens on 127\.0\.0\.1:7001, adapter local/);
  });

  it('prints every problem of a bad file with the option it concerns, and exits 1', async () => {
    const path = file('bad.json', {
      port: 70_000,
      logLevel: 'loud',
      prot: 1,
      apps: [
        { id: '1', key: 'k1', secret: '' },
        { id: '2', key: 'k2', secret: 's2', maxConnections: -1, webhooks: [{ url: 'ftp://x' }] },
      ],
    });
    const { code, stdout, stderr } = await runHerald(['check-config', path]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^herald check-config: .*bad\\.json is not valid\\.\n`));
    const lines = problems(stderr);
    const named = (prefix: string) =>
      assert.ok(
        lines.some((line) => line.startsWith(prefix)),
        `${prefix} missing from:\n${stderr}`,
      );
    named('port: ');
    named('logLevel: ');
    named('apps.0.secret: ');
    named('apps.1.maxConnections: ');
    named('apps.1.webhooks.0.url: must be an absolute http:// or https:// URL');
    named('(top level): Unrecognized key: "prot"');
    assert.ok(lines.includes(`(options read from config file ${path})`), stderr);
  });

  it('names the app that repeats another app’s key', async () => {
    const path = file('duplicate.json', {
      apps: [
        { id: '1', key: 'same', secret: 's1' },
        { id: '2', key: 'same', secret: 's2' },
      ],
    });
    const { code, stderr } = await runHerald(['check-config', path]);
    assert.equal(code, 1);
    assert.ok(problems(stderr).includes(`apps.1.key: app key "same" is also apps.0's`), stderr);
  });

  it('says where broken JSON breaks: line and column', async () => {
    const trailingComma = file('comma.json', '{\n  "port": 6001,\n  "apps": [1,]\n}\n');
    const comma = await runHerald(['check-config', trailingComma]);
    assert.equal(comma.code, 1);
    assert.match(
      comma.stderr,
      new RegExp(
        `config file ${trailingComma.replace(/[.\\]/g, '\\$&')}: not valid JSON at line 3, column 14 \\(`,
      ),
    );

    const noColon = file('colon.json', '{\n  "port" 6001\n}\n');
    const colon = await runHerald(['check-config', noColon]);
    assert.equal(colon.code, 1);
    assert.match(colon.stderr, /not valid JSON at line 2, column 10 \(/);

    const truncated = file('truncated.json', '{\n  "port": 6001,\n');
    assert.match(
      (await runHerald(['check-config', truncated])).stderr,
      /not valid JSON at line 3, column 1 \(/,
    );
  });

  it('names a missing file and a file that is not an object', async () => {
    const missing = join(dir, 'nowhere.json');
    const absent = await runHerald(['check-config', missing]);
    assert.equal(absent.code, 1);
    assert.ok(problems(absent.stderr).includes(`config file ${missing}: file not found`));

    const list = await runHerald(['check-config', file('list.json', [1, 2])]);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /expected a JSON object of options/);
  });

  it('needs the file argument', async () => {
    const { code, stderr } = await runHerald(['check-config']);
    assert.equal(code, 1);
    assert.match(stderr, /missing required argument 'file'/);
  });
});
