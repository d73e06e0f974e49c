import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidSocketId, newSocketId } from '../../src/protocol/socket-id.js';

// The regex both SDKs apply before signing (pusher-http-node validateSocketId).
const SDK_SOCKET_ID = /^\d+\.\d+$/;

describe('socket ids', () => {
  test('new ids match ^\\d+\\.\\d+$ and are unique over many draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newSocketId();
      assert.match(id, SDK_SOCKET_ID);
      assert.ok(isValidSocketId(id));
      seen.add(id);
    }
    assert.equal(seen.size, 20_000);
  });

  test('both halves vary (not a counter glued to a constant)', () => {
    const left = new Set<string>();
    const right = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const [a, b] = newSocketId().split('.');
      left.add(a!);
      right.add(b!);
    }
    assert.ok(left.size > 90 && right.size > 90);
  });

  test('isValidSocketId accepts what the SDKs accept and nothing else', () => {
    for (const id of ['1.2', '123456.7890123', '0.0', '1234.1234'])
      assert.ok(isValidSocketId(id), id);
    for (const id of [
      '',
      '1',
      '1.',
      '.1',
      '1.2.3',
      'a.b',
      '-1.2',
      '1.-2',
      ' 1.2',
      '1.2 ',
      '1.2\n',
      '1,2',
      '١.٢',
    ]) {
      assert.equal(isValidSocketId(id), false, JSON.stringify(id));
    }
  });
});
