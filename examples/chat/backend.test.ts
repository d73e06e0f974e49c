/**
 * The chat's backend against a real herald started in-process by `startHerald()` from
 * `herald/testing`, without a browser: herald's recording shows exactly what the backend
 * triggered, and a pusher-js client (its Node build) checks that what the auth endpoints sign
 * is what herald accepts. Run with `npm run build && node --test dist/examples/chat/`.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import PusherJsModule from 'pusher-js';
import type { Members, PresenceChannel } from 'pusher-js';
import { startHerald, type TestHerald } from 'herald/testing';
import type { Message } from './messages.js';
import { startChatServer, type ChatServer } from './server.js';
import { Visitor } from './visitor.js';

// pusher-js is CommonJS with ES-style declarations: under NodeNext its default import is typed
// as the module namespace, but at run time it is the Pusher class itself.
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;
type PusherJs = InstanceType<typeof PusherJs>;

let herald: TestHerald;
let chat: ChatServer;
const clients: PusherJs[] = [];

before(async () => {
  herald = await startHerald({ record: true });
});

beforeEach(async () => {
  chat = await startChatServer({
    port: 0,
    pusher: herald.pusherOptions,
    pusherJs: herald.pusherJsOptions,
  });
});

afterEach(async () => {
  // Clients before the reset: a pusher-js client closed by the server keeps a 30 s timer in its
  // Node build, which would keep this process alive that long.
  for (const client of clients.splice(0)) client.disconnect();
  await chat.stop();
  await herald.reset();
});

after(() => herald.stop());

/** What herald recorded as triggered, in order, with the data parsed. */
function triggered() {
  return herald.events({ kind: 'trigger' }).map((record) => {
    assert.equal(record.kind, 'trigger');
    const { channel, event, data, socketId } = record;
    return { channel, event, data: JSON.parse(data) as unknown, socketId };
  });
}

/** A pusher-js client whose auth requests go to the backend as `visitor`'s, as the page's do. */
function clientOf(visitor: Visitor): PusherJs {
  // What the page's XHR does: a form-encoded POST with the session cookie.
  const post = <T>(
    path: string,
    fields: Record<string, string>,
    callback: (error: Error | null, data: T | null) => void,
  ) => {
    visitor.form<T>(path, fields).then(
      ({ status, body }) =>
        status === 200 ? callback(null, body) : callback(new Error(`${path}: ${status}`), null),
      (error: Error) => callback(error, null),
    );
  };
  const client = new PusherJs(herald.app.key, {
    ...herald.pusherJsOptions,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) =>
        post('/pusher/auth', { socket_id: socketId, channel_name: channelName }, callback),
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) =>
        post('/pusher/user-auth', { socket_id: socketId }, callback),
    },
  });
  clients.push(client);
  return client;
}

