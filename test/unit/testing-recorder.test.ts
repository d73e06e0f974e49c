/**
 * The recorder without a server: lifecycle events and webhook attempts in, records out, on a
 * manual clock. Waits use short real timeouts only where a timeout is what is tested.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { Lifecycle } from '../../src/core/lifecycle.js';
import { Recorder, WaitError, recordKinds, summary } from '../../src/testing/recorder.js';
import type { WebhookAttempt } from '../../src/webhooks/index.js';

function setup(limit = 100) {
  const clock = new ManualClock();
  const errors: unknown[] = [];
  const lifecycle = new Lifecycle((error) => errors.push(error));
  const attemptListeners = new Set<(attempt: WebhookAttempt) => void>();
  const webhooks = {
    onAttempt(listener: (attempt: WebhookAttempt) => void) {
      attemptListeners.add(listener);
      return () => attemptListeners.delete(listener);
    },
  };
  const recorder = new Recorder({ limit, clock }).attach(lifecycle, webhooks);
  const attempt = (fields: Partial<WebhookAttempt> & { events: object[] }) => {
    const { events, ...rest } = fields;
    const body = Buffer.from(JSON.stringify({ time_ms: clock.now(), events }));
    for (const listener of attemptListeners) {
      listener({
        appId: 'app-1',
        url: 'http://127.0.0.1:9/hooks',
        attempt: 1,
        status: 200,
        error: undefined,
        body,
        ...rest,
      });
    }
  };
  const trigger = (channel: string, event: string, data = '{}') =>
    lifecycle.emit('api_message', { appId: 'app-1', channel, event, data, socketId: undefined });
  return { clock, lifecycle, recorder, attempt, trigger, errors, attemptListeners };
}

describe('Recorder: what is recorded', () => {
  it('records every lifecycle event as its kind, in order, with seq and clock time', () => {
    const { lifecycle, recorder, clock, trigger, errors } = setup();
    const base = { appId: 'app-1', socketId: '1.2' };
    lifecycle.emit('connection_opened', base);
    clock.advance(5);
    lifecycle.emit('subscribed', { ...base, channel: 'news' });
    lifecycle.emit('channel_occupied', { appId: 'app-1', channel: 'news', resumed: false });
    trigger('news', 'flash', '{"a":1}');
    lifecycle.emit('client_event', {
      ...base,
      channel: 'private-x',
      event: 'client-typing',
      data: '"y"',
      userId: undefined,
    });
    lifecycle.emit('unsubscribed', { ...base, channel: 'news' });
    lifecycle.emit('connection_closed', { ...base, code: 4099, reason: 'reset' });
    lifecycle.emit('connection_refused', { appKey: 'nope', code: 4001, reason: 'unknown' });

    const records = recorder.events();
    assert.deepEqual(
      records.map((record) => record.kind),
      [
        'connected',
        'subscribed',
        'channel_occupied',
        'trigger',
        'client_event',
        'unsubscribed',
        'disconnected',
        'refused',
      ],
    );
    assert.deepEqual(
      records.map((record) => record.seq),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(records[0]!.time, 1_700_000_000_000);
    assert.equal(records[1]!.time, 1_700_000_000_005);
    assert.deepEqual(records[3], {
      seq: 4,
      time: 1_700_000_000_005,
      kind: 'trigger',
      appId: 'app-1',
      channel: 'news',
      event: 'flash',
      data: '{"a":1}',
      socketId: undefined,
    });
    assert.deepEqual(records[6], {
      seq: 7,
      time: 1_700_000_000_005,
      kind: 'disconnected',
      appId: 'app-1',
      socketId: '1.2',
      code: 4099,
      reason: 'reset',
    });
    assert.equal(recorder.lastSeq, 8);
    assert.deepEqual(errors, []);
  });

  it('records webhook attempts with their status, error and the events sent', () => {
    const { recorder, attempt } = setup();
    attempt({ status: 500, events: [{ name: 'channel_occupied', channel: 'news' }] });
    attempt({
      attempt: 2,
      status: undefined,
      error: 'no answer within 4000 ms',
      events: [{ name: 'member_added', channel: 'presence-room', user_id: '7' }],
    });
    const [first, second] = recorder.events({ kind: 'webhook' });
    assert.deepEqual(first, {
      seq: 1,
      time: 1_700_000_000_000,
      kind: 'webhook',
      appId: 'app-1',
      url: 'http://127.0.0.1:9/hooks',
      attempt: 1,
      status: 500,
      error: undefined,
      events: [{ name: 'channel_occupied', channel: 'news' }],
    });
    assert.equal(second?.kind === 'webhook' && second.error, 'no answer within 4000 ms');
  });

  it('every kind has a one-line summary', () => {
    assert.equal(recordKinds.length, new Set(recordKinds).size);
    const { lifecycle, recorder, trigger } = setup();
    trigger('news', 'flash', 'x'.repeat(100));
    lifecycle.emit('signed_in', { appId: 'a', socketId: '1.1', userId: '42' });
    const [triggered, signedIn] = recorder.events().map(summary);
    assert.equal(triggered, `#1 trigger news flash ${'x'.repeat(60)}…`);
    assert.equal(signedIn, '#2 signed_in 42 on 1.1');
  });
});

describe('Recorder: queries', () => {
  it('filters by kind (one or several), channel, event, socket, user, app and after', () => {
    const { lifecycle, recorder, trigger } = setup();
    lifecycle.emit('connection_opened', { appId: 'app-1', socketId: '1.1' });
    lifecycle.emit('subscribed', { appId: 'app-1', socketId: '1.1', channel: 'a' });
    lifecycle.emit('subscribed', { appId: 'app-2', socketId: '2.2', channel: 'b' });
    trigger('a', 'e1');
    trigger('b', 'e2');
    lifecycle.emit('member_added', {
      appId: 'app-1',
      channel: 'presence-a',
      userId: '9',
      resumed: false,
    });

    const seqs = (filter: Parameters<Recorder['events']>[0]) =>
      recorder.events(filter).map((record) => record.seq);
    assert.deepEqual(seqs({ kind: 'subscribed' }), [2, 3]);
    assert.deepEqual(seqs({ kind: ['connected', 'trigger'] }), [1, 4, 5]);
    assert.deepEqual(seqs({ channel: 'a' }), [2, 4]);
    assert.deepEqual(seqs({ channel: 'a', event: 'e1' }), [4]);
    assert.deepEqual(seqs({ socketId: '1.1' }), [1, 2]);
    assert.deepEqual(seqs({ appId: 'app-2' }), [3]);
    assert.deepEqual(seqs({ userId: '9' }), [6]);
    assert.deepEqual(seqs({ after: 4 }), [5, 6]);
    assert.deepEqual(
      seqs((record) => record.seq % 2 === 0),
      [2, 4, 6],
    );
    assert.deepEqual(seqs({ channel: 'nowhere' }), []);
  });

  it("a webhook record matches by any of its events' channel, name or user", () => {
    const { recorder, attempt } = setup();
    attempt({
      events: [
        { name: 'channel_occupied', channel: 'a' },
        { name: 'member_added', channel: 'presence-b', user_id: '5' },
      ],
    });
    assert.equal(recorder.events({ kind: 'webhook', channel: 'presence-b' }).length, 1);
    assert.equal(recorder.events({ kind: 'webhook', event: 'channel_occupied' }).length, 1);
    // The fields must match one and the same event of the request.
    assert.equal(recorder.events({ channel: 'presence-b', userId: '5' }).length, 1);
    assert.equal(recorder.events({ channel: 'a', userId: '5' }).length, 0);
    assert.equal(recorder.events({ channel: 'a', event: 'member_added' }).length, 0);
    assert.equal(recorder.events({ userId: '5' }).length, 1);
  });

  it('keeps at most `limit` records, dropping the oldest and counting them', () => {
    const { recorder, trigger } = setup(3);
    for (let i = 1; i <= 5; i++) trigger('c', `e${i}`);
    assert.deepEqual(
      recorder.events().map((record) => record.kind === 'trigger' && record.event),
      ['e3', 'e4', 'e5'],
    );
    assert.deepEqual(
      recorder.events().map((record) => record.seq),
      [3, 4, 5],
    );
    assert.equal(recorder.dropped, 2);
    trigger('c', 'e6');
    assert.deepEqual(
      recorder.events().map((record) => record.seq),
      [4, 5, 6],
    );
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => new Recorder({ limit: 0, clock: new ManualClock() }), RangeError);
  });
});

describe('Recorder: waitFor', () => {
  it('resolves at once with a record already there (the first match)', async () => {
    const { recorder, trigger } = setup();
    trigger('c', 'e', '1');
    trigger('c', 'e', '2');
    const found = await recorder.waitFor({ channel: 'c', event: 'e' });
    assert.equal(found.seq, 1);
    const next = await recorder.waitFor({ channel: 'c', event: 'e', after: found.seq });
    assert.equal(next.seq, 2);
  });

  it('resolves with a record still to come; every waiter it matches is settled', async () => {
    const { recorder, trigger } = setup();
    const one = recorder.waitFor({ channel: 'c' });
    const two = recorder.waitFor({ event: 'e' });
    const other = recorder.waitFor({ channel: 'other' }, { timeout: 50 });
    trigger('c', 'e');
    assert.equal((await one).seq, 1);
    assert.equal((await two).seq, 1);
    await assert.rejects(other, WaitError);
  });

  it('rejects after the timeout with the filter and what was recorded', async () => {
    const { recorder, trigger, lifecycle } = setup();
    lifecycle.emit('subscribed', { appId: 'app-1', socketId: '1.1', channel: 'c' });
    trigger('c', 'other-event', '{"n":1}');
    const error = await recorder.waitFor({ channel: 'c', event: 'e' }, { timeout: 20 }).then(
      () => assert.fail('resolved'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof WaitError);
    assert.equal(error.reason, 'timeout');
    assert.equal(
      error.message,
      'waitFor({"channel":"c","event":"e"}): nothing matched within 20 ms; recorded 2:\n' +
        '  #1 subscribed c by 1.1\n' +
        '  #2 trigger c other-event {"n":1}',
    );
    assert.equal(error.recorded.length, 2);
  });

  it('says when nothing was recorded, and lists only the latest records of many', async () => {
    const { recorder, trigger } = setup(1000);
    await assert.rejects(recorder.waitFor({ channel: 'x' }, { timeout: 1 }), {
      message: 'waitFor({"channel":"x"}): nothing matched within 1 ms; nothing was recorded',
    });
    for (let i = 0; i < 50; i++) trigger('c', `e${i}`);
    const error = (await recorder
      .waitFor({ channel: 'x' }, { timeout: 1 })
      .catch((caught: unknown) => caught)) as WaitError;
    const lines = error.message.split('\n');
    assert.match(lines[0]!, /recorded 50 \(the latest 40 shown\):$/);
    assert.equal(lines.length, 41);
    assert.equal(lines.at(-1), '  #50 trigger c e49 {}');
  });

  it('clear() forgets the records and rejects pending waits; seq goes on', async () => {
    const { recorder, trigger } = setup();
    trigger('c', 'e');
    const pending = recorder.waitFor({ channel: 'later' });
    recorder.clear();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof WaitError);
      assert.equal(error.reason, 'reset');
      return true;
    });
    assert.deepEqual(recorder.events(), []);
    trigger('c', 'e');
    assert.equal(recorder.events()[0]!.seq, 2);
  });

  it('an aborted signal ends the wait', async () => {
    const { recorder } = setup();
    const controller = new AbortController();
    const pending = recorder.waitFor({ channel: 'c' }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { reason: 'aborted' });
  });

  it('stop() detaches from every source and rejects waits, now and later', async () => {
    const { recorder, lifecycle, trigger, attemptListeners } = setup();
    const pending = recorder.waitFor({ channel: 'c' });
    recorder.stop();
    await assert.rejects(pending, { reason: 'stopped' });
    await assert.rejects(recorder.waitFor({ channel: 'c' }), { reason: 'stopped' });
    trigger('c', 'e');
    assert.deepEqual(recorder.events(), []);
    assert.equal(lifecycle.has('api_message'), false);
    assert.equal(attemptListeners.size, 0);
  });
});
