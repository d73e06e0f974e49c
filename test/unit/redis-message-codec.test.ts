/** How a channel message travels on a Redis topic: header line, then the data untouched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../src/scaling/redis/message-codec.js';

test('every field survives, the data byte for byte, newlines included', () => {
  const message = {
    event: 'ev\nent "x"',
    data: '{"a":1}\n\nsecond line \u2028 😀',
    exceptSocketId: '1.2',
    userId: 'user\n42',
  };
  const payload = encodeMessage('node-1', message);
  assert.ok(payload.endsWith(`\n${message.data}`), 'the data follows the header unescaped');
  assert.deepEqual(decodeMessage(payload), { origin: 'node-1', message });
});

test('absent optional fields stay absent (not undefined-valued keys)', () => {
  const decoded = decodeMessage(encodeMessage('n', { event: 'e', data: '' }));
  assert.deepEqual(decoded, { origin: 'n', message: { event: 'e', data: '' } });
  assert.deepEqual(Object.keys(decoded!.message), ['event', 'data']);
});

test('payloads that are not herald’s are refused', () => {
  for (const payload of [
    '',
    'no newline',
    'not json\ndata',
    '{"a":1}\ndata',
    '["n","e",null]\ndata',
    '["n",1,null,null]\ndata',
    '["n","e",5,null]\ndata',
  ]) {
    assert.equal(decodeMessage(payload), undefined, payload);
  }
});