describe('POST /messages', () => {
  it('stores the message and triggers exactly new_message, leaving the sender out', async () => {
    const ann = await Visitor.signedIn(chat.url, 'Ann');
    const { status, body } = await ann.json<{ message: Message }>('POST', '/messages', {
      text: '  Hello, Bob  ',
      socket_id: '1234.5678',
    });

    assert.equal(status, 201);
    const { message } = body;
    assert.deepEqual(
      { ...message, sentAt: typeof message.sentAt },
      { id: '1', user: { id: 'Ann', name: 'Ann' }, text: 'Hello, Bob', sentAt: 'string' },
    );
    assert.equal(new Date(message.sentAt).toISOString(), message.sentAt);
    assert.deepEqual(triggered(), [
      { channel: 'presence-chat', event: 'new_message', data: message, socketId: '1234.5678' },
    ]);
    const history = await ann.json('GET', '/messages');
    assert.deepEqual(history.body, { messages: [message] });
  });

  it('sends to everyone when posted without a socket_id, as curl does', async () => {
    const carol = await Visitor.signedIn(chat.url, 'Carol');
    const { status, body } = await carol.json<{ message: Message }>('POST', '/messages', {
      text: 'From a script',
    });

    assert.equal(status, 201);
    assert.deepEqual(triggered(), [
      { channel: 'presence-chat', event: 'new_message', data: body.message, socketId: undefined },
    ]);
  });

  it('refuses a bad message with 400 and triggers nothing', async () => {
    const ann = await Visitor.signedIn(chat.url, 'Ann');
    const refusals: Array<[unknown, RegExp]> = [
      [{ text: '' }, /`text` must not be empty/],
      [{ text: ' \n\t ' }, /`text` must not be empty/],
      [{ text: 'x'.repeat(501) }, /longer than 500 characters/],
      [{ text: 42 }, /`text` must be a string/],
      [{}, /`text` must be a string/],
      [{ text: 'hi', socket_id: 'not-a-socket' }, /`socket_id` must look like "123.456"/],
      [{ text: 'hi', socket_id: 1234.5678 }, /`socket_id` must look like "123.456"/],
    ];
    for (const [body, error] of refusals) {
      const answer = await ann.json<{ error: string }>('POST', '/messages', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, error);
    }

    // The longest text is accepted: had a refusal triggered, it would be recorded before this.
    const longest = await ann.json('POST', '/messages', { text: 'x'.repeat(500) });
    assert.equal(longest.status, 201);
    assert.deepEqual(
      triggered().map(({ data }) => (data as Message).text.length),
      [500],
    );
    assert.equal(((await ann.json('GET', '/messages')).body.messages as Message[]).length, 1);
  });

  it('refuses a visitor who is not signed in with 403 and triggers nothing', async () => {
    const stranger = new Visitor(chat.url);
    const answer = await stranger.json('POST', '/messages', { text: 'Hi', socket_id: '1.2' });
    assert.equal(answer.status, 403);
    assert.deepEqual(answer.body, { error: 'Sign in first: POST /session with a name' });
    assert.equal((await stranger.json('GET', '/messages')).status, 403);

    const ann = await Visitor.signedIn(chat.url, 'Ann');
    assert.deepEqual((await ann.json('GET', '/messages')).body, { messages: [] });
    assert.deepEqual(triggered(), []);
  });

  it('answers 502 when herald cannot be reached, and keeps the message', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const cut = await startChatServer({
      port: 0,
      pusher: { ...herald.pusherOptions, port: String(port) },
      pusherJs: herald.pusherJsOptions,
    });
    try {
      const ann = await Visitor.signedIn(cut.url, 'Ann');
      const answer = await ann.json<{ error: string }>('POST', '/messages', { text: 'Anyone?' });
      assert.equal(answer.status, 502);
      assert.match(answer.body.error, /^The message was saved but not sent live: /);
      const { body } = await ann.json<{ messages: Message[] }>('GET', '/messages');
      assert.deepEqual(
        body.messages.map(({ text }) => text),
        ['Anyone?'],
      );
    } finally {
      await cut.stop();
    }
  });
});

describe('requests the backend cannot take', () => {
  it('answers each with its status and a JSON error', async () => {
    const ann = await Visitor.signedIn(chat.url, 'Ann');
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, string, Parameters<Visitor['request']>[2], number]> = [
      ['POST', '/messages', { body: '{"text":', headers: json }, 400],
      ['POST', '/messages', { body: '["hi"]', headers: json }, 400],
      ['POST', '/messages', { body: 'text=hi', headers: {} }, 415],
      [
        'POST',
        '/messages',
        { body: JSON.stringify({ text: 'x'.repeat(20_000) }), headers: json },
        413,
      ],
      ['POST', '/pusher/auth', { body: '{"socket_id":"1.2"}', headers: json }, 415],
      ['GET', '/nowhere', {}, 404],
      ['DELETE', '/messages', {}, 405],
      ['POST', '/', {}, 405],
    ];
    for (const [method, path, init, status] of cases) {
      const answer = await ann.request<{ error: unknown }>(method, path, init);
      assert.equal(answer.status, status, `${method} ${path}`);
      assert.equal(typeof answer.body.error, 'string', `${method} ${path}`);
    }
    const wrongMethod = await ann.request('DELETE', '/messages');
    assert.equal(wrongMethod.headers.get('allow'), 'GET, POST');
    assert.deepEqual(triggered(), []);
  });
});

