import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/protocol/errors.js';
import {
  channelEventFrame,
  connectionEstablishedFrame,
  errorFrame,
  parseClientFrame,
  pingFrame,
  pongFrame,
  subscriptionErrorFrame,
  subscriptionSucceededFrame,
} from '../../src/protocol/frames.js';

function assertProtocolError(text: string, message: RegExp) {
  assert.throws(
    () => parseClientFrame(text),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
      assert.equal(error.code, null);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('parseClientFrame: pusher:* commands', () => {
  test('ping with data as pusher-js sends it', () => {
    assert.deepEqual(parseClientFrame('{"event":"pusher:ping","data":{}}'), { kind: 'ping' });
  });

  test('ping without data, as pusher-websocket-java sends it', () => {
    assert.deepEqual(parseClientFrame('{"event": "pusher:ping"}'), { kind: 'ping' });
  });

  test('ping with data as a JSON string, and with garbage data', () => {
    assert.deepEqual(parseClientFrame('{"event":"pusher:ping","data":"{}"}'), { kind: 'ping' });
    assert.deepEqual(parseClientFrame('{"event":"pusher:ping","data":42}'), { kind: 'ping' });
  });

  test('pong with and without data', () => {
    assert.deepEqual(parseClientFrame('{"event":"pusher:pong","data":{}}'), { kind: 'pong' });
    assert.deepEqual(parseClientFrame('{"event":"pusher:pong"}'), { kind: 'pong' });
  });

  test('public subscribe as pusher-js sends it (auth "")', () => {
    assert.deepEqual(
      parseClientFrame('{"event":"pusher:subscribe","data":{"auth":"","channel":"my-channel"}}'),
      { kind: 'subscribe', channel: 'my-channel', auth: '', channelData: undefined },
    );
  });

  test('private subscribe with data as an object and as a JSON string', () => {
    const expected = {
      kind: 'subscribe',
      channel: 'private-orders',
      auth: 'app-key:abc',
      channelData: undefined,
    };
    assert.deepEqual(
      parseClientFrame(
        '{"event":"pusher:subscribe","data":{"auth":"app-key:abc","channel":"private-orders"}}',
      ),
      expected,
    );
    assert.deepEqual(
      parseClientFrame(
        '{"event":"pusher:subscribe","data":"{\\"auth\\":\\"app-key:abc\\",\\"channel\\":\\"private-orders\\"}"}',
      ),
      expected,
    );
  });

  test('presence subscribe keeps channel_data as the exact string sent', () => {
    const channelData = '{"user_id": 10,  "user_info":{"name":"Ann"}}';
    const text = JSON.stringify({
      event: 'pusher:subscribe',
      data: { auth: 'app-key:abc', channel_data: channelData, channel: 'presence-room' },
    });
    assert.deepEqual(parseClientFrame(text), {
      kind: 'subscribe',
      channel: 'presence-room',
      auth: 'app-key:abc',
      channelData,
    });
  });

  test('subscribe without auth leaves auth undefined; non-string auth is ignored', () => {
    const frame = parseClientFrame('{"event":"pusher:subscribe","data":{"channel":"a","auth":7}}');
    assert.deepEqual(frame, {
      kind: 'subscribe',
      channel: 'a',
      auth: undefined,
      channelData: undefined,
    });
  });

  test('subscribe without a channel is a ProtocolError naming the missing parameter', () => {
    for (const text of [
      '{"event":"pusher:subscribe","data":{"auth":""}}',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":"not json"}',
      '{"event":"pusher:subscribe","data":"[1]"}',
      '{"event":"pusher:subscribe","data":{"channel":5}}',
      '{"event":"pusher:subscribe","data":[{"channel":"a"}]}',
    ]) {
      assertProtocolError(text, /^Missing parameter: data\.channel$/);
    }
  });

  test('unsubscribe with data as an object and as a JSON string', () => {
    const expected = { kind: 'unsubscribe', channel: 'my-channel' };
    assert.deepEqual(
      parseClientFrame('{"event":"pusher:unsubscribe","data":{"channel":"my-channel"}}'),
      expected,
    );
    assert.deepEqual(
      parseClientFrame('{"event":"pusher:unsubscribe","data":"{\\"channel\\":\\"my-channel\\"}"}'),
      expected,
    );
    assertProtocolError('{"event":"pusher:unsubscribe","data":{}}', /data\.channel/);
  });

  test('signin keeps user_data as the exact string sent', () => {
    const userData = '{"id":"42","user_info":{"name":"Ann"},"watchlist":["7","9"]}';
    const text = JSON.stringify({
      event: 'pusher:signin',
      data: { auth: 'app-key:abc', user_data: userData },
    });
    assert.deepEqual(parseClientFrame(text), { kind: 'signin', auth: 'app-key:abc', userData });
    assert.deepEqual(parseClientFrame('{"event":"pusher:signin","data":{}}'), {
      kind: 'signin',
      auth: undefined,
      userData: undefined,
    });
  });

  test('unknown pusher:* events and names outside both namespaces are ignored, not errors', () => {
    assert.deepEqual(parseClientFrame('{"event":"pusher:whatever","data":{}}'), {
      kind: 'ignored',
      event: 'pusher:whatever',
    });
    assert.deepEqual(parseClientFrame('{"event":"pusher_internal:member_added","data":"{}"}'), {
      kind: 'ignored',
      event: 'pusher_internal:member_added',
    });
    assert.deepEqual(parseClientFrame('{"event":"my-event","channel":"a","data":"x"}'), {
      kind: 'ignored',
      event: 'my-event',
    });
  });
});

describe('parseClientFrame: client events', () => {
  test('object data (pusher-js) is relayed as its JSON string', () => {
    assert.deepEqual(
      parseClientFrame(
        '{"event":"client-typing","channel":"presence-room","data":{"typing":true}}',
      ),
      {
        kind: 'client-event',
        event: 'client-typing',
        channel: 'presence-room',
        data: '{"typing":true}',
      },
    );
  });

  test('string data (pusher-websocket-java) is relayed exactly as sent', () => {
    const data = '{"typing": true,  "x":"\\u00e9"}';
    const text = JSON.stringify({ event: 'client-typing', channel: 'private-chat', data });
    const frame = parseClientFrame(text);
    assert.equal(frame.kind, 'client-event');
    assert.equal(frame.kind === 'client-event' && frame.data, data);
  });

  test('a plain (non-JSON) string is relayed unchanged', () => {
    const frame = parseClientFrame('{"event":"client-x","channel":"private-a","data":"hello"}');
    assert.equal(frame.kind === 'client-event' && frame.data, 'hello');
  });

  test('numbers, arrays and null are stringified', () => {
    const data = (raw: string) => {
      const frame = parseClientFrame(`{"event":"client-x","channel":"private-a","data":${raw}}`);
      return frame.kind === 'client-event' ? frame.data : undefined;
    };
    assert.equal(data('123'), '123');
    assert.equal(data('[1,"a"]'), '[1,"a"]');
    assert.equal(data('null'), 'null');
  });

  test('missing data becomes "null"; missing channel stays undefined for the core to reject', () => {
    assert.deepEqual(parseClientFrame('{"event":"client-x"}'), {
      kind: 'client-event',
      event: 'client-x',
      channel: undefined,
      data: 'null',
    });
  });
});

describe('parseClientFrame: malformed input', () => {
  test('invalid JSON', () => {
    for (const text of ['', '{', 'not json', '{"event":"pusher:ping"', '\u0000']) {
      assertProtocolError(text, /^Invalid JSON/);
    }
  });

  test('JSON that is not an object with a string event', () => {
    for (const text of [
      'null',
      '42',
      '"pusher:ping"',
      '[]',
      '[{"event":"pusher:ping"}]',
      '{}',
      '{"data":{}}',
      '{"event":null}',
      '{"event":7}',
      '{"event":["pusher:ping"]}',
    ]) {
      assertProtocolError(text, /^Invalid frame/);
    }
  });
});

describe('server frames, byte for byte', () => {
  test('connection_established: data is a string with socket_id and activity_timeout', () => {
    const text = connectionEstablishedFrame('123456.7890123', 120);
    assert.equal(
      text,
      '{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"123456.7890123\\",\\"activity_timeout\\":120}"}',
    );
    const frame = JSON.parse(text) as { data: unknown };
    assert.equal(typeof frame.data, 'string');
    assert.deepEqual(JSON.parse(frame.data as string), {
      socket_id: '123456.7890123',
      activity_timeout: 120,
    });
  });

  test('ping and pong carry the string "{}"', () => {
    assert.equal(pingFrame, '{"event":"pusher:ping","data":"{}"}');
    assert.equal(pongFrame, '{"event":"pusher:pong","data":"{}"}');
  });

  test('pusher:error data is an object with a numeric or null code', () => {
    assert.equal(
      errorFrame(4301, 'Client event rejected due to rate limit'),
      '{"event":"pusher:error","data":{"code":4301,"message":"Client event rejected due to rate limit"}}',
    );
    assert.equal(
      errorFrame(null, 'Existing subscription to channel my-channel'),
      '{"event":"pusher:error","data":{"code":null,"message":"Existing subscription to channel my-channel"}}',
    );
  });

  test('pusher:error may carry a channel', () => {
    assert.equal(
      errorFrame(null, 'nope', 'private-chat'),
      '{"event":"pusher:error","channel":"private-chat","data":{"code":null,"message":"nope"}}',
    );
  });

  test('subscription_succeeded data is the string "{}" by default', () => {
    assert.equal(
      subscriptionSucceededFrame('my-channel'),
      '{"event":"pusher_internal:subscription_succeeded","channel":"my-channel","data":"{}"}',
    );
  });

  test('subscription_error data is a string holding type, error and status', () => {
    const text = subscriptionErrorFrame('private-orders', {
      type: 'AuthError',
      error:
        'Invalid signature: Expected HMAC SHA256 hex digest of 123.456:private-orders, but got 9f2c0e',
      status: 401,
    });
    assert.equal(
      text,
      '{"event":"pusher:subscription_error","channel":"private-orders","data":"{\\"type\\":\\"AuthError\\",\\"error\\":\\"Invalid signature: Expected HMAC SHA256 hex digest of 123.456:private-orders, but got 9f2c0e\\",\\"status\\":401}"}',
    );
  });

  test('channel events relay data verbatim; user_id only when given', () => {
    assert.equal(
      channelEventFrame('order-shipped', 'private-orders', '{"id":7}'),
      '{"event":"order-shipped","channel":"private-orders","data":"{\\"id\\":7}"}',
    );
    assert.equal(
      channelEventFrame('client-typing', 'presence-room', '{"typing":true}', '42'),
      '{"event":"client-typing","channel":"presence-room","data":"{\\"typing\\":true}","user_id":"42"}',
    );
    // Data that is not JSON (Python's plain strings) and odd spacing survive untouched.
    const data = '{"a": 1,  "b":"\\/x"}';
    const parsed = JSON.parse(channelEventFrame('e', 'c', data)) as { data: string };
    assert.equal(parsed.data, data);
    assert.equal(
      (JSON.parse(channelEventFrame('e', 'c', 'hello')) as { data: string }).data,
      'hello',
    );
  });
});
