/**
 * Prometheus metrics end to end: real pusher-js, raw WebSocket clients and the `pusher` SDK
 * against a started herald, then `GET /metrics` parsed from the text format and checked value by
 * value. Also: one lifecycle `delivered` event per broadcast whatever the number of recipients,
 * `/metrics` gone with the option off, `/ready` answering 503 while a stop drains, and the CLI.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import PusherServer from 'pusher';
import type { LifecycleEvents } from '../../src/core/lifecycle.js';
import type { WebhookAttempt } from '../../src/webhooks/index.js';
import { startHerald, type TestHerald } from '../../src/testing/index.js';
import { AuthClients } from '../helpers/auth.js';
import { killAll, spawnHerald, type Address } from '../helpers/cli.js';
import { PusherJsClients, eventsOf, nextEvent, subscribe } from '../helpers/pusher-js.js';
import { send } from '../helpers/rest.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { RawClients, WAIT_MS, type RawClient } from '../helpers/ws-client.js';

const APP = { id: 'metrics-app', key: 'metrics-key', secret: 'metrics-secret' };

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  killAll();
});

/** A started herald serving {@link APP}, stopped after the test with its clients. */
async function setup(options: Parameters<typeof startHerald>[0] = {}) {
  const herald = await startHerald({ apps: [APP], ...options });
  const sdk = new PusherServer(herald.pusherOptions);
  const raw = new RawClients(herald);
  const pusherJs = new PusherJsClients(herald, { authorizer: sdk });
  const auth = new AuthClients(herald, sdk);
  cleanups.push(
    () => herald.stop(),
    () => raw.closeAll(),
    () => pusherJs.disconnectAll(),
    () => auth.disconnectAll(),
  );
  return { herald, sdk, raw, pusherJs, auth };
}

