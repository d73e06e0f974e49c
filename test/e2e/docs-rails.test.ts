/**
 * docs/rails.md, checked where Node can check it. The Procfile.dev line runs as written, with
 * the repository's bin/herald.js for `npx herald` and free ports put in the way
 * spec/support/herald.rb puts in its own; the initializer agrees with it; and the control API
 * calls of spec/support/herald.rb — the same paths, methods and queries, read from the doc —
 * answer as the Ruby expects them to. The Ruby itself is not run here.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import PusherServer from 'pusher';
import PusherJsModule from 'pusher-js';
import { freePorts, killAll, spawnHerald } from '../helpers/cli.js';

// pusher-js's default import is typed as its module namespace under NodeNext; at run time it is
// the class (see test/helpers/pusher-js.ts).
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;

// From dist/test/e2e/ to the package root.
const doc = readFileSync(fileURLToPath(new URL('../../../docs/rails.md', import.meta.url)), 'utf8');

/** The fenced block whose first line names `file` (`# Procfile.dev`, `# spec/…`). */
function block(file: string): string {
  for (const [, body] of doc.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)) {
    const first = body!.split('\n', 1)[0]!.replace(/^(#|\/\/|<%#)\s*/, '');
    if (first === file || first.startsWith(`${file} `)) return body!;
  }
  throw new Error(`docs/rails.md has no code block for ${file}`);
}

/** The first group `pattern` captures in `text`; fails naming `what` when there is none. */
function find(text: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(text)?.[1];
  assert.ok(found !== undefined, `docs/rails.md: ${what} not found (${String(pattern)})`);
  return found;
}

const procfile = block('Procfile.dev');
const initializer = block('config/initializers/pusher.rb');
const support = block('spec/support/herald.rb');
const requestSpec = block('spec/requests/messages_spec.rb');
const systemSpec = block('spec/system/chat_spec.rb');

const command = find(procfile, /^herald: (.+)$/m, 'the herald line of Procfile.dev');
const flag = (name: string) => find(command, new RegExp(`--${name} (\\S+)`), `--${name}`);
const setting = (name: string) =>
  find(initializer, new RegExp(`^\\s*Pusher\\.${name} = '([^']*)'`, 'm'), `Pusher.${name}`);

/** The query string `Herald.wait_for(…)` builds: its keywords, then the default timeout. */
function waitQuery(spec: string): string {
  const call = find(spec, /Herald\.wait_for\((.+)\)/, 'a Herald.wait_for call');
  const timeout = find(support, /def self\.wait_for\(timeout: (\d+), \*\*filter\)/, 'wait_for');
  const pairs = [...call.matchAll(/(\w+): '([^']*)'/g)].map(([, key, value]): [string, string] => [
    key!,
    value!,
  ]);
  return new URLSearchParams([...pairs, ['timeout', timeout]]).toString();
}

