import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, type LifecycleName } from '../../src/core/lifecycle.js';

const event = { appId: 'a', channel: 'c', resumed: false };

describe('Lifecycle', () => {
  test('listeners run synchronously, in subscription order', () => {
    const lifecycle = new Lifecycle(() => assert.fail('no listener throws'));
    const calls: string[] = [];
    lifecycle.on('channel_occupied', (e) => calls.push(`1:${e.channel}`));
    lifecycle.on('channel_occupied', (e) => calls.push(`2:${e.channel}`));
    lifecycle.on('channel_vacated', () => calls.push('other'));
    lifecycle.emit('channel_occupied', event);
    assert.deepEqual(calls, ['1:c', '2:c']);
  });

  test('has() tells whether anyone listens; the returned function unsubscribes', () => {
    const lifecycle = new Lifecycle(() => {});
    assert.equal(lifecycle.has('api_message'), false);
    const calls: unknown[] = [];
    const off = lifecycle.on('api_message', (e) => calls.push(e));
    assert.equal(lifecycle.has('api_message'), true);
    off();
    off();
    assert.equal(lifecycle.has('api_message'), false);
    lifecycle.emit('api_message', {
      appId: 'a',
      channel: 'c',
      event: 'e',
      data: 'd',
      socketId: undefined,
    });
    assert.deepEqual(calls, []);
  });

  test('unsubscribing one listener keeps the others', () => {
    const lifecycle = new Lifecycle(() => {});
    const calls: number[] = [];
    lifecycle.on('channel_vacated', () => calls.push(1));
    const off = lifecycle.on('channel_vacated', () => calls.push(2));
    lifecycle.on('channel_vacated', () => calls.push(3));
    off();
    lifecycle.emit('channel_vacated', event);
    assert.deepEqual(calls, [1, 3]);
  });

  test('a throwing listener is isolated and reported with the event name', () => {
    const reported: Array<[unknown, LifecycleName]> = [];
    const lifecycle = new Lifecycle((error, name) => reported.push([error, name]));
    const boom = new Error('boom');
    const calls: number[] = [];
    lifecycle.on('channel_occupied', () => {
      throw boom;
    });
    lifecycle.on('channel_occupied', () => calls.push(2));
    assert.doesNotThrow(() => lifecycle.emit('channel_occupied', event));
    assert.deepEqual(calls, [2]);
    assert.deepEqual(reported, [[boom, 'channel_occupied']]);
  });

  test('emitting an event nobody listens to is a no-op', () => {
    const lifecycle = new Lifecycle(() => assert.fail('nothing to report'));
    lifecycle.emit('connection_opened', { appId: 'a', socketId: '1.2' });
    assert.equal(lifecycle.has('connection_opened'), false);
  });
});
