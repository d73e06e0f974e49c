/**
 * The control API as a Ruby, PHP or Python suite uses it: `herald start --dev` in a child
 * process, plain HTTP requests to `/__herald/…`, real pusher-js clients and the `pusher` SDK on
 * the other side. One server for the dev suite, reset between tests through the API itself.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import PusherServer from 'pusher';
import { killAll, spawnHerald, type HeraldProcess, type StartLine } from '../helpers/cli.js';
import { AuthClients, signin } from '../helpers/auth.js';
import { errorsOf, statesOf, subscribe, waitForState } from '../helpers/pusher-js.js';
import { send, type RestResponse } from '../helpers/rest.js';

const APP = { id: '42', key: 'dev-key', secret: 'dev-secret' };

interface Server {
  readonly process: HeraldProcess;
  readonly url: string;
  readonly target: {
    readonly app: typeof APP;
    readonly pusherJsOptions: {
      cluster: string;
      wsHost: string;
      wsPort: number;
      forceTLS: false;
      enabledTransports: ['ws'];
      disableStats: true;
    };
  };
}

async function start(args: string[]): Promise<Server> {
  const herald = spawnHerald([
    'start',
    '--port',
    '0',
    '--app-id',
    APP.id,
    '--key',
    APP.key,
    '--secret',
    APP.secret,
    ...args,
  ]);
  const line: StartLine = await herald.started();
  return {
    process: herald,
    url: `http://${line.api.host}:${line.api.port}`,
    target: {
      app: APP,
      pusherJsOptions: {
        cluster: 'herald',
        wsHost: line.websocket.host,
        wsPort: line.websocket.port,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
      },
    },
  };
}

const json = (response: RestResponse) => JSON.parse(response.body) as Record<string, unknown>;

after(() => killAll());

describe('control API off (the default)', () => {
  it('every /__herald/ path is 404, like any unknown path', async () => {
    const server = await start([]);
    try {
      for (const [method, path] of [
        ['GET', '/__herald/'],
        ['POST', '/__herald/reset'],
        ['GET', '/__herald/events'],
      ] as const) {
        const response = await send(server.url, method, path);
        assert.equal(response.status, 404, path);
        assert.equal(response.body, `Not found: ${path}\n`);
      }
    } finally {
      server.process.signal('SIGTERM');
      await server.process.exit();
    }
  });
});

describe('herald start --dev', () => {
  let server: Server;
  let sdk: PusherServer;
  let clients: AuthClients;
  const call = (method: string, path: string, body?: unknown) =>
    send(server.url, method, `/__herald${path}`, {
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    server = await start(['--dev']);
    sdk = new PusherServer({
      appId: APP.id,
      key: APP.key,
      secret: APP.secret,
      host: new URL(server.url).hostname,
      port: new URL(server.url).port,
      useTLS: false,
    });
  });
  beforeEach(async () => {
    const reset = await call('POST', '/reset');
    assert.equal(reset.status, 200, reset.body);
    clients = new AuthClients(server.target, sdk);
  });
  afterEach(() => clients.disconnectAll());
  after(async () => {
    server.process.signal('SIGTERM');
    await server.process.exit();
  });

  it('GET /__herald/ lists the endpoints', async () => {
    const response = await call('GET', '/');
    assert.equal(response.status, 200);
    const endpoints = json(response).endpoints as Array<{ method: string; path: string }>;
    assert.deepEqual(
      endpoints.map((endpoint) => `${endpoint.method} ${endpoint.path}`),
      [
        'GET /__herald/',
        'POST /__herald/reset',
        'GET /__herald/events',
        'GET /__herald/wait',
        'GET /__herald/channels',
        'GET /__herald/channels/{name}/members',
        'GET /__herald/connections',
        'POST /__herald/disconnect',
        'POST /__herald/refuse',
        'GET /__herald/client-config',
      ],
    );
  });

  it('GET /events returns what was recorded, filtered, with Pusher-style field names', async () => {
    const pusher = await clients.connect();
    await subscribe(pusher, 'news');
    await sdk.trigger('news', 'flash', { n: 1 });
    await sdk.trigger('other', 'flash', { n: 2 });
    const socketId = pusher.connection.socket_id;

    const triggers = json(await call('GET', '/events?kind=trigger&channel=news'));
    const events = triggers.events as Array<Record<string, unknown>>;
    assert.equal(events.length, 1);
    const { seq, time, ...rest } = events[0]!;
    assert.equal(typeof seq, 'number');
    assert.equal(typeof time, 'number');
    assert.deepEqual(rest, {
      kind: 'trigger',
      app_id: APP.id,
      channel: 'news',
      event: 'flash',
      data: '{"n":1}',
    });
    assert.equal(triggers.dropped, 0);
    assert.ok((triggers.last_seq as number) >= (seq as number));

    const mine = json(await call('GET', `/events?socket_id=${socketId}`)).events as Array<{
      kind: string;
    }>;
    assert.deepEqual(
      mine.map((record) => record.kind),
      ['connected', 'subscribed'],
    );
    const several = json(await call('GET', '/events?kind=connected,trigger')).events as unknown[];
    assert.equal(several.length, 3);
    const last = json(await call('GET', '/events?kind=trigger&limit=1')).events as Array<{
      channel: string;
    }>;
    assert.deepEqual(
      last.map((record) => record.channel),
      ['other'],
    );
    const after = json(await call('GET', `/events?after=${seq as number}&kind=trigger`));
    assert.deepEqual(
      (after.events as Array<{ channel: string }>).map((record) => record.channel),
      ['other'],
    );
    const bad = await call('GET', '/events?kind=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^Unknown kind "nope"; kinds: connected, disconnected, refused/);
  });

  it('GET /wait long-polls until the event comes', async () => {
    const pusher = await clients.connect();
    await subscribe(pusher, 'news');
    const { last_seq: seen } = json(await call('GET', '/events?limit=0'));
    // `after`: only a record still to come matches, so the answer waits for the trigger.
    const waiting = call('GET', `/wait?channel=news&event=flash&timeout=5000&after=${seen}`);
    await send(server.url, 'GET', '/ready');
    await sdk.trigger('news', 'flash', { n: 3 });
    const response = await waiting;
    assert.equal(response.status, 200, response.body);
    const event = json(response).event as Record<string, unknown>;
    assert.deepEqual(
      [event.kind, event.channel, event.event, event.data],
      ['trigger', 'news', 'flash', '{"n":3}'],
    );
  });

  it('GET /wait answers 408 after its timeout, listing what was recorded', async () => {
    await sdk.trigger('news', 'other', {});
    const response = await call('GET', '/wait?event=flash&timeout=100');
    assert.equal(response.status, 408);
    const body = json(response);
    assert.match(
      body.error as string,
      /^waitFor\(\{"event":"flash"\}\): nothing matched within 100 ms; recorded 1:\n {2}#\d+ trigger news other \{\}$/,
    );
    assert.deepEqual(
      (body.events as Array<{ event: string }>).map((record) => record.event),
      ['other'],
    );
    const tooLong = await call('GET', '/wait?event=flash&timeout=30001');
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body, 'timeout is at most 30000 ms; wait again for longer\n');
  });

  it('GET /channels and /channels/{name}/members show what the clients joined', async () => {
    const ann = await clients.connect({ member: { user_id: 'ann', user_info: { name: 'Ann' } } });
    await subscribe(ann, 'presence-room');
    await subscribe(ann, 'news');
    const channels = json(await call('GET', '/channels'));
    assert.deepEqual(channels, {
      channels: {
        news: { subscription_count: 1 },
        'presence-room': { subscription_count: 1, user_count: 1 },
      },
    });
    const filtered = json(await call('GET', '/channels?filter_by_prefix=presence-'));
    assert.deepEqual(Object.keys(filtered.channels as object), ['presence-room']);
    const members = json(await call('GET', '/channels/presence-room/members'));
    assert.deepEqual(members, { members: [{ id: 'ann', info: { name: 'Ann' } }] });
    const notPresence = await call('GET', '/channels/news/members');
    assert.equal(notPresence.status, 400);
  });

  it('GET /connections lists socket ids with their channels and signed-in user', async () => {
    const pusher = await clients.connect({ user: { id: 'u7' } });
    await signin(pusher);
    await subscribe(pusher, 'news');
    const { connections } = json(await call('GET', '/connections')) as {
      connections: Array<{
        socket_id: string;
        app_id: string;
        channels: string[];
        user_id?: string;
      }>;
    };
    assert.equal(connections.length, 1);
    assert.deepEqual(
      { ...connections[0], channels: [...connections[0]!.channels].sort() },
      {
        app_id: APP.id,
        socket_id: pusher.connection.socket_id,
        channels: ['#server-to-user-u7', 'news'],
        user_id: 'u7',
      },
    );
  });

  it('POST /disconnect closes one socket with the code; pusher-js reacts to it', async () => {
    const pusher = await clients.connect();
    const socketId = pusher.connection.socket_id;
    const response = await call('POST', '/disconnect', { socket_id: socketId, code: 4100 });
    assert.deepEqual([response.status, json(response)], [200, { disconnected: 1 }]);
    await statesOf(pusher).next((state) => state === 'connecting', 'backing off');
    await waitForState(pusher, 'connected');
    assert.notEqual(pusher.connection.socket_id, socketId);
    const gone = await call('POST', '/disconnect', { socket_id: socketId });
    assert.equal(gone.status, 404);
    assert.equal(gone.body, `No connection ${socketId} on this node\n`);
  });

  it('POST /disconnect with user_id or all', async () => {
    const signedIn = await clients.connect({ user: { id: 'u1' } });
    await signin(signedIn);
    const anonymous = await clients.connect();
    const user = await call('POST', '/disconnect', { user_id: 'u1' });
    assert.deepEqual([user.status, json(user)], [200, {}]);
    await waitForState(signedIn, 'disconnected');
    const closed = await errorsOf(signedIn).next((e) => e.data?.code === 4009, '4009');
    assert.equal(closed.type, 'PusherError');
    assert.equal(anonymous.connection.state, 'connected');

    const all = await call('POST', '/disconnect', { all: true, code: 4001 });
    assert.deepEqual([all.status, json(all)], [200, { disconnected: 1 }]);
    await waitForState(anonymous, 'disconnected');
  });

  it('POST /disconnect refuses unclear or invalid requests', async () => {
    for (const [body, message] of [
      [{}, 'Give exactly one of socket_id, user_id or "all": true'],
      [{ socket_id: '1.1', all: true }, 'Give exactly one of socket_id, user_id or "all": true'],
      [{ all: true, code: 1000 }, 'code must be a close code of 4000–4999, got 1000'],
      [{ all: true, code: 'x' }, 'code must be a whole number ≥ 0, got "x"'],
    ] as const) {
      const response = await call('POST', '/disconnect', body);
      assert.deepEqual([response.status, response.body], [400, `${message}\n`]);
    }
    const notJson = await send(server.url, 'POST', '/__herald/disconnect', { body: '{' });
    assert.equal(notJson.status, 400);
  });

  it('POST /refuse refuses new connections for ms, 0 stops it', async () => {
    const open = await clients.connect();
    const refusing = await call('POST', '/refuse', { ms: 60_000 });
    assert.equal(refusing.status, 200);
    assert.ok((json(refusing).until as number) > Date.now());
    const late = clients.create();
    const refused = await call('GET', '/wait?kind=refused&timeout=3000');
    assert.equal(refused.status, 200, refused.body);
    assert.equal((json(refused).event as { code: number }).code, 4100);
    assert.equal(open.connection.state, 'connected');
    const stop = await call('POST', '/refuse', { ms: 0 });
    assert.deepEqual([stop.status, json(stop)], [200, {}]);
    await waitForState(late, 'connected');
    assert.equal((await call('POST', '/refuse', {})).status, 400);
  });

  it('POST /reset closes every client with 4099 and forgets everything', async () => {
    const pusher = await clients.connect({ member: { user_id: 'ann' } });
    await subscribe(pusher, 'presence-room');
    await sdk.trigger('cache-x', 'e', {});
    const response = await call('POST', '/reset');
    assert.deepEqual([response.status, json(response)], [200, {}]);
    await waitForState(pusher, 'disconnected');
    assert.deepEqual(json(await call('GET', '/events')).events, []);
    assert.deepEqual(json(await call('GET', '/channels')), { channels: {} });
    const cache = await sdk.get({ path: '/channels/cache-x', params: { info: 'cache' } });
    assert.equal(((await cache.json()) as { cache: unknown }).cache, null);
  });

  it('GET /client-config gives the running server’s client options', async () => {
    const config = json(await call('GET', '/client-config'));
    assert.deepEqual(config.pusherJs, { key: APP.key, options: server.target.pusherJsOptions });
    assert.deepEqual(config.app, APP);
    const { port } = new URL(server.url);
    const env = await call('GET', '/client-config?format=env');
    assert.equal(env.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(env.body, new RegExp(`^PUSHER_APP_ID=42\nPUSHER_APP_KEY=dev-key\n`));
    assert.match(env.body, new RegExp(`\nPUSHER_PORT=${port}\n`));
    const bad = await call('GET', '/client-config?format=yaml');
    assert.deepEqual(
      [bad.status, bad.body],
      [400, 'format must be one of json, js, env, dotenv\n'],
    );
  });

  it('a known path with the wrong method is 405 with Allow; an unknown one 404', async () => {
    const wrong = await call('GET', '/reset');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST');
    const unknown = await call('GET', '/nothing');
    assert.deepEqual([unknown.status, unknown.body], [404, 'Unknown control route: /nothing\n']);
  });
});

describe('stopping herald --dev', () => {
  it('a pending wait answers 503 at once and the process exits 0', async () => {
    const server = await start(['--dev']);
    const waiting = send(server.url, 'GET', '/__herald/wait?event=never&timeout=30000');
    // The request is in: a round trip after it was sent has been served.
    await send(server.url, 'GET', '/ready');
    server.process.signal('SIGTERM');
    const response = await waiting;
    assert.equal(response.status, 503);
    assert.match(json(response).error as string, /herald has stopped/);
    // exit() gives up long before the 30 s poll would have ended on its own.
    assert.equal((await server.process.exit()).code, 0);
  });
});
