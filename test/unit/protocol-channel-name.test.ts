import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_CHANNEL_NAME_LENGTH,
  channelType,
  isValidChannelName,
  userOfChannel,
  type ChannelKind,
} from '../../src/protocol/channel-name.js';

interface Expected {
  kind: ChannelKind;
  authorized: boolean;
  cached: boolean;
  clientEvents: boolean;
}

const row = (kind: ChannelKind, cached: boolean, authorized: boolean, clientEvents: boolean) => ({
  kind,
  cached,
  authorized,
  clientEvents,
});

describe('channelType: the prefixes of §3.2, longest first', () => {
  const cases: Array<[string, Expected]> = [
    ['private-encrypted-cache-x', row('encrypted', true, true, false)],
    ['private-encrypted-x', row('encrypted', false, true, false)],
    ['private-cache-x', row('private', true, true, true)],
    ['private-x', row('private', false, true, true)],
    ['presence-cache-x', row('presence', true, true, true)],
    ['presence-x', row('presence', false, true, true)],
    ['cache-x', row('public', true, false, false)],
    ['#server-to-user-42', row('user', false, false, false)],
    ['my-channel', row('public', false, false, false)],
  ];
  for (const [name, expected] of cases) {
    test(name, () => {
      assert.deepEqual({ ...channelType(name) }, expected);
    });
  }

  test('there is no encrypted presence: presence-encrypted-x is presence', () => {
    assert.equal(channelType('presence-encrypted-x').kind, 'presence');
    assert.equal(channelType('presence-encrypted-x').cached, false);
  });

  test('prefixes must be at the start and are case-sensitive', () => {
    assert.equal(channelType('my-private-x').kind, 'public');
    assert.equal(channelType('Private-x').kind, 'public');
    assert.equal(channelType('PRESENCE-x').kind, 'public');
    assert.equal(channelType('x-cache-y').cached, false);
  });

  test('a bare prefix without the dash is not a prefix', () => {
    assert.equal(channelType('private').kind, 'public');
    assert.equal(channelType('presence').kind, 'public');
    assert.equal(channelType('cache').cached, false);
    assert.equal(channelType('private-encrypted').kind, 'private');
    assert.equal(channelType('private-encryptedx').kind, 'private');
  });
});

describe('isValidChannelName', () => {
  test('accepts every allowed character', () => {
    assert.ok(isValidChannelName('AZaz09_-=@,.;'));
    for (const c of 'abcXYZ0189_-=@,.;') assert.ok(isValidChannelName(c), c);
  });

  test('rejects characters outside [A-Za-z0-9_\\-=@,.;]', () => {
    for (const c of [
      ' ',
      ':',
      '/',
      '\\',
      '+',
      '%',
      '&',
      '?',
      '!',
      '*',
      '"',
      "'",
      '\n',
      'é',
      '€',
      '😀',
      '#',
    ]) {
      assert.equal(isValidChannelName(`a${c}b`), false, JSON.stringify(c));
    }
  });

  test('rejects the empty name', () => {
    assert.equal(isValidChannelName(''), false);
  });

  test('164 characters by default, prefixes included', () => {
    assert.equal(DEFAULT_MAX_CHANNEL_NAME_LENGTH, 164);
    assert.ok(isValidChannelName('a'.repeat(164)));
    assert.equal(isValidChannelName('a'.repeat(165)), false);
    assert.ok(isValidChannelName(`private-${'a'.repeat(156)}`));
    assert.equal(isValidChannelName(`private-${'a'.repeat(157)}`), false);
  });

  test('the limit is configurable', () => {
    assert.ok(isValidChannelName('a'.repeat(200), 200));
    assert.equal(isValidChannelName('a'.repeat(201), 200), false);
    assert.ok(isValidChannelName('abc', 3));
    assert.equal(isValidChannelName('abcd', 3), false);
  });

  test('#server-to-user- followed by a user id is the only legal use of #', () => {
    assert.ok(isValidChannelName('#server-to-user-42'));
    assert.ok(isValidChannelName('#server-to-user-a_b-c=d@e,f.g;h'));
    assert.equal(isValidChannelName('#server-to-user-'), false);
    assert.equal(isValidChannelName('#server-to-user-a b'), false);
    assert.equal(isValidChannelName('#server-to-user-a#b'), false);
    assert.equal(isValidChannelName('#server-to-users-1'), false);
    assert.equal(isValidChannelName('#private-x'), false);
    assert.equal(isValidChannelName('#'), false);
    assert.equal(isValidChannelName('a#server-to-user-1'), false);
    assert.equal(isValidChannelName('server-to-user-1'), true);
  });

  test('#server-to-user- names obey the length limit too', () => {
    const prefix = '#server-to-user-';
    assert.ok(isValidChannelName(prefix + 'a'.repeat(164 - prefix.length)));
    assert.equal(isValidChannelName(prefix + 'a'.repeat(165 - prefix.length)), false);
  });
});

describe('userOfChannel', () => {
  test('the id of a user channel, undefined for anything else', () => {
    assert.equal(userOfChannel('#server-to-user-42'), '42');
    assert.equal(userOfChannel('#server-to-user-a.b'), 'a.b');
    assert.equal(userOfChannel('private-42'), undefined);
    assert.equal(userOfChannel('server-to-user-42'), undefined);
  });
});