describe('docs/rails.md', () => {
  after(killAll);

  it("gives the gem the Procfile's credentials, and ports of its own to the tests", () => {
    assert.equal(setting('app_id'), flag('id'));
    assert.equal(setting('key'), flag('key'));
    assert.equal(setting('secret'), flag('secret'));
    assert.equal(setting('scheme'), 'http');
    assert.equal(setting('host'), '127.0.0.1');
    const ports =
      /HERALD_PORTS = Rails\.env\.test\? \? \{ socket: (\d+), web: (\d+) \} : \{ socket: (\d+), web: (\d+) \}/.exec(
        initializer,
      );
    assert.ok(ports !== null, 'HERALD_PORTS');
    const [, testSocket, testWeb, socket, web] = ports;
    assert.deepEqual([flag('socket-port'), flag('web-port')], [socket, web]);
    assert.equal(new Set([testSocket, testWeb, socket, web]).size, 4, 'four different ports');
    assert.match(initializer, /^\s*Pusher\.port = HERALD_PORTS\[:web\]$/m);
    assert.match(initializer, /^\s*wsPort: HERALD_PORTS\[:socket\],$/m);
  });

  it('runs the Procfile line, and answers the control API calls of spec/support/herald.rb', async () => {
    assert.match(command, /^npx herald start /);
    const [socketPort, webPort] = await freePorts(2);
    // What Herald.command does to the line, with free ports for the test ones.
    const line = command
      .replace(/--socket-port \d+/, `--socket-port ${socketPort}`)
      .replace(/--web-port \d+/, `--web-port ${webPort}`);
    const herald = spawnHerald(line.replace(/^npx herald /, '').split(' '));
    const started = await herald.started();
    assert.deepEqual(started.websocket, { host: '127.0.0.1', port: socketPort });
    assert.deepEqual(started.api, { host: '127.0.0.1', port: webPort });
    const web = `http://127.0.0.1:${webPort}`;

    // Herald.ready?
    const ready = find(
      support,
      /URI\("http:\/\/127\.0\.0\.1:#\{HERALD_PORTS\[:web\]\}(\/\w+)"\)/,
      'ready?',
    );
    assert.equal((await fetch(`${web}${ready}`)).status, 200);

    // Herald.control's requests, as spec/support/herald.rb builds them.
    const calls = [...support.matchAll(/Net::HTTP::(Get|Post)\.new\((['"])(.+?)\2\)/g)].map(
      ([, method, , path]) => ({ method: method!.toUpperCase(), path: path! }),
    );
    assert.deepEqual(calls, [
      { method: 'POST', path: '/__herald/reset' },
      { method: 'GET', path: '/__herald/wait?#{query}' },
    ]);
    const [reset, wait] = calls as [(typeof calls)[0], (typeof calls)[0]];
    const control = async ({ method, path }: (typeof calls)[0], query = '') => {
      const response = await fetch(`${web}${path.replace('#{query}', query)}`, { method });
      const text = await response.text();
      assert.equal(response.status, 200, `${method} ${path}: ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };

    // config.before(:each) { Herald.reset }
    assert.deepEqual(await control(reset), {});

    // The request spec: what MessagesController#create triggers, through the Node SDK set up
    // as the initializer sets up the gem, then Herald.wait_for.
    const sdk = new PusherServer({
      appId: setting('app_id'),
      key: setting('key'),
      secret: setting('secret'),
      host: setting('host'),
      port: String(webPort),
      useTLS: false,
    });
    const socketId = find(requestSpec, /socket_id: '([^']+)'/, 'the posted socket_id');
    const message = { id: '1', user: { id: 'Ann', name: 'Ann' }, text: 'Hello', sentAt: '' };
    await sdk.trigger('presence-chat', 'new_message', message, { socket_id: socketId });
    const { event: sent } = (await control(wait, waitQuery(requestSpec))) as {
      event: { socket_id: string; data: string };
    };
    assert.equal(sent.socket_id, socketId);
    assert.deepEqual(JSON.parse(sent.data), message);

    // The system spec: the page's subscription, by a pusher-js client set up as PUSHER_JS and
    // signed as PusherController#auth signs; Herald.wait_for sees it.
    assert.deepEqual(await control(reset), {});
    const page = new PusherJs(setting('key'), {
      cluster: find(initializer, /cluster: '([^']+)'/, 'the pusher-js cluster'),
      wsHost: find(initializer, /wsHost: '([^']+)'/, 'wsHost'),
      wsPort: socketPort!,
      forceTLS: false,
      enabledTransports: ['ws', 'wss'],
      channelAuthorization: {
        customHandler: ({ socketId: id, channelName }, callback) =>
          callback(
            null,
            sdk.authorizeChannel(id, channelName, { user_id: 'Ann', user_info: { name: 'Ann' } }),
          ),
      },
    });
    let pageSocket = '';
    try {
      page.subscribe('presence-chat');
      const { event: subscribed } = (await control(wait, waitQuery(systemSpec))) as {
        event: { kind: string; socket_id: string };
      };
      assert.equal(subscribed.kind, 'subscribed');
      pageSocket = page.connection.socket_id;
      assert.equal(subscribed.socket_id, pageSocket);
    } finally {
      // Before the reset closes it: the Node build keeps a 30 s timer after a server's close.
      page.disconnect();
    }
    await control(wait, `kind=disconnected&socket_id=${pageSocket}`);

    // The next example's reset leaves nothing recorded.
    assert.deepEqual(await control(reset), {});
    const { events } = (await (await fetch(`${web}/__herald/events`)).json()) as {
      events: unknown[];
    };
    assert.deepEqual(events, []);

    // Herald.stop: TERM, and herald exits on its own.
    herald.signal('SIGTERM');
    assert.deepEqual(await herald.exit(), { code: 0, signal: null });
  });
});
