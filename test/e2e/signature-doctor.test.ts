// The signature doctor against a real server: every 401 of PROTOCOL.md §5.2 says which check
// failed first and quotes the exact string the server signed, without the signature it expected
// or any secret; the `pusher` SDK surfaces that text; the refusal is logged once at debug; and a
// refused subscription (pusher-js, raw WebSocket) names the failed part of its auth.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import PusherServer from 'pusher';
import { createHerald, type Herald } from '../../src/herald.js';
import { ManualClock } from '../../src/core/clock.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import {
  md5Hex,
  renderQuery,
  replacing,
  send,
  signedPairs,
  stringToSign,
  without,
  type QueryPairs,
  type RestResponse,
  type RestTarget,
  type SignOptions,
} from '../helpers/rest.js';
import { RecordingLog } from '../helpers/recording-log.js';
import { eventsOf, PusherJsClients } from '../helpers/pusher-js.js';
import { RawClients } from '../helpers/ws-client.js';
import { decoded, subscribeAnswer } from '../helpers/auth.js';

const NOW = 1_700_000_000;
const one = { id: '1', key: 'key-one', secret: 'secret-one-0123' };
const two = { id: '2', key: 'key-two', secret: 'secret-two-4567' };
const hmac = (secret: string, text: string) =>
  createHmac('sha256', secret).update(text).digest('hex');

/** Two apps on a clock we hold, logging at debug into a log the tests read. */
let clocked: Herald;
let log: RecordingLog;
let target: RestTarget;

before(async () => {
  log = new RecordingLog();
  clocked = createHerald(
    { host: '127.0.0.1', port: 0, apps: [one, two] },
    { clock: new ManualClock(NOW * 1000), log },
  );
  const { api } = await clocked.start();
  target = { url: `http://${api.host}:${api.port}`, app: one };
});
after(() => clocked.stop());

interface Sent {
  readonly response: RestResponse;
  /** The string to sign of the request as sent, by the tests' own signer (helpers/rest.ts). */
  readonly toSign: string;
}

/** Signs a request for app one, applies `tamper`, sends it and reports what was sent. */
async function sendSigned(
  method: 'GET' | 'POST',
  path: string,
  options: SignOptions & { body?: string; sentBody?: string } = {},
): Promise<Sent> {
  const body = options.body ?? '';
  let pairs: QueryPairs = signedPairs(target, method, path, body, { timestamp: NOW, ...options });
  if (options.tamper !== undefined) pairs = options.tamper(pairs);
  const sentBody = options.sentBody ?? body;
  const response = await send(
    target.url,
    method,
    `${path}?${renderQuery(pairs, options.style)}`,
    sentBody.length > 0 ? { body: sentBody } : {},
  );
  return { response, toSign: stringToSign(method, path, pairs) };
}

/** The 401's lines after asserting what every refusal holds and what none may hold. */
function assertExplained(
  { response, toSign }: Sent,
  check: string,
  problem: string,
  summary: string | RegExp,
): string[] {
  assert.equal(response.status, 401, response.body);
  const lines = response.body.trimEnd().split('\n');
  if (typeof summary === 'string') assert.equal(lines[0], summary);
  else assert.match(lines[0]!, summary);
  assert.match(lines[1]!, new RegExp(`^Failed check: ${check} \\(${problem}\\); `));
  assert.match(lines[2]!, /^Why: ./);
  assert.equal(
    lines[3],
    'String to sign (method, path and the query sorted by key without auth_signature, ' +
      `joined by \\n): ${JSON.stringify(toSign)}`,
  );
  // Neither the signature that would have been accepted, nor any secret, nor another app's id.
  for (const secret of [one.secret, two.secret]) {
    assert.equal(response.body.includes(secret), false, `a secret in: ${response.body}`);
    assert.equal(response.body.includes(hmac(secret, toSign)), false, 'an expected signature');
  }
  assert.equal(response.body.includes('/apps/2'), false);
  return lines;
}

