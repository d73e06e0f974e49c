import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookEvent } from '../../src/webhooks/events.js';
import { VacateDelay } from '../../src/webhooks/vacate-delay.js';
import { ManualTimers, settle } from '../helpers/manual-timers.js';

function setup(delayMs: number) {
  const timers = new ManualTimers();
  const sent: WebhookEvent[] = [];
  const delay = new VacateDelay(delayMs, timers, (event) => sent.push(event));
  return { timers, sent, delay };
}

const names = (events: WebhookEvent[]) =>
  events.map((e) => `${e.name} ${e.channel}${'user_id' in e ? ` ${e.user_id}` : ''}`);

describe('VacateDelay (§6.2)', () => {
  it('sends occupied at once and vacated only after the delay', async () => {
    const { timers, sent, delay } = setup(3000);
    delay.occupied('room');
    assert.deepEqual(names(sent), ['channel_occupied room']);
    delay.vacated('room');
    await timers.advance(2999);
    assert.deepEqual(names(sent), ['channel_occupied room'], 'held for the whole delay');
    await timers.advance(1);
    assert.deepEqual(names(sent), ['channel_occupied room', 'channel_vacated room']);
    assert.equal(delay.size, 0);
  });

  it('re-occupied within the delay: neither vacated nor a second occupied is sent', async () => {
    const { timers, sent, delay } = setup(3000);
    delay.occupied('room');
    delay.vacated('room');
    await timers.advance(2999);
    delay.occupied('room');
    await timers.advance(10_000);
    assert.deepEqual(names(sent), ['channel_occupied room']);
    assert.equal(timers.size, 0, 'the held timer was cancelled');
  });

  it('a later vacate after the pairing is held afresh and then sent', async () => {
    const { timers, sent, delay } = setup(1000);
    delay.occupied('room');
    delay.vacated('room');
    await timers.advance(500);
    delay.occupied('room');
    delay.vacated('room');
    await timers.advance(999);
    assert.deepEqual(names(sent), ['channel_occupied room']);
    await timers.advance(1);
    assert.deepEqual(names(sent), ['channel_occupied room', 'channel_vacated room']);
  });

  it('member removed and re-added within the delay sends nothing; another user is not paired', async () => {
    const { timers, sent, delay } = setup(3000);
    delay.memberAdded('presence-r', 'ann');
    delay.memberRemoved('presence-r', 'ann');
    delay.memberAdded('presence-r', 'bob');
    await timers.advance(100);
    delay.memberAdded('presence-r', 'ann');
    delay.memberRemoved('presence-r', 'bob');
    await timers.advance(3000);
    assert.deepEqual(names(sent), [
      'member_added presence-r ann',
      'member_added presence-r bob',
      'member_removed presence-r bob',
    ]);
  });

  it('channels are paired independently', async () => {
    const { timers, sent, delay } = setup(1000);
    delay.vacated('a');
    delay.vacated('b');
    delay.occupied('a');
    await timers.advance(1000);
    assert.deepEqual(names(sent), ['channel_vacated b']);
  });

  it('a delay of 0 holds nothing: every event passes through in order, no timers', () => {
    const { timers, sent, delay } = setup(0);
    delay.occupied('room');
    delay.memberAdded('room', 'u');
    delay.memberRemoved('room', 'u');
    delay.vacated('room');
    delay.occupied('room');
    assert.deepEqual(names(sent), [
      'channel_occupied room',
      'member_added room u',
      'member_removed room u',
      'channel_vacated room',
      'channel_occupied room',
    ]);
    assert.equal(timers.size, 0);
  });

  it('release() sends every held removal now, oldest first, and cancels their timers', async () => {
    const { timers, sent, delay } = setup(3000);
    delay.memberRemoved('presence-r', 'u');
    delay.vacated('presence-r');
    delay.vacated('other');
    await delay.release();
    assert.deepEqual(names(sent), [
      'member_removed presence-r u',
      'channel_vacated presence-r',
      'channel_vacated other',
    ]);
    assert.equal(timers.size, 0);
    await timers.advance(5000);
    assert.equal(sent.length, 3, 'nothing is sent twice');
  });

  it('stop() forgets held removals without sending them', async () => {
    const { timers, sent, delay } = setup(3000);
    delay.vacated('room');
    delay.stop();
    await timers.advance(5000);
    assert.deepEqual(sent, []);
    assert.equal(timers.size, 0);
  });
});

