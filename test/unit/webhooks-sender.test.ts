import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Post } from '../../src/webhooks/http-post.js';
import { Sender, displayUrl, type DeliveryOptions } from '../../src/webhooks/sender.js';
import type { WebhookBody } from '../../src/webhooks/events.js';
import { ManualTimers, settle } from '../helpers/manual-timers.js';
import { RecordingLog } from '../helpers/recording-log.js';

interface Call {
  readonly at: number;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly signal: AbortSignal;
  answer(status: number): void;
  fail(error: Error): void;
}

/** A request seam that records each call and answers when the test says (or from a plan). */
class FakePost {
  readonly calls: Call[] = [];
  /** Statuses to answer the next calls with at once; `undefined` leaves a call hanging. */
  readonly plan: Array<number | undefined> = [];

  constructor(private readonly timers: ManualTimers) {}

  readonly post: Post = (url, headers, body, signal) =>
    new Promise<number>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      this.calls.push({
        at: this.timers.now(),
        url,
        headers,
        body,
        signal,
        answer: resolve,
        fail: reject,
      });
      const planned = this.plan.length > 0 ? this.plan.shift() : 200;
      if (planned !== undefined) resolve(planned);
    });
}

const options: DeliveryOptions = {
  timeoutMs: 4000,
  retryWindowMs: 300_000,
  retryDelayMs: 1000,
  maxRetryDelayMs: 60_000,
  concurrency: 2,
  queueSize: 1000,
};

function setup(overrides: Partial<DeliveryOptions> = {}, headers: Record<string, string> = {}) {
  const timers = new ManualTimers();
  const fake = new FakePost(timers);
  const log = new RecordingLog();
  const sender = new Sender(
    {
      appId: 'app-1',
      key: 'the-key',
      secret: 'the-secret',
      url: new URL('http://127.0.0.1:9/hook'),
      headers,
    },
    { ...options, ...overrides },
    { timers, log, post: fake.post },
  );
  return { timers, fake, log, sender };
}

const batch = (channel: string, timeMs = 1): WebhookBody => ({
  time_ms: timeMs,
  events: [{ name: 'channel_occupied', channel }],
});

const channelOf = (call: Call) =>
  (JSON.parse(call.body.toString('utf8')) as { events: Array<{ channel: string }> }).events[0]!
    .channel;

describe('Sender: the request (§6.1)', () => {
  it('POSTs the serialized body with the exact headers, signed over those bytes', async () => {
    const { fake, sender } = setup({}, { 'X-Tenant': 'blue' });
    sender.send(batch('test_channel', 1327078148132));
    await settle();
    assert.equal(fake.calls.length, 1);
    const [call] = fake.calls;
    const body = call!.body.toString('utf8');
    assert.equal(
      body,
      '{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}',
    );
    assert.deepEqual(call!.headers, {
      'X-Tenant': 'blue',
      'Content-Type': 'application/json',
      'X-Pusher-Key': 'the-key',
      'X-Pusher-Signature': createHmac('sha256', 'the-secret').update(call!.body).digest('hex'),
      'Content-Length': String(call!.body.length),
    });
    assert.equal(call!.url.href, 'http://127.0.0.1:9/hook');
    assert.equal(sender.stats().delivered, 1);
  });
});