describe('every 401 of §5.2 explains itself', () => {
  const events = `/apps/${one.id}/events`;
  const channels = `/apps/${one.id}/channels`;
  const body = JSON.stringify({ name: 'e', channels: ['c'], data: '{}' });

  test('auth_key missing, of no app, of another app', async () => {
    assertExplained(
      await sendSigned('GET', channels, { tamper: without('auth_key') }),
      'auth_key',
      'missing',
      'Missing parameter: auth_key',
    );
    const nobody = assertExplained(
      await sendSigned('GET', channels, { key: 'key-of-nobody' }),
      'auth_key',
      'unknown',
      'Unknown auth_key',
    );
    assert.equal(nobody[2], 'Why: no app on this server has the key "key-of-nobody".');
    const other = assertExplained(
      await sendSigned('GET', channels, { key: two.key, secret: two.secret }),
      'auth_key',
      'unknown',
      'Unknown auth_key',
    );
    assert.match(other[2]!, /^Why: "key-two" is another app's key, not the key of the app /);
  });

  test('auth_version missing or unsupported', async () => {
    assertExplained(
      await sendSigned('GET', channels, { tamper: without('auth_version') }),
      'auth_version',
      'missing',
      'Version required',
    );
    assertExplained(
      await sendSigned('GET', channels, { tamper: replacing('auth_version', '2.0') }),
      'auth_version',
      'unsupported',
      'Version not supported',
    );
  });

  test('a timestamp outside the window, not a number, or missing', async () => {
    const late = assertExplained(
      await sendSigned('POST', events, { body, timestamp: NOW - 750 }),
      'auth_timestamp',
      'outside_window',
      `Timestamp expired: Given timestamp (${NOW - 750}) not within 600s of server time (${NOW})`,
    );
    assert.match(late[2]!, /^Why: auth_timestamp is 750 s behind the server's clock/);
    assertExplained(
      await sendSigned('GET', channels, { tamper: replacing('auth_timestamp', 'soon') }),
      'auth_timestamp',
      'not_seconds',
      /^Timestamp expired: Given timestamp \(soon\)/,
    );
    assertExplained(
      await sendSigned('GET', channels, { tamper: without('auth_timestamp') }),
      'auth_timestamp',
      'missing',
      'Missing parameter: auth_timestamp',
    );
  });

  test('body_md5 missing, or of another body', async () => {
    assertExplained(
      await sendSigned('POST', events, { body, tamper: without('body_md5') }),
      'body_md5',
      'missing',
      'Invalid body_md5',
    );
    const changed = JSON.stringify({ name: 'e', channels: ['c'], data: 'changed' });
    const lines = assertExplained(
      await sendSigned('POST', events, { body, sentBody: changed }),
      'body_md5',
      'mismatch',
      'Invalid body_md5',
    );
    assert.ok(lines[2]!.includes(`the ${changed.length}-byte body`), lines[2]);
    assert.ok(lines[2]!.includes(`(${md5Hex(changed)})`), lines[2]);
  });

  test('auth_signature missing, or made with another secret', async () => {
    assertExplained(
      await sendSigned('GET', channels, { tamper: without('auth_signature') }),
      'auth_signature',
      'missing',
      'Missing parameter: auth_signature',
    );
    const wrong = await sendSigned('POST', events, { body, secret: 'not-the-secret' });
    const sent = hmac('not-the-secret', wrong.toSign);
    assertExplained(
      wrong,
      'auth_signature',
      'mismatch',
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(wrong.toSign)}, your_secret_key), but you sent "${sent}"`,
    );
  });

  test('a URL-encoded query (pusher-http-ruby) is quoted decoded, as it was signed', async () => {
    const sent = await sendSigned('GET', channels, {
      style: 'ruby',
      secret: 'not-the-secret',
      params: [['filter_by_prefix', 'a@b=c,d;e']],
    });
    assertExplained(sent, 'auth_signature', 'mismatch', /^Invalid signature: /);
    assert.ok(sent.toSign.endsWith('&filter_by_prefix=a@b=c,d;e'), sent.toSign);
  });
});

describe('the refusal is logged at debug level', () => {
  const refusals = () =>
    log.at('debug').filter((line) => line.message.startsWith('REST request refused (401): '));

  test('once per refused request, with the same explanation; accepted requests not at all', async () => {
    const before = refusals().length;
    const channels = `/apps/${one.id}/channels`;
    const wrong = await sendSigned('GET', channels, { secret: 'not-the-secret' });
    assert.equal(wrong.response.status, 401);
    const logged = refusals().slice(before);
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0]!.fields, {
      check: 'auth_signature',
      problem: 'mismatch',
      stringToSign: wrong.toSign,
      why: wrong.response.body.split('\n')[2]!.replace(/^Why: /, ''),
    });
    assert.equal(
      logged[0]!.message,
      `REST request refused (401): ${wrong.response.body.split('\n')[0]}`,
    );
    assert.equal((await sendSigned('GET', channels)).response.status, 200);
    assert.equal(refusals().length, before + 1);
    assert.deepEqual(
      log.lines.filter((line) => line.level === 'warn' || line.level === 'error'),
      [],
      "a client's mistake is not logged as a server problem",
    );
  });
});

describe('clients see the explanation', () => {
  let live: TestHerald;
  let pusherJs: PusherJsClients;
  let raw: RawClients;

  before(async () => {
    live = await startHerald();
    pusherJs = new PusherJsClients(live);
    raw = new RawClients(live);
  });
  afterEach(async () => {
    pusherJs.disconnectAll();
    await raw.closeAll();
  });
  after(() => live.stop());

  test('the pusher SDK with a wrong secret: RequestError.body holds the whole explanation', async () => {
    const pusher = new PusherServer({ ...live.pusherOptions, secret: 'not-the-secret' });
    const error = await pusher.trigger('sdk-wrong', 'e', { a: 1 }).then(
      () => assert.fail('the trigger was accepted'),
      (rejection: unknown) => rejection as { status: number; body: string; url: string },
    );
    assert.equal(error.status, 401);
    // The SDK sends its query unescaped; the server signed what it received.
    const url = new URL(error.url);
    const toSign = stringToSign('POST', url.pathname, [...url.searchParams]);
    const lines = error.body.trimEnd().split('\n');
    assert.match(lines[0]!, /^Invalid signature: you should have sent HmacSHA256Hex\(/);
    assert.match(lines[1]!, /^Failed check: auth_signature \(mismatch\); /);
    assert.ok(lines[3]!.endsWith(`: ${JSON.stringify(toSign)}`), lines[3]);
    assert.equal(error.body.includes(live.app.secret), false);
    assert.equal(error.body.includes(hmac(live.app.secret, toSign)), false);
  });

  test('pusher-js signed with a wrong secret: subscription_error quotes socket_id:channel', async () => {
    const client = await pusherJs.connect({
      authorizer: ({ socketId, channelName }, callback) =>
        callback(null, {
          auth: `${live.app.key}:${hmac('not-the-secret', `${socketId}:${channelName}`)}`,
        }),
    });
    const socketId = client.connection.socket_id;
    const channel = client.subscribe('private-doctor');
    const refusal = await eventsOf(channel).next(
      (event) => event.event === 'pusher:subscription_error',
      'pusher:subscription_error',
    );
    const data = refusal.data as { type: string; status: number; error: string };
    assert.deepEqual(Object.keys(data).sort(), ['error', 'status', 'type']);
    assert.equal(data.type, 'AuthError');
    assert.equal(data.status, 401);
    assert.match(data.error, /^Invalid signature: Expected HMAC SHA256 hex digest of /);
    assert.ok(
      data.error.includes(
        `Failed part: signature (after ":"): it is not the HMAC-SHA256, with this app's ` +
          `secret, of the string to sign "${socketId}:private-doctor" (socket_id:channel)`,
      ),
      data.error,
    );
    assert.equal(data.error.includes(live.app.secret), false);
    assert.equal(data.error.includes(hmac(live.app.secret, `${socketId}:private-doctor`)), false);
  });

  test('pusher-js with another key before ":": subscription_error names the key part', async () => {
    const client = await pusherJs.connect({
      authorizer: (_params, callback) =>
        callback(null, { auth: `key-of-nobody:${'0'.repeat(64)}` }),
    });
    const channel = client.subscribe('private-doctor-key');
    const refusal = await eventsOf(channel).next(
      (event) => event.event === 'pusher:subscription_error',
      'pusher:subscription_error',
    );
    const { error } = refusal.data as { error: string };
    assert.equal(
      error,
      "Invalid key in subscription auth data: 'key-of-nobody'. Failed part: key (before " +
        `":"): it is not the key of the app this connection uses ('${live.app.key}'), so it ` +
        'names no app or another app; sign with the key and secret of that app.',
    );
  });

  test('raw WebSocket: presence quotes socket_id:channel:channel_data; missing and malformed auth', async () => {
    const client = await raw.connect({ key: live.app.key });
    const channelData = '{"user_id":"7","user_info":{"name":"Ann"}}';
    const toSign = `${client.socketId}:presence-doctor:${channelData}`;
    const signed = await subscribeAnswer(client, {
      channel: 'presence-doctor',
      channel_data: channelData,
      auth: `${live.app.key}:${hmac('not-the-secret', toSign)}`,
    });
    assert.equal(signed.event, 'pusher:subscription_error');
    const { error } = decoded<{ error: string }>(signed);
    assert.ok(error.includes(`${JSON.stringify(toSign)} (socket_id:channel:channel_data)`), error);
    assert.ok(error.includes(`this connection's socket_id ${client.socketId}`), error);
    assert.equal(error.includes(live.app.secret), false);
    assert.equal(error.includes(hmac(live.app.secret, toSign)), false);

    const missing = await subscribeAnswer(client, { channel: 'private-doctor-raw' });
    assert.match(
      decoded<{ error: string }>(missing).error,
      /^Auth info required to subscribe to private-doctor-raw\. Failed part: auth \(missing\): /,
    );
    const malformed = await subscribeAnswer(client, { channel: 'private-doctor-raw', auth: 'x' });
    assert.match(
      decoded<{ error: string }>(malformed).error,
      /^Invalid format: auth must have the format key:signature\. Failed part: auth \(malformed\): it has no ":"/,
    );
  });
});
