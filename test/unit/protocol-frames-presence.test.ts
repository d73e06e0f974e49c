/** Server frames of presence, signin, watchlists, cache channels and counts, byte for byte. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cacheMissFrame,
  channelEventFrame,
  connectionEventFrame,
  memberAddedData,
  memberRemovedData,
  presenceData,
  signinSuccessFrame,
  subscriptionCountData,
  subscriptionSucceededFrame,
  watchlistData,
} from '../../src/protocol/frames.js';

describe('presenceData (§2.3)', () => {
  test('the spec example: ids as strings, hash with null for no info, count', () => {
    const data = presenceData([
      { userId: '42', userInfo: '{"name":"Ann"}' },
      { userId: '7', userInfo: undefined },
    ]);
    assert.equal(
      data,
      '{"presence":{"ids":["42","7"],"hash":{"42":{"name":"Ann"},"7":null},"count":2}}',
    );
    assert.deepEqual(JSON.parse(data), {
      presence: { ids: ['42', '7'], hash: { 7: null, 42: { name: 'Ann' } }, count: 2 },
    });
    assert.equal(
      subscriptionSucceededFrame('presence-room', data),
      '{"event":"pusher_internal:subscription_succeeded","channel":"presence-room","data":"{\\"presence\\":{\\"ids\\":[\\"42\\",\\"7\\"],\\"hash\\":{\\"42\\":{\\"name\\":\\"Ann\\"},\\"7\\":null},\\"count\\":2}}"}',
    );
  });

  test('no members', () => {
    assert.equal(presenceData([]), '{"presence":{"ids":[],"hash":{},"count":0}}');
  });

  test('every id is a hash key, in member order; ids that need escaping stay valid JSON', () => {
    const members = [
      { userId: 'a"b', userInfo: '"quoted"' },
      { userId: 'ünï\\code', userInfo: '[1,{"x":null}]' },
      { userId: '3', userInfo: 'null' },
    ];
    const parsed = JSON.parse(presenceData(members)) as {
      presence: { ids: string[]; hash: Record<string, unknown>; count: number };
    };
    assert.deepEqual(parsed.presence.ids, ['a"b', 'ünï\\code', '3']);
    assert.deepEqual(parsed.presence.hash, {
      'a"b': 'quoted',
      'ünï\\code': [1, { x: null }],
      3: null,
    });
    assert.equal(parsed.presence.count, 3);
    for (const id of parsed.presence.ids) assert.ok(Object.hasOwn(parsed.presence.hash, id));
  });
});

describe('member events (§2.6)', () => {
  test('member_added carries user_info only when the member has one', () => {
    assert.equal(
      memberAddedData({ userId: '42', userInfo: '{"name":"Ann"}' }),
      '{"user_id":"42","user_info":{"name":"Ann"}}',
    );
    assert.equal(memberAddedData({ userId: '7', userInfo: undefined }), '{"user_id":"7"}');
    assert.deepEqual(JSON.parse(memberAddedData({ userId: 'a"\\', userInfo: '"x"' })), {
      user_id: 'a"\\',
      user_info: 'x',
    });
  });

  test('member_removed carries the id as a string', () => {
    assert.equal(memberRemovedData('42'), '{"user_id":"42"}');
    assert.equal(memberRemovedData('a"b'), '{"user_id":"a\\"b"}');
  });

  test('the spec frames', () => {
    assert.equal(
      channelEventFrame(
        'pusher_internal:member_added',
        'presence-room',
        memberAddedData({ userId: '42', userInfo: '{"name":"Ann"}' }),
      ),
      '{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\\"user_id\\":\\"42\\",\\"user_info\\":{\\"name\\":\\"Ann\\"}}"}',
    );
    assert.equal(
      channelEventFrame('pusher_internal:member_removed', 'presence-room', memberRemovedData('42')),
      '{"event":"pusher_internal:member_removed","channel":"presence-room","data":"{\\"user_id\\":\\"42\\"}"}',
    );
  });
});

describe('signinSuccessFrame (§2.10)', () => {
  test('the spec example: user_data is a string inside the data string', () => {
    const userData = '{"id":"42","user_info":{"name":"Ann"},"watchlist":["7","9"]}';
    assert.equal(
      signinSuccessFrame(userData),
      '{"event":"pusher:signin_success","data":"{\\"user_data\\":\\"{\\\\\\"id\\\\\\":\\\\\\"42\\\\\\",\\\\\\"user_info\\\\\\":{\\\\\\"name\\\\\\":\\\\\\"Ann\\\\\\"},\\\\\\"watchlist\\\\\\":[\\\\\\"7\\\\\\",\\\\\\"9\\\\\\"]}\\"}"}',
    );
  });

  test('user_data is echoed byte for byte, spacing and escapes included', () => {
    for (const userData of [
      '{"id":"42"}',
      '{ "id" : "42",\n"user_info": {"n":"\\u00e9"} }',
      '{"id":"é 😀","x":"\\/"}',
    ]) {
      const frame = JSON.parse(signinSuccessFrame(userData)) as { event: string; data: unknown };
      assert.equal(frame.event, 'pusher:signin_success');
      assert.equal(typeof frame.data, 'string');
      const data = JSON.parse(frame.data as string) as { user_data: unknown };
      assert.deepEqual(Object.keys(data), ['user_data']);
      assert.equal(data.user_data, userData);
    }
  });
});

describe('watchlistData (§2.11)', () => {
  test('the spec example', () => {
    const data = watchlistData([
      { name: 'online', user_ids: ['7'] },
      { name: 'offline', user_ids: ['9'] },
    ]);
    assert.equal(
      data,
      '{"events":[{"name":"online","user_ids":["7"]},{"name":"offline","user_ids":["9"]}]}',
    );
    assert.equal(
      connectionEventFrame('pusher_internal:watchlist_events', data),
      '{"event":"pusher_internal:watchlist_events","data":"{\\"events\\":[{\\"name\\":\\"online\\",\\"user_ids\\":[\\"7\\"]},{\\"name\\":\\"offline\\",\\"user_ids\\":[\\"9\\"]}]}"}',
    );
  });

  test('empty lists are left out', () => {
    assert.equal(
      watchlistData([
        { name: 'online', user_ids: [] },
        { name: 'offline', user_ids: ['9', '10'] },
      ]),
      '{"events":[{"name":"offline","user_ids":["9","10"]}]}',
    );
    assert.equal(
      watchlistData([
        { name: 'online', user_ids: ['1'] },
        { name: 'offline', user_ids: [] },
      ]),
      '{"events":[{"name":"online","user_ids":["1"]}]}',
    );
  });
});

describe('cache and count frames', () => {
  test('pusher:cache_miss carries the channel and no data (§2.12)', () => {
    assert.equal(
      cacheMissFrame('cache-prices'),
      '{"event":"pusher:cache_miss","channel":"cache-prices"}',
    );
  });

  test('subscription_count data (§2.13)', () => {
    assert.equal(subscriptionCountData(3), '{"subscription_count":3}');
    assert.equal(
      channelEventFrame(
        'pusher_internal:subscription_count',
        'my-channel',
        subscriptionCountData(3),
      ),
      '{"event":"pusher_internal:subscription_count","channel":"my-channel","data":"{\\"subscription_count\\":3}"}',
    );
  });
});
