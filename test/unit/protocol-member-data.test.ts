import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, SubscriptionError } from '../../src/protocol/errors.js';
import { parseChannelData, parseUserData } from '../../src/protocol/member-data.js';

/** Pusher's limits, the config defaults. */
const limits = { maxUserIdLength: 128, maxUserInfoBytes: 1024 };

function assertSubscriptionError(
  run: () => unknown,
  expected: { type: string; status: number; message: string },
) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SubscriptionError, `not a SubscriptionError: ${String(error)}`);
    assert.deepEqual({ type: error.type, status: error.status, message: error.message }, expected);
    return true;
  });
}

const invalid = { type: 'AuthError', status: 400, message: 'Invalid channel_data' };
const tooLarge = { type: 'LimitReached', status: 413, message: 'Member data too large' };

/** A JSON string value whose serialized form (quotes included) is exactly `bytes` UTF-8 bytes. */
const stringOfBytes = (bytes: number, unit = 'a') =>
  unit.repeat((bytes - 2) / Buffer.byteLength(unit, 'utf8'));

describe('parseChannelData', () => {
  test('a string user_id is kept as is; user_info becomes compact JSON text', () => {
    assert.deepEqual(
      parseChannelData('{"user_id":"42","user_info":{"name": "Ann", "tags":[1, 2]}}', limits),
      { userId: '42', userInfo: '{"name":"Ann","tags":[1,2]}' },
    );
  });

  test('a numeric user_id becomes its string: 10 and "10" are the same user', () => {
    const fromNumber = parseChannelData('{"user_id":10}', limits);
    const fromString = parseChannelData('{"user_id":"10"}', limits);
    assert.equal(fromNumber.userId, '10');
    assert.deepEqual(fromNumber, fromString);
    // The docs' own example (§4.6).
    assert.deepEqual(
      parseChannelData('{"user_id":10,"user_info":{"name":"Mr. Channels"}}', limits),
      { userId: '10', userInfo: '{"name":"Mr. Channels"}' },
    );
    assert.equal(parseChannelData('{"user_id":0}', limits).userId, '0');
    assert.equal(parseChannelData('{"user_id":-3}', limits).userId, '-3');
    assert.equal(parseChannelData('{"user_id":10.0}', limits).userId, '10');
  });

  test('absent user_info is undefined; any other JSON value is kept as text', () => {
    assert.equal(parseChannelData('{"user_id":"1"}', limits).userInfo, undefined);
    assert.equal(parseChannelData('{"user_id":"1","user_info":"Ann"}', limits).userInfo, '"Ann"');
    assert.equal(parseChannelData('{"user_id":"1","user_info":[1]}', limits).userInfo, '[1]');
    assert.equal(parseChannelData('{"user_id":"1","user_info":7}', limits).userInfo, '7');
    assert.equal(parseChannelData('{"user_id":"1","user_info":{}}', limits).userInfo, '{}');
  });

  test('non-ASCII info survives as JSON text that parses back to the same value', () => {
    const { userInfo } = parseChannelData(
      '{"user_id":"1","user_info":{"name":"Zoë \\u00e9 😀","q":"\\"x\\""}}',
      limits,
    );
    assert.deepEqual(JSON.parse(userInfo!), { name: 'Zoë é 😀', q: '"x"' });
  });

  test('other fields of channel_data are ignored', () => {
    assert.deepEqual(parseChannelData('{"user_id":"1","extra":{"a":1}}', limits), {
      userId: '1',
      userInfo: undefined,
    });
  });

  for (const text of [
    '',
    ' ',
    'not json',
    '{"user_id":"1"',
    'null',
    '42',
    '"{\\"user_id\\":\\"1\\"}"',
    '[]',
    '[{"user_id":"1"}]',
    '{}',
    '{"user_info":{"name":"Ann"}}',
    '{"user_id":""}',
    '{"user_id":null}',
    '{"user_id":true}',
    '{"user_id":{}}',
    '{"user_id":["1"]}',
    // JSON.parse turns 1e999 into Infinity, which has no string form as a user id.
    '{"user_id":1e999}',
  ]) {
    test(`${JSON.stringify(text)} → AuthError 400 Invalid channel_data`, () => {
      assertSubscriptionError(() => parseChannelData(text, limits), invalid);
    });
  }

  test('user_id up to maxUserIdLength characters; one more → LimitReached 413', () => {
    const id = 'u'.repeat(128);
    assert.equal(parseChannelData(JSON.stringify({ user_id: id }), limits).userId, id);
    assertSubscriptionError(
      () => parseChannelData(JSON.stringify({ user_id: `${id}u` }), limits),
      tooLarge,
    );
  });

  test('a numeric user_id is measured as its string', () => {
    const short = { maxUserIdLength: 3, maxUserInfoBytes: 1024 };
    assert.equal(parseChannelData('{"user_id":999}', short).userId, '999');
    assertSubscriptionError(() => parseChannelData('{"user_id":1000}', short), tooLarge);
  });

  test('user_info up to 1 KB serialized; one byte more → LimitReached 413', () => {
    const fits = stringOfBytes(1024);
    assert.equal(Buffer.byteLength(JSON.stringify(fits)), 1024);
    assert.equal(
      parseChannelData(JSON.stringify({ user_id: '1', user_info: fits }), limits).userInfo,
      JSON.stringify(fits),
    );
    assertSubscriptionError(
      () => parseChannelData(JSON.stringify({ user_id: '1', user_info: `${fits}a` }), limits),
      tooLarge,
    );
  });

  test('the user_info limit counts UTF-8 bytes, not characters', () => {
    // 511 two-byte characters plus the quotes: 1024 bytes, 513 characters.
    const fits = stringOfBytes(1024, 'é');
    assert.equal(fits.length, 511);
    parseChannelData(JSON.stringify({ user_id: '1', user_info: fits }), limits);
    assertSubscriptionError(
      () => parseChannelData(JSON.stringify({ user_id: '1', user_info: `${fits}é` }), limits),
      tooLarge,
    );
  });

  test('the limits come from the caller (the app)', () => {
    const small = { maxUserIdLength: 128, maxUserInfoBytes: 10 };
    parseChannelData('{"user_id":"1","user_info":"12345678"}', small);
    assertSubscriptionError(
      () => parseChannelData('{"user_id":"1","user_info":"123456789"}', small),
      tooLarge,
    );
  });
});

