import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cacheMiss,
  channelOccupied,
  channelVacated,
  clientEvent,
  hasWebhooks,
  memberAdded,
  memberRemoved,
  serializeBody,
  subscriptionCount,
} from '../../src/webhooks/events.js';

/** The JSON text of an event, so field order and absent keys are part of the assertion. */
const text = (value: unknown) => JSON.stringify(value);

describe('webhook event objects (§6.3)', () => {
  it('channel_occupied and channel_vacated carry the channel', () => {
    assert.equal(
      text(channelOccupied({ appId: '1', channel: 'my-channel', resumed: false })),
      '{"name":"channel_occupied","channel":"my-channel"}',
    );
    assert.equal(
      text(channelVacated({ appId: '1', channel: 'my-channel' })),
      '{"name":"channel_vacated","channel":"my-channel"}',
    );
  });

  it('member_added and member_removed carry user_id as a string', () => {
    assert.equal(
      text(memberAdded({ appId: '1', channel: 'presence-room', userId: '42', resumed: false })),
      '{"name":"member_added","channel":"presence-room","user_id":"42"}',
    );
    assert.equal(
      text(memberRemoved({ appId: '1', channel: 'presence-room', userId: '42' })),
      '{"name":"member_removed","channel":"presence-room","user_id":"42"}',
    );
  });

  it('client_event on a presence channel: the §6.3 example exactly', () => {
    const event = clientEvent({
      appId: '1',
      socketId: '123.456',
      channel: 'presence-room',
      event: 'client-typing',
      data: '{"typing":true}',
      userId: '42',
    });
    assert.equal(
      text(event),
      '{"name":"client_event","channel":"presence-room","event":"client-typing",' +
        '"data":"{\\"typing\\":true}","socket_id":"123.456","user_id":"42"}',
    );
  });

  it('client_event on a private channel has no user_id key at all', () => {
    const event = clientEvent({
      appId: '1',
      socketId: '1.2',
      channel: 'private-chat',
      event: 'client-x',
      data: 'plain',
      userId: undefined,
    });
    assert.equal(Object.hasOwn(event, 'user_id'), false);
    assert.equal(
      text(event),
      '{"name":"client_event","channel":"private-chat","event":"client-x","data":"plain","socket_id":"1.2"}',
    );
  });

  it('cache_miss carries the channel; subscription_count an integer count', () => {
    assert.equal(
      text(cacheMiss({ appId: '1', channel: 'cache-prices', socketId: '1.2' })),
      '{"name":"cache_miss","channel":"cache-prices"}',
    );
    assert.equal(
      text(subscriptionCount({ appId: '1', channel: 'my-channel', count: 3 })),
      '{"name":"subscription_count","channel":"my-channel","subscription_count":3}',
    );
  });

  it('no webhooks for #server-to-user- channels, all others have them', () => {
    assert.equal(hasWebhooks('#server-to-user-42'), false);
    for (const channel of ['a', 'private-a', 'presence-a', 'cache-a', 'private-encrypted-a']) {
      assert.equal(hasWebhooks(channel), true, channel);
    }
  });

  it('serializes the body as {time_ms, events}, compact, in UTF-8', () => {
    const body = serializeBody({
      time_ms: 1327078148132,
      events: [{ name: 'channel_occupied', channel: 'test_channel' }],
    });
    assert.equal(
      body.toString('utf8'),
      '{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}',
    );
    const accented = serializeBody({ time_ms: 1, events: [{ name: 'cache_miss', channel: 'é' }] });
    const expected = '{"time_ms":1,"events":[{"name":"cache_miss","channel":"é"}]}';
    assert.equal(accented.toString('utf8'), expected);
    assert.equal(accented.length, expected.length + 1, 'é is two bytes in UTF-8');
  });
});