describe('POST /session', () => {
  it('signs in by name with an HttpOnly session cookie', async () => {
    const visitor = new Visitor(chat.url);
    assert.deepEqual((await visitor.json('GET', '/session')).body, { user: null });

    const answer = await visitor.signIn('  Ann ');
    assert.equal(answer.status, 201);
    assert.deepEqual(answer.body, { user: { id: 'Ann', name: 'Ann' } });
    assert.match(
      answer.headers.get('set-cookie') ?? '',
      /^chat_session=[\w-]{24}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    assert.deepEqual((await visitor.json('GET', '/session')).body, {
      user: { id: 'Ann', name: 'Ann' },
    });
  });

  it('refuses a name that is empty, too long or not printable', async () => {
    for (const name of ['', '   ', 'x'.repeat(33), 'A\u0007nn', 7]) {
      const answer = await new Visitor(chat.url).json<{ error: string }>('POST', '/session', {
        name,
      });
      assert.equal(answer.status, 400, JSON.stringify(name));
      assert.match(answer.body.error, /`name` must be/);
      assert.equal(answer.headers.get('set-cookie'), null);
    }
  });
});

describe('POST /pusher/auth', () => {
  it('refuses a visitor who is not signed in (403), and any channel but the chat', async () => {
    const stranger = new Visitor(chat.url);
    const fields = { socket_id: '1234.5678', channel_name: 'presence-chat' };
    assert.equal((await stranger.form('/pusher/auth', fields)).status, 403);

    const ann = await Visitor.signedIn(chat.url, 'Ann');
    for (const channel of ['presence-admins', 'private-chat', 'chat']) {
      const answer = await ann.form('/pusher/auth', { ...fields, channel_name: channel });
      assert.equal(answer.status, 403, channel);
    }
    const badSocket = await ann.form('/pusher/auth', { ...fields, socket_id: 'x' });
    assert.equal(badSocket.status, 400);
  });

  it("signs the chat channel with the session's user as the member, which herald accepts", async () => {
    const ann = await Visitor.signedIn(chat.url, 'Ann');
    const socketId = '1234.5678';
    const { status, body } = await ann.form<{ auth: string; channel_data: string }>(
      '/pusher/auth',
      { socket_id: socketId, channel_name: 'presence-chat' },
    );
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body.channel_data), { user_id: 'Ann', user_info: { name: 'Ann' } });
    assert.match(body.auth, new RegExp(`^${herald.app.key}:[0-9a-f]{64}$`));

    // The real test of a signature: herald lets the member in.
    const channel = clientOf(ann).subscribe('presence-chat') as PresenceChannel;
    const members = await new Promise<Members>((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', resolve);
      channel.bind('pusher:subscription_error', reject);
    });
    assert.deepEqual(members.me, { id: 'Ann', info: { name: 'Ann' } });
    assert.deepEqual(await herald.members('presence-chat'), [{ id: 'Ann', info: { name: 'Ann' } }]);
  });
});

describe('POST /pusher/user-auth', () => {
  it("signs the connection in as the session's user; 403 for a visitor not signed in", async () => {
    const stranger = new Visitor(chat.url);
    assert.equal((await stranger.form('/pusher/user-auth', { socket_id: '1.2' })).status, 403);

    const bob = await Visitor.signedIn(chat.url, 'Bob');
    const client = clientOf(bob);
    client.signin();
    const signedIn = await herald.waitFor({ kind: 'signed_in', userId: 'Bob' });
    assert.equal(signedIn.kind === 'signed_in' && signedIn.socketId, client.connection.socket_id);
  });
});