describe('Sender: retries (§6.2)', () => {
  it('retries a non-2xx with backoff 1 s, 2 s, 4 s, sending the same signed bytes each time', async () => {
    const { timers, fake, sender, log } = setup();
    fake.plan.push(500, 503, 404, 204);
    const start = timers.now();
    sender.send(batch('a'));
    await timers.advance(10_000);
    assert.deepEqual(
      fake.calls.map((call) => call.at - start),
      [0, 1000, 3000, 7000],
    );
    const [first, ...rest] = fake.calls;
    for (const call of rest) {
      assert.ok(call.body.equals(first!.body), 'same bytes');
      assert.equal(call.headers['X-Pusher-Signature'], first!.headers['X-Pusher-Signature']);
    }
    assert.deepEqual(sender.stats(), {
      delivered: 1,
      failedAttempts: 3,
      gaveUp: 0,
      dropped: 0,
      abandoned: 0,
      lostEvents: 0,
      pending: 0,
    });
    assert.equal(log.at('warn').length, 0, 'a retried success is not a warning');
  });

  it('counts an attempt without an answer within the timeout as failed and retries it', async () => {
    const { timers, fake, sender } = setup({ timeoutMs: 4000 });
    fake.plan.push(undefined);
    sender.send(batch('a'));
    await timers.advance(3999);
    assert.equal(fake.calls.length, 1);
    assert.equal(fake.calls[0]!.signal.aborted, false);
    await timers.advance(1);
    assert.equal(fake.calls[0]!.signal.aborted, true, 'the hanging attempt is aborted');
    assert.equal(sender.stats().failedAttempts, 1);
    await timers.advance(1000);
    assert.equal(fake.calls.length, 2, 'retried after the first backoff');
    assert.equal(sender.stats().delivered, 1);
  });

  it('caps the backoff and makes the last attempt at the end of the window, then gives up', async () => {
    const { timers, fake, sender, log } = setup({
      retryWindowMs: 20_000,
      retryDelayMs: 1000,
      maxRetryDelayMs: 5000,
    });
    for (let i = 0; i < 20; i++) fake.plan.push(500);
    const start = timers.now();
    sender.send(batch('a'));
    await timers.advance(60_000);
    assert.deepEqual(
      fake.calls.map((call) => call.at - start),
      [0, 1000, 3000, 7000, 12_000, 17_000, 20_000],
    );
    const stats = sender.stats();
    assert.equal(stats.gaveUp, 1);
    assert.equal(stats.lostEvents, 1);
    assert.equal(stats.pending, 0);
    const warnings = log.at('warn');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.message,
      /given up after 7 attempt\(s\).*HTTP 500.*1 event\(s\) lost/,
    );
    assert.equal(warnings[0]!.fields['url'], 'http://127.0.0.1:9/hook');
  });

  it('a retry window of 0 gives up after the first failure', async () => {
    const { timers, fake, sender } = setup({ retryWindowMs: 0 });
    fake.plan.push(500);
    sender.send(batch('a'));
    await timers.advance(10_000);
    assert.equal(fake.calls.length, 1);
    assert.equal(sender.stats().gaveUp, 1);
  });

  it('a network error is a failure like any other', async () => {
    const { timers, fake, sender } = setup();
    fake.plan.push(undefined);
    sender.send(batch('a'));
    await settle();
    fake.calls[0]!.fail(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    await timers.advance(1000);
    assert.equal(fake.calls.length, 2);
    assert.equal(sender.stats().failedAttempts, 1);
    assert.equal(sender.stats().delivered, 1);
  });

  it('repeated give-ups log one line per 10 s and report how many were held back', async () => {
    const { timers, fake, sender, log } = setup({ retryWindowMs: 0, concurrency: 5 });
    for (let i = 0; i < 5; i++) fake.plan.push(500);
    for (const channel of ['a', 'b', 'c']) sender.send(batch(channel));
    await timers.advance(1);
    assert.equal(sender.stats().gaveUp, 3, 'every give-up is counted');
    assert.equal(log.at('warn').length, 1, 'but logged once');
    await timers.advance(10_000);
    sender.send(batch('d'));
    await timers.advance(1);
    const warnings = log.at('warn');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!.message, /and 2 more like it/);
  });
});