interface Scrape {
  readonly status: number;
  readonly contentType: string | undefined;
  /** `name{label="value",…}` (labels sorted by name) → value. */
  readonly samples: Map<string, number>;
  /** Metric name → its `# TYPE`. */
  readonly types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The key {@link Scrape.samples} uses for `name` with `labels`. */
function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => `${label}="${value}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/** Parses the Prometheus text format (version 0.0.4): samples and types. */
function parseMetrics(text: string): Pick<Scrape, 'samples' | 'types'> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      types.set(name!, type!);
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match !== null, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, label, value] of (match[2] ?? '').matchAll(LABEL)) labels[label!] = value!;
    const key = sampleKey(match[1]!, labels);
    assert.ok(!samples.has(key), `${key} appears twice`);
    samples.set(key, Number(match[3]));
  }
  return { samples, types };
}

async function scrape(herald: { readonly url: string }): Promise<Scrape> {
  const response = await send(herald.url, 'GET', '/metrics');
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    ...parseMetrics(response.status === 200 ? response.body : ''),
  };
}

/** Asserts every `[name, labels, value]`, naming the sample that differs. */
function assertSamples(
  { samples }: Pick<Scrape, 'samples'>,
  expected: ReadonlyArray<readonly [string, Record<string, string>, number]>,
): void {
  for (const [name, labels, value] of expected) {
    const key = sampleKey(name, labels);
    assert.equal(samples.get(key), value, key);
  }
}

const app = { app_id: APP.id };

/** The raw text of the first frame of `event` on `channel` that `client` has received. */
async function frameText(client: RawClient, event: string, channel: string): Promise<string> {
  const frame = await client.nextEvent(event, channel);
  return client.texts[client.frames.indexOf(frame)]!;
}

/** Resolves once `count` webhook attempts have settled; start it before causing them. */
function attempts(herald: TestHerald, count: number): Promise<WebhookAttempt[]> {
  const seen: WebhookAttempt[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${seen.length} of ${count} webhook attempts within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = herald.server.webhooks.onAttempt((attempt) => {
      seen.push(attempt);
      if (seen.length < count) return;
      off();
      clearTimeout(timer);
      resolve(seen);
    });
  });
}

describe('GET /metrics', () => {
  it('counts a known sequence of connections, subscriptions, messages, requests and webhooks', async () => {
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.close());
    const { herald, sdk, raw, auth } = await setup({
      apps: [{ ...APP, webhooks: [{ url: receiver.url, events: ['client_event'] }] }],
      vacateDelayMs: 0,
      webhookBatchMs: 0,
      webhookRetryDelayMs: 20,
    });
    const wrongSdk = new PusherServer({ ...herald.pusherOptions, secret: 'not-the-secret' });

    // a: news, private-chat, presence-room (alone there); b: news, private-chat; r (raw, so
    // the exact frame texts are known): news, private-chat; c: news, then refused, then cut.
    const a = await auth.connect({ member: { user_id: 'u1' } });
    const b = await auth.connect();
    const r = await raw.connect({ key: APP.key });
    const c = await auth.connect({ sdk: wrongSdk });
    const aNews = await subscribe(a, 'news');
    const bNews = await subscribe(b, 'news');
    await r.subscribe('news');
    await subscribe(c, 'news');
    const aChat = await subscribe(a, 'private-chat');
    const bChat = await subscribe(b, 'private-chat');
    await r.subscribe('private-chat', sdk.authorizeChannel(r.socketId, 'private-chat').auth);
    await subscribe(a, 'presence-room');

    const refusal = c.subscribe('private-chat');
    const refused = await eventsOf(refusal).next(
      (e) => e.event === 'pusher:subscription_error',
      'the refusal of a subscription signed with the wrong secret',
    );
    assert.equal((refused.data as { status: number }).status, 401);
    herald.disconnect(c.connection.socket_id, { code: 4009 });

    const unknown = raw.open({ key: 'no-such-key' });
    assert.equal((await unknown.closed()).code, 4001);

    // One REST trigger to 3 subscribers, one client event to 2 (the sender is left out).
    const greeted = [nextEvent(aNews, 'greeting'), nextEvent(bNews, 'greeting')];
    await sdk.trigger('news', 'greeting', { hello: 'world' });
    await Promise.all(greeted);
    const greeting = await frameText(r, 'greeting', 'news');
    const settled = attempts(herald, 2);
    receiver.plan(500);
    const typed = nextEvent(bChat, 'client-typing');
    assert.equal(aChat.trigger('client-typing', { x: 1 }), true);
    await typed;
    const typing = await frameText(r, 'client-typing', 'private-chat');
    assert.deepEqual(
      (await settled).map((attempt) => attempt.status),
      [500, 200],
      'the webhook failed once, then was delivered',
    );

    await assert.rejects(wrongSdk.trigger('news', 'forged', {}), { status: 401 });

    const metrics = await scrape(herald);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
    assertSamples(metrics, [
      ['herald_connections', app, 3],
      ['herald_connections_opened_total', app, 4],
      ['herald_connections_closed_total', { ...app, code: '4009' }, 1],
      ['herald_connections_refused_total', { code: '4001' }, 1],
      ['herald_subscriptions', { ...app, channel_type: 'public' }, 3],
      ['herald_subscriptions', { ...app, channel_type: 'private' }, 3],
      ['herald_subscriptions', { ...app, channel_type: 'presence' }, 1],
      ['herald_subscription_errors_total', { ...app, status: '401' }, 1],
      ['herald_channels_occupied', app, 3],
      ['herald_presence_members', app, 1],
      ['herald_client_events_total', app, 1],
      ['herald_api_messages_total', app, 1],
      ['herald_messages_delivered_total', app, 3 + 2],
      ['herald_delivered_bytes_total', app, 3 * bytes(greeting) + 2 * bytes(typing)],
      ['herald_webhook_attempts_total', { ...app, result: 'http_error' }, 1],
      ['herald_webhook_attempts_total', { ...app, result: 'delivered' }, 1],
      ['herald_http_requests_total', { endpoint: 'events', status: '200' }, 1],
      ['herald_http_requests_total', { endpoint: 'events', status: '401' }, 1],
    ]);
    const herald_ = [...metrics.samples.keys()].filter((key) => key.startsWith('herald_'));
    assert.equal(herald_.length, 18, `no other herald_ sample:\n${herald_.join('\n')}`);
    for (const [name, type] of [
      ['herald_connections', 'gauge'],
      ['herald_subscriptions', 'gauge'],
      ['herald_presence_members', 'gauge'],
      ['herald_messages_delivered_total', 'counter'],
      ['herald_http_requests_total', 'counter'],
    ]) {
      assert.equal(metrics.types.get(name!), type, name);
    }
    // The process metrics of prom-client, event-loop lag among them.
    for (const name of ['nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total']) {
      assert.ok(metrics.types.has(name), `${name} is served`);
    }

    // The scrape itself is counted once its response has gone.
    const again = await scrape(herald);
    assertSamples(again, [
      ['herald_http_requests_total', { endpoint: 'metrics', status: '200' }, 1],
    ]);
  });

  it('reports each broadcast once to the lifecycle, whatever the number of recipients', async () => {
    const { herald, sdk, raw, pusherJs } = await setup();
    const delivered: Array<LifecycleEvents['delivered']> = [];
    const off = herald.server.lifecycle.on('delivered', (event) => delivered.push(event));
    cleanups.push(off);

    const alone = await raw.connect({ key: APP.key });
    await alone.subscribe('solo');
    const crowd = await Promise.all([1, 2, 3].map(() => raw.connect({ key: APP.key })));
    for (const client of crowd) await client.subscribe('crowd');
    const browsers = await Promise.all([pusherJs.connect(), pusherJs.connect()]);
    const crowdChannels = await Promise.all(browsers.map((pusher) => subscribe(pusher, 'crowd')));
    for (const client of crowd) {
      const { auth } = sdk.authorizeChannel(client.socketId, 'private-talk');
      await client.subscribe('private-talk', auth);
    }

    await sdk.trigger('solo', 'one', { n: 1 });
    const solo = await frameText(alone, 'one', 'solo');
    const heard = crowdChannels.map((channel) => nextEvent(channel, 'many'));
    await sdk.trigger('crowd', 'many', { n: 5 });
    await Promise.all(heard);
    const texts = await Promise.all(crowd.map((client) => frameText(client, 'many', 'crowd')));
    assert.equal(new Set(texts).size, 1, 'every recipient got the same bytes');
    // A client event reaches every subscriber but its sender.
    crowd[0]!.send({ event: 'client-hi', channel: 'private-talk', data: '{}' });
    const hi = await frameText(crowd[1]!, 'client-hi', 'private-talk');
    await crowd[2]!.nextEvent('client-hi', 'private-talk');
    // Anything emitted late would come before the answer to a ping sent now.
    await Promise.all(crowd.map((client) => client.roundTrip()));

    const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
    assert.deepEqual(delivered, [
      { appId: APP.id, channel: 'solo', recipients: 1, bytes: bytes(solo) },
      { appId: APP.id, channel: 'crowd', recipients: 5, bytes: 5 * bytes(texts[0]!) },
      { appId: APP.id, channel: 'private-talk', recipients: 2, bytes: 2 * bytes(hi) },
    ]);
    assertSamples(await scrape(herald), [
      ['herald_messages_delivered_total', app, 1 + 5 + 2],
      ['herald_delivered_bytes_total', app, bytes(solo) + 5 * bytes(texts[0]!) + 2 * bytes(hi)],
    ]);
  });

  it('keeps the numbers of two servers in one process apart', async () => {
    const one = await setup();
    const two = await setup();
    await one.raw.connect({ key: APP.key });
    assertSamples(await scrape(one.herald), [['herald_connections', app, 1]]);
    assertSamples(await scrape(two.herald), [['herald_connections', app, 0]]);
  });

  it('answers GET and HEAD on /metrics only', async () => {
    const { herald } = await setup();
    const head = await send(herald.url, 'HEAD', '/metrics');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const post = await send(herald.url, 'POST', '/metrics', { body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await send(herald.url, 'GET', '/metrics/extra')).status, 404);
  });

  it('is 404 with metrics: false, and nothing listens to the lifecycle', async () => {
    const { herald } = await setup({ metrics: false });
    const response = await send(herald.url, 'GET', '/metrics');
    assert.equal(response.status, 404);
    assert.match(response.body, /Not found: \/metrics/);
    for (const name of ['delivered', 'connection_opened', 'subscribed'] as const) {
      assert.equal(herald.server.lifecycle.has(name), false, name);
    }
    assert.equal((await send(herald.url, 'GET', '/ready')).status, 200);
  });
});

/** A response as read off a raw socket: status line and body. */
interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** Splits the complete responses out of what a kept-alive socket received (1xx left out). */
function responses(received: Buffer): RawResponse[] {
  const found: RawResponse[] = [];
  let rest = received;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return found;
    const head = rest.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const body = rest.subarray(end + 4);
    if (body.length < length) return found;
    if (status >= 200) found.push({ status, body: body.subarray(0, length).toString('utf8') });
    rest = body.subarray(length);
  }
}

/** A raw HTTP connection: what it received, and a bounded wait for a condition on it. */
function rawConnection(herald: TestHerald) {
  const socket = connect(herald.port, herald.host);
  cleanups.push(() => void socket.destroy());
  const connection = { socket, received: Buffer.alloc(0), until };
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    connection.received = Buffer.concat([connection.received, chunk]);
    for (const waiter of [...waiters]) waiter();
  });
  function until(done: () => boolean, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(`no ${what} within ${WAIT_MS} ms; received: ${String(connection.received)}`),
        );
      }, WAIT_MS);
      waiters.add(check);
      check();
    });
  }
  return connection;
}

describe('/ready while a stop drains', () => {
  it('answers 503 to a request that arrives while another holds the stop, and counts it', async () => {
    const herald = await startHerald({ apps: [APP] });
    cleanups.push(() => herald.stop());
    // Requests whose bodies are held back (Expect: 100-continue) are in flight: the stop waits
    // for them before it closes anything, and their connections stay open meanwhile. Each
    // connection serves one more request after that (pipelined behind its body), then closes.
    const body = '{"name":"e","channels":["c"],"data":"{}"}';
    const post =
      `POST /apps/${APP.id}/events HTTP/1.1\r\nHost: herald\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`;
    const [holder, prober, scraper] = [1, 2, 3].map(() => rawConnection(herald));
    for (const connection of [holder!, prober!, scraper!]) {
      connection.socket.write(post);
      await connection.until(
        () => connection.received.includes('HTTP/1.1 100 Continue'),
        '100 Continue',
      );
    }
    const stopped = herald.stop();
    const then = async (connection: ReturnType<typeof rawConnection>, path: string) => {
      connection.socket.write(`${body}GET ${path} HTTP/1.1\r\nHost: herald\r\n\r\n`);
      await connection.until(() => responses(connection.received).length === 2, path);
      return responses(connection.received);
    };
    const [unsigned, ready] = await then(prober!, '/ready');
    assert.equal(unsigned!.status, 401, 'the request in flight was answered');
    assert.equal(ready!.status, 503);
    assert.equal(ready!.body, 'Shutting down\n');
    const [, metrics] = await then(scraper!, '/metrics');
    assert.equal(metrics!.status, 200);
    // The scraper's own 401 may be counted after this scrape (on its response's 'finish').
    assertSamples(parseMetrics(metrics!.body), [
      ['herald_http_requests_total', { endpoint: 'ready', status: '503' }, 1],
    ]);
    holder!.socket.write(body);
    await holder!.until(() => responses(holder!.received).length === 1, 'the last answer');
    await stopped;
  });
});

describe('herald start and metrics', () => {
  async function get(address: Address, path: string) {
    return send(`http://${address.host}:${address.port}`, 'GET', path);
  }

  it('serves /metrics by default and still exits 0 on SIGTERM, nothing left holding it', async () => {
    const herald = spawnHerald(['start', '--port', '0']);
    const { api } = await herald.started();
    const response = await get(api, '/metrics');
    assert.equal(response.status, 200);
    const { samples, types } = parseMetrics(response.body);
    assert.equal(samples.get(sampleKey('herald_connections', { app_id: 'app-id' })), 0);
    assert.ok(types.has('nodejs_eventloop_lag_seconds'));
    herald.signal('SIGTERM');
    assert.deepEqual(await herald.exit(), { code: 0, signal: null });
  });

  it('answers 404 on /metrics with --no-metrics', async () => {
    const herald = spawnHerald(['start', '--port', '0', '--no-metrics']);
    const { api } = await herald.started();
    assert.equal((await get(api, '/metrics')).status, 404);
    assert.equal((await get(api, '/ready')).status, 200);
    herald.signal('SIGTERM');
    assert.deepEqual(await herald.exit(), { code: 0, signal: null });
  });
});
