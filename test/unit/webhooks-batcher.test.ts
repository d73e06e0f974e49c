import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher } from '../../src/webhooks/batcher.js';
import type { WebhookBody, WebhookEventName } from '../../src/webhooks/events.js';
import { ManualTimers } from '../helpers/manual-timers.js';

function setup(
  options: { windowMs?: number; maxEvents?: number; events?: WebhookEventName[] } = {},
) {
  const timers = new ManualTimers();
  const batches: WebhookBody[] = [];
  const batcher = new Batcher({
    windowMs: options.windowMs ?? 50,
    maxEvents: options.maxEvents ?? 100,
    events: options.events === undefined ? undefined : new Set(options.events),
    timers,
    onBatch: (body) => batches.push(body),
  });
  return { timers, batches, batcher };
}

const occupied = (channel: string) => ({ name: 'channel_occupied', channel }) as const;
const vacated = (channel: string) => ({ name: 'channel_vacated', channel }) as const;
const channels = (body: WebhookBody) => body.events.map((e) => `${e.name} ${e.channel}`);

describe('Batcher (§6.2)', () => {
  it('gathers the events of one window into one batch, in order, timed when it opened', async () => {
    const { timers, batches, batcher } = setup({ windowMs: 50 });
    const opened = timers.now();
    batcher.add(occupied('a'));
    await timers.advance(20);
    batcher.add(vacated('a'));
    batcher.add(occupied('b'));
    await timers.advance(29);
    assert.equal(batches.length, 0, 'still within the window');
    await timers.advance(1);
    assert.equal(batches.length, 1);
    assert.deepEqual(channels(batches[0]!), [
      'channel_occupied a',
      'channel_vacated a',
      'channel_occupied b',
    ]);
    assert.equal(batches[0]!.time_ms, opened);
  });

  it('opens a new window with the next event after one closed', async () => {
    const { timers, batches, batcher } = setup({ windowMs: 50 });
    batcher.add(occupied('a'));
    await timers.advance(50);
    await timers.advance(100);
    const second = timers.now();
    batcher.add(occupied('b'));
    await timers.advance(50);
    assert.deepEqual(batches.map(channels), [['channel_occupied a'], ['channel_occupied b']]);
    assert.equal(batches[1]!.time_ms, second);
  });

  it('applies the URL filter: other events are not batched and open no window', async () => {
    const { timers, batches, batcher } = setup({ events: ['channel_vacated'] });
    batcher.add(occupied('a'));
    assert.equal(timers.size, 0, 'a filtered event opens no batch');
    batcher.add(vacated('a'));
    batcher.add(occupied('b'));
    await timers.advance(50);
    assert.deepEqual(batches.map(channels), [['channel_vacated a']]);
    assert.equal(batcher.wants('channel_vacated'), true);
    assert.equal(batcher.wants('channel_occupied'), false);
  });

  it('sends a full batch at once and starts another', async () => {
    const { timers, batches, batcher } = setup({ maxEvents: 2 });
    batcher.add(occupied('a'));
    batcher.add(occupied('b'));
    assert.equal(batches.length, 1, 'sent without waiting for the window');
    batcher.add(occupied('c'));
    await timers.advance(50);
    assert.deepEqual(batches.map(channels), [
      ['channel_occupied a', 'channel_occupied b'],
      ['channel_occupied c'],
    ]);
    assert.equal(timers.size, 0);
  });

  it('a window of 0 sends every event in a request of its own', () => {
    const { timers, batches, batcher } = setup({ windowMs: 0 });
    batcher.add(occupied('a'));
    batcher.add(occupied('b'));
    assert.deepEqual(batches.map(channels), [['channel_occupied a'], ['channel_occupied b']]);
    assert.equal(timers.size, 0);
  });

  it('flush() closes the open batch now; stop() drops it', async () => {
    const { timers, batches, batcher } = setup({ windowMs: 10_000 });
    batcher.add(occupied('a'));
    batcher.flush();
    assert.deepEqual(batches.map(channels), [['channel_occupied a']]);
    assert.equal(timers.size, 0);
    batcher.flush();
    assert.equal(batches.length, 1, 'nothing open, nothing sent');
    batcher.add(occupied('b'));
    batcher.stop();
    await timers.advance(20_000);
    assert.equal(batches.length, 1);
  });
});