describe('Sender: bounds', () => {
  it('keeps at most `concurrency` requests in flight, starting batches in order', async () => {
    const { fake, sender } = setup({ concurrency: 2 });
    for (let i = 0; i < 4; i++) fake.plan.push(undefined);
    for (const channel of ['a', 'b', 'c', 'd']) sender.send(batch(channel));
    await settle();
    assert.deepEqual(fake.calls.map(channelOf), ['a', 'b']);
    fake.calls[1]!.answer(200);
    await settle();
    assert.deepEqual(fake.calls.map(channelOf), ['a', 'b', 'c']);
    assert.equal(sender.stats().pending, 3);
  });

  it('a due retry goes ahead of batches not tried yet', async () => {
    const { timers, fake, sender } = setup({ concurrency: 1 });
    fake.plan.push(500, undefined, undefined);
    sender.send(batch('a'));
    await settle();
    sender.send(batch('b'));
    await settle();
    // a failed and waits 1 s; b went out meanwhile and hangs; c waits behind it.
    sender.send(batch('c'));
    await timers.advance(1000);
    fake.calls[1]!.answer(200);
    await settle();
    assert.deepEqual(fake.calls.map(channelOf), ['a', 'b', 'a']);
  });

  it('drops new batches once the queue is full, counting and logging it', async () => {
    const { fake, sender, log } = setup({ concurrency: 1, queueSize: 2 });
    for (let i = 0; i < 3; i++) fake.plan.push(undefined);
    for (const channel of ['a', 'b', 'c']) sender.send(batch(channel));
    await settle();
    const stats = sender.stats();
    assert.equal(stats.dropped, 1);
    assert.equal(stats.lostEvents, 1);
    assert.equal(stats.pending, 2);
    const [warning] = log.at('warn');
    assert.match(warning!.message, /queue for http:\/\/127\.0\.0\.1:9\/hook is full \(2 batches\)/);
    fake.calls[0]!.answer(200);
    await settle();
    fake.calls[1]!.answer(200);
    await settle();
    assert.deepEqual(fake.calls.map(channelOf), ['a', 'b'], 'the dropped batch is never sent');
  });
});

describe('Sender: drain and stop', () => {
  it('drain() tries batches waiting out a backoff at once and resolves when all are answered', async () => {
    const { timers, fake, sender } = setup();
    fake.plan.push(500);
    sender.send(batch('a'));
    await settle();
    assert.equal(sender.stats().pending, 1, 'waiting 1 s to retry');
    const at = timers.now();
    await sender.drain();
    assert.equal(fake.calls.length, 2);
    assert.equal(fake.calls[1]!.at, at, 'retried without waiting');
    assert.equal(sender.stats().delivered, 1);
  });

  it('drain() resolves at once when nothing is held', async () => {
    const { sender } = setup();
    await sender.drain();
    assert.equal(sender.stats().pending, 0);
  });

  it('stop() aborts requests in flight, counts what was left and logs it once', async () => {
    const { timers, fake, sender, log } = setup({ concurrency: 1 });
    fake.plan.push(undefined, undefined);
    sender.send(batch('a'));
    sender.send(batch('b'));
    await settle();
    const drained = sender.drain();
    sender.stop();
    await drained;
    assert.equal(fake.calls[0]!.signal.aborted, true);
    const stats = sender.stats();
    assert.equal(stats.abandoned, 2);
    assert.equal(stats.lostEvents, 2);
    assert.equal(stats.pending, 0);
    assert.equal(stats.failedAttempts, 0, 'an abort at stop is not a failed attempt');
    assert.equal(log.at('warn').length, 1);
    assert.match(log.at('warn')[0]!.message, /not delivered before stop: 2 batch\(es\)/);
    sender.send(batch('c'));
    await timers.advance(10_000);
    assert.equal(fake.calls.length, 1, 'nothing is sent after stop');
    assert.equal(timers.size, 0, 'no timer is left behind');
  });
});

describe('displayUrl', () => {
  it('masks a password and leaves other URLs alone', () => {
    assert.equal(
      displayUrl(new URL('https://hook:s3cret@example.com/in')),
      'https://hook:***@example.com/in',
    );
    assert.equal(displayUrl(new URL('http://example.com/in?x=1')), 'http://example.com/in?x=1');
  });
});