/** A claim the test answers by hand, one removal at a time, in the order they were asked. */
function handClaims() {
  const asked: Array<{ event: WebhookEvent; answer: (stands: boolean | Error) => void }> = [];
  const claim = (event: WebhookEvent) =>
    new Promise<boolean>((resolve, reject) => {
      asked.push({
        event,
        answer: (stands) => (stands instanceof Error ? reject(stands) : resolve(stands)),
      });
    });
  return { asked, claim };
}

function setupShared(delayMs: number) {
  const timers = new ManualTimers();
  const sent: WebhookEvent[] = [];
  const errors: unknown[] = [];
  const { asked, claim } = handClaims();
  const delay = new VacateDelay(
    delayMs,
    timers,
    (event) => sent.push(event),
    claim,
    (error) => errors.push(error),
  );
  return { timers, sent, errors, asked, delay };
}

describe('VacateDelay with a store that holds vacancies (a cluster)', () => {
  it('an arrival that took back a vacancy held elsewhere is not sent', () => {
    const { sent, delay } = setupShared(3000);
    delay.occupied('room', true);
    delay.memberAdded('presence-r', 'ann', true);
    assert.deepEqual(sent, []);
  });

  it('a removal is sent after its delay only if the store says it still stands', async () => {
    const { timers, sent, asked, delay } = setupShared(1000);
    delay.vacated('kept');
    delay.vacated('taken');
    await timers.advance(1000);
    assert.deepEqual(
      asked.map(({ event }) => event.channel),
      ['kept', 'taken'],
      'the store is asked once the delay is over',
    );
    assert.deepEqual(sent, [], 'nothing is sent before the store answers');
    asked[1]!.answer(false);
    asked[0]!.answer(true);
    await settle();
    assert.deepEqual(names(sent), ['channel_vacated kept']);
  });

  it('events decided while a claim is in flight wait for it, so they leave in order', async () => {
    const { timers, sent, asked, delay } = setupShared(1000);
    delay.vacated('room');
    await timers.advance(1000);
    // The delay ran out, the claim won in the store, then the channel was occupied afresh.
    delay.occupied('room');
    delay.occupied('other');
    assert.deepEqual(sent, []);
    asked[0]!.answer(true);
    await settle();
    assert.deepEqual(names(sent), [
      'channel_vacated room',
      'channel_occupied room',
      'channel_occupied other',
    ]);
    delay.occupied('third');
    assert.deepEqual(names(sent).at(-1), 'channel_occupied third', 'an empty queue sends at once');
  });

  it('a claim that fails sends the removal (twice at worst, never lost) and reports it', async () => {
    const { timers, sent, errors, asked, delay } = setupShared(1000);
    delay.memberRemoved('presence-r', 'ann');
    await timers.advance(1000);
    const failure = new Error('store unreachable');
    asked[0]!.answer(failure);
    await settle();
    assert.deepEqual(names(sent), ['member_removed presence-r ann']);
    assert.deepEqual(errors, [failure]);
  });

  it('release() asks the store too: a removal taken back on another node is not sent', async () => {
    const { timers, sent, asked, delay } = setupShared(60_000);
    delay.vacated('taken');
    delay.memberRemoved('presence-r', 'ann');
    const released = delay.release();
    assert.equal(timers.size, 0);
    asked[0]!.answer(false);
    asked[1]!.answer(true);
    await released;
    assert.deepEqual(names(sent), ['member_removed presence-r ann']);
  });
});