function assertProtocolError(run: () => unknown, message: string | RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${String(error)}`);
    assert.equal(error.code, null);
    assert.equal(error.channel, undefined);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('parseUserData', () => {
  test('id, user_info as compact JSON text and the watchlist as sent', () => {
    assert.deepEqual(
      parseUserData('{"id":"42","user_info":{"name": "Ann"},"watchlist":["7","9","7"]}', limits),
      { id: '42', userInfo: '{"name":"Ann"}', watchlist: ['7', '9', '7'] },
    );
  });

  test('only id is required: no info, empty watchlist', () => {
    assert.deepEqual(parseUserData('{"id":"12345"}', limits), {
      id: '12345',
      userInfo: undefined,
      watchlist: [],
    });
    assert.deepEqual(parseUserData('{"id":"1","watchlist":[]}', limits).watchlist, []);
  });

  test('id must be a non-empty string: a number is refused (pusher-js would drop it)', () => {
    for (const text of [
      '{"id":42}',
      '{"id":""}',
      '{"id":null}',
      '{"id":["42"]}',
      '{"user_id":"42"}',
    ]) {
      assertProtocolError(
        () => parseUserData(text, limits),
        'Invalid user_data: id must be a non-empty string',
      );
    }
  });

  test('user_data that is not a JSON object', () => {
    for (const text of ['', 'nope', 'null', '"x"', '[]', '42', '{"id":"1"']) {
      assertProtocolError(
        () => parseUserData(text, limits),
        'Invalid user_data: a JSON object is required',
      );
    }
  });

  test('watchlist must be an array of strings', () => {
    for (const watchlist of ['"7"', '{"7":true}', '[7]', '["7",9]', '[null]', '[["7"]]', 'null']) {
      assertProtocolError(
        () => parseUserData(`{"id":"1","watchlist":${watchlist}}`, limits),
        'Invalid user_data: watchlist must be an array of user id strings',
      );
    }
  });

  test('id longer than maxUserIdLength is refused', () => {
    const id = 'u'.repeat(128);
    assert.equal(parseUserData(JSON.stringify({ id }), limits).id, id);
    assertProtocolError(
      () => parseUserData(JSON.stringify({ id: `${id}u` }), limits),
      'Invalid user_data: id longer than 128 characters',
    );
  });

  test('user_info over maxUserInfoBytes is refused with a ProtocolError', () => {
    const fits = stringOfBytes(1024, 'é');
    assert.equal(
      parseUserData(JSON.stringify({ id: '1', user_info: fits }), limits).userInfo,
      JSON.stringify(fits),
    );
    assertProtocolError(
      () => parseUserData(JSON.stringify({ id: '1', user_info: `${fits}é` }), limits),
      'Invalid user_data: user_info too large',
    );
  });
});
