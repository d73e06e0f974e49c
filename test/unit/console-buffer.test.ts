/**
 * The console's event log without a server: the per-app ring (bounded, in order, resumable
 * after a sequence number), the lifecycle events and webhook attempts filed into it on a manual
 * clock, and the JSON a page receives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StaticAppRegistry } from '../../src/apps/app.js';
import { appSchema } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import { Lifecycle, type LifecycleName } from '../../src/core/lifecycle.js';
import { EntryRing } from '../../src/console/buffer.js';
import { entryJson, entryKinds, kindOfLifecycle } from '../../src/console/entries.js';
import { ConsoleEventLog } from '../../src/console/event-log.js';
import { resumeAfter } from '../../src/console/feed.js';
import type { WebhookAttempt } from '../../src/webhooks/index.js';

const event = (channel: string) =>
  ({ kind: 'channel_occupied', event: { appId: 'a', channel } }) as const;
const channelsOf = (ring: EntryRing, after = 0) =>
  ring.since(after).map((entry) => ('event' in entry.source ? entry.source.event : undefined));

describe('EntryRing', () => {
  it('keeps the last `limit` entries in order, numbered 1, 2, 3…', () => {
    const ring = new EntryRing(3);
    for (const channel of ['c1', 'c2', 'c3', 'c4', 'c5']) ring.add(event(channel), 0);
    assert.deepEqual(
      ring.since(0).map((entry) => entry.seq),
      [3, 4, 5],
    );
    assert.deepEqual(channelsOf(ring), [
      { appId: 'a', channel: 'c3' },
      { appId: 'a', channel: 'c4' },
      { appId: 'a', channel: 'c5' },
    ]);
    assert.equal(ring.lastSeq, 5);
  });

  it('answers what came after a sequence number, also across the wrap and beyond the end', () => {
    const ring = new EntryRing(4);
    for (let i = 1; i <= 6; i++) ring.add(event(`c${i}`), i);
    assert.deepEqual(
      ring.since(4).map((entry) => entry.seq),
      [5, 6],
    );
    // Older than the oldest kept: what is left.
    assert.deepEqual(
      ring.since(1).map((entry) => entry.seq),
      [3, 4, 5, 6],
    );
    assert.deepEqual(ring.since(6), []);
    assert.deepEqual(ring.since(99), []);
    assert.deepEqual(new EntryRing(2).since(0), []);
  });

  it('tells listeners of each new entry until they stop', () => {
    const ring = new EntryRing(2);
    const seen: number[] = [];
    const stop = ring.listen((entry) => seen.push(entry.seq));
    ring.add(event('a'), 0);
    ring.add(event('b'), 0);
    stop();
    ring.add(event('c'), 0);
    assert.deepEqual(seen, [1, 2]);
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new EntryRing(limit), RangeError, String(limit));
    }
  });
});

function setup(rows = 100) {
  const clock = new ManualClock();
  const apps = new StaticAppRegistry([
    appSchema.parse({ id: 'one', key: 'key-one', secret: 'secret-one' }),
    appSchema.parse({ id: 'two', key: 'key-two', secret: 'secret-two' }),
  ]);
  const lifecycle = new Lifecycle((error) => assert.fail(String(error)));
  const attemptListeners = new Set<(attempt: WebhookAttempt) => void>();
  const webhooks = {
    onAttempt(listener: (attempt: WebhookAttempt) => void) {
      attemptListeners.add(listener);
      return () => attemptListeners.delete(listener);
    },
  };
  const log = new ConsoleEventLog({ apps, clock, rows }).attach(lifecycle, webhooks);
  const attempt = (fields: Partial<WebhookAttempt>) => {
    for (const listener of attemptListeners) {
      listener({
        appId: 'one',
        url: 'http://127.0.0.1:9/hooks',
        attempt: 1,
        status: 200,
        error: undefined,
        body: Buffer.from('{"time_ms":1,"events":[]}'),
        ...fields,
      });
    }
  };
  const json = (appId: string) =>
    log
      .ring(appId)!
      .since(0)
      .map((entry) => JSON.parse(entryJson(entry)) as Record<string, unknown>);
  return { clock, lifecycle, log, attempt, attemptListeners, json };
}

describe('ConsoleEventLog', () => {
  it('files each lifecycle event in its own app, with the time of herald’s clock', () => {
    const { clock, lifecycle, json } = setup();
    lifecycle.emit('connection_opened', { appId: 'one', socketId: '1.1' });
    clock.advance(250);
    lifecycle.emit('subscribed', { appId: 'two', socketId: '2.2', channel: 'news' });
    lifecycle.emit('api_message', {
      appId: 'one',
      channel: 'news',
      event: 'greeting',
      data: '{"hello":"world"}',
      socketId: undefined,
    });
    const start = 1_700_000_000_000;
    assert.deepEqual(json('one'), [
      { seq: 1, time: start, kind: 'connected', socketId: '1.1' },
      {
        seq: 2,
        time: start + 250,
        kind: 'api_message',
        channel: 'news',
        event: 'greeting',
        data: '{"hello":"world"}',
      },
    ]);
    assert.deepEqual(json('two'), [
      { seq: 1, time: start + 250, kind: 'subscribed', socketId: '2.2', channel: 'news' },
    ]);
  });

  it('has a kind for every lifecycle event, and the page lists every kind once', () => {
    const { lifecycle } = setup();
    for (const name of Object.keys(kindOfLifecycle) as LifecycleName[]) {
      assert.equal(lifecycle.has(name), true, name);
    }
    assert.equal(new Set(entryKinds).size, entryKinds.length);
    assert.deepEqual([...entryKinds].sort(), [...Object.values(kindOfLifecycle), 'webhook'].sort());
  });

  it('files a refused connection under the app of its key, and drops an unknown key', () => {
    const { lifecycle, json } = setup();
    lifecycle.emit('connection_refused', { appKey: 'key-two', code: 4004, reason: 'Over quota' });
    lifecycle.emit('connection_refused', { appKey: 'nope', code: 4001, reason: 'Unknown app' });
    lifecycle.emit('connection_refused', { appKey: undefined, code: 4001, reason: 'No key' });
    assert.deepEqual(
      json('two').map(({ kind, appKey, code }) => [kind, appKey, code]),
      [['refused', 'key-two', 4004]],
    );
    assert.deepEqual(json('one'), []);
  });

  it('files webhook attempts with their answer and the events sent, not their data', () => {
    const { attempt, json } = setup();
    const events = [
      { name: 'channel_occupied', channel: 'news' },
      {
        name: 'client_event',
        channel: 'presence-room',
        event: 'client-typing',
        data: '{"secret-ish":"payload"}',
        user_id: '42',
        socket_id: '1.1',
      },
    ];
    attempt({ body: Buffer.from(JSON.stringify({ time_ms: 1, events })), status: 500 });
    attempt({ attempt: 2, status: undefined, error: 'timed out after 4000 ms' });
    attempt({ appId: 'unknown-app' });
    assert.deepEqual(
      json('one').map(({ seq: _seq, time: _time, ...rest }) => rest),
      [
        {
          kind: 'webhook',
          url: 'http://127.0.0.1:9/hooks',
          attempt: 1,
          status: 500,
          events: [
            { name: 'channel_occupied', channel: 'news' },
            {
              name: 'client_event',
              channel: 'presence-room',
              event: 'client-typing',
              user_id: '42',
            },
          ],
        },
        {
          kind: 'webhook',
          url: 'http://127.0.0.1:9/hooks',
          attempt: 2,
          error: 'timed out after 4000 ms',
          events: [],
        },
      ],
    );
  });

  it('keeps `rows` entries per app and builds an entry’s JSON once', () => {
    const { lifecycle, log } = setup(10);
    for (let i = 0; i < 25; i++) {
      lifecycle.emit('channel_occupied', { appId: 'one', channel: `c${i}`, resumed: false });
    }
    const ring = log.ring('one')!;
    assert.deepEqual(
      ring.since(0).map((entry) => entry.seq),
      [16, 17, 18, 19, 20, 21, 22, 23, 24, 25],
    );
    const [first] = ring.since(0);
    assert.equal(first!.json, undefined, 'nothing serialized before a page asks');
    assert.equal(entryJson(first!), entryJson(first!));
    assert.equal(first!.json, entryJson(first!));
  });

  it('stops filing once detached', () => {
    const { lifecycle, log, attemptListeners, json } = setup();
    log.detach();
    lifecycle.emit('connection_opened', { appId: 'one', socketId: '1.1' });
    assert.deepEqual(json('one'), []);
    assert.equal(lifecycle.has('connection_opened'), false);
    assert.equal(attemptListeners.size, 0);
  });
});

describe('resumeAfter (Last-Event-ID)', () => {
  it('resumes after the id of this run, and from the start for another run or garbage', () => {
    assert.equal(resumeAfter('run1.42', 'run1'), 42);
    assert.equal(resumeAfter('run0.42', 'run1'), 0);
    for (const id of [undefined, '', 'run1', 'run1.', 'run1.-3', 'run1.4x']) {
      assert.equal(resumeAfter(id, 'run1'), 0, String(id));
    }
  });
});
