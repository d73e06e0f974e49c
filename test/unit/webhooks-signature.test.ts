import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { webhookSignature } from '../../src/protocol/webhook-signature.js';

describe('webhookSignature (§6.1)', () => {
  it('matches the test vector of PROTOCOL.md §6.1', () => {
    const body =
      '{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}';
    assert.equal(
      webhookSignature('7ad3773142a6692b25b8', body),
      '709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa',
    );
  });

  it('signs the UTF-8 bytes: a string and its Buffer give the same signature', () => {
    const body = '{"time_ms":1,"events":[{"name":"client_event","data":"café ☕"}]}';
    const expected = createHmac('sha256', 's3cret').update(Buffer.from(body, 'utf8')).digest('hex');
    assert.equal(webhookSignature('s3cret', body), expected);
    assert.equal(webhookSignature('s3cret', Buffer.from(body, 'utf8')), expected);
  });

  it('changes with any byte of the body, so a re-serialized body does not verify', () => {
    const compact = '{"time_ms":1,"events":[]}';
    const spaced = '{"time_ms": 1, "events": []}';
    assert.notEqual(webhookSignature('s', compact), webhookSignature('s', spaced));
  });
});
