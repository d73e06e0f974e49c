import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelStringToSign,
  signToken,
  userStringToSign,
  verifyToken,
} from '../../src/protocol/auth-signature.js';
import { SubscriptionError } from '../../src/protocol/errors.js';
import { hmacSha256Hex, signaturesMatch } from '../../src/protocol/hmac.js';

// PROTOCOL.md §4.6: the credentials of the Pusher docs.
const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const socketId = '1234.1234';

const vectors = {
  private: {
    toSign: '1234.1234:private-foobar',
    signature: '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4',
  },
  presence: {
    channelData: '{"user_id":10,"user_info":{"name":"Mr. Channels"}}',
    toSign: '1234.1234:presence-foobar:{"user_id":10,"user_info":{"name":"Mr. Channels"}}',
    signature: '31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80',
  },
  user: {
    userData: '{"id":"12345"}',
    toSign: '1234.1234::user::{"id":"12345"}',
    signature: '4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba',
  },
};

function assertAuthError(fn: () => void, status: number, message: string) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof SubscriptionError,
      `expected SubscriptionError, got ${String(error)}`,
    );
    assert.equal(error.type, 'AuthError');
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  });
}

describe('strings to sign and test vectors (§4.6)', () => {
  test('private', () => {
    const toSign = channelStringToSign(socketId, 'private-foobar');
    assert.equal(toSign, vectors.private.toSign);
    assert.equal(hmacSha256Hex(app.secret, toSign), vectors.private.signature);
    assert.equal(signToken(app, toSign), `${app.key}:${vectors.private.signature}`);
  });

  test('presence with channel_data', () => {
    const toSign = channelStringToSign(socketId, 'presence-foobar', vectors.presence.channelData);
    assert.equal(toSign, vectors.presence.toSign);
    assert.equal(hmacSha256Hex(app.secret, toSign), vectors.presence.signature);
  });

  test('user authentication', () => {
    const toSign = userStringToSign(socketId, vectors.user.userData);
    assert.equal(toSign, vectors.user.toSign);
    assert.equal(hmacSha256Hex(app.secret, toSign), vectors.user.signature);
  });

  test('the docs’ presence example value is for "Mr. Pusher", not the JSON shown', () => {
    const docs = 'afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c';
    assert.notEqual(hmacSha256Hex(app.secret, vectors.presence.toSign), docs);
    assert.equal(
      hmacSha256Hex(
        app.secret,
        '1234.1234:presence-foobar:{"user_id":10,"user_info":{"name":"Mr. Pusher"}}',
      ),
      docs,
    );
  });

  test('an empty channel_data is still part of the string', () => {
    assert.equal(channelStringToSign('1.2', 'private-a', ''), '1.2:private-a:');
  });
});

describe('verifyToken', () => {
  const privateToken = `${app.key}:${vectors.private.signature}`;

  test('accepts the private vector', () => {
    verifyToken(app, privateToken, 'private-foobar', [vectors.private.toSign]);
  });

  test('accepts the presence and user vectors', () => {
    verifyToken(app, `${app.key}:${vectors.presence.signature}`, 'presence-foobar', [
      vectors.presence.toSign,
    ]);
    verifyToken(app, `${app.key}:${vectors.user.signature}`, '1234.1234', [vectors.user.toSign]);
  });

  test('accepts a match on any candidate, not only the first', () => {
    const withData = channelStringToSign(socketId, 'private-foobar', '{"user_id":"1"}');
    verifyToken(app, signToken(app, withData), 'private-foobar', [
      vectors.private.toSign,
      withData,
    ]);
    verifyToken(app, privateToken, 'private-foobar', [vectors.private.toSign, withData]);
  });

  test('missing auth', () => {
    const expected =
      'Auth info required to subscribe to private-foobar. Failed part: auth (missing): send ' +
      'the "auth" your auth endpoint returns, "<app key>:<signature>".';
    assertAuthError(() => verifyToken(app, undefined, 'private-foobar', ['x']), 401, expected);
    assertAuthError(() => verifyToken(app, '', 'private-foobar', ['x']), 401, expected);
  });

  test('bad format: no colon, or nothing before it', () => {
    const expected = (why: string) =>
      'Invalid format: auth must have the format key:signature. Failed part: auth ' +
      `(malformed): ${why}; it must be "<app key>:<signature>".`;
    for (const auth of ['no-colon-here', vectors.private.signature]) {
      assertAuthError(
        () => verifyToken(app, auth, 'private-foobar', ['x']),
        401,
        expected('it has no ":"'),
      );
    }
    for (const auth of [':abc', ':']) {
      assertAuthError(
        () => verifyToken(app, auth, 'private-foobar', ['x']),
        401,
        expected('nothing comes before its ":"'),
      );
    }
  });

  test('wrong key names the key sent and the key the connection uses', () => {
    const expected = (key: string) =>
      `Invalid key in subscription auth data: '${key}'. Failed part: key (before ":"): it is ` +
      `not the key of the app this connection uses ('${app.key}'), so it names no app or ` +
      'another app; sign with the key and secret of that app.';
    assertAuthError(
      () => verifyToken(app, `wrong-key:${vectors.private.signature}`, 'private-foobar', ['x']),
      401,
      expected('wrong-key'),
    );
    // A key that is a prefix of the real one is still wrong.
    assertAuthError(
      () => verifyToken(app, `${app.key.slice(0, -1)}:abc`, 'private-foobar', ['x']),
      401,
      expected(app.key.slice(0, -1)),
    );
  });

  test('wrong signature: the message quotes every string signed and the signature sent', () => {
    const forOtherSocket = hmacSha256Hex(app.secret, '1234.1235:private-foobar');
    assertAuthError(
      () =>
        verifyToken(app, `${app.key}:${forOtherSocket}`, 'private-foobar', [
          vectors.private.toSign,
          `${vectors.private.toSign}:{}`,
        ]),
      401,
      `Invalid signature: Expected HMAC SHA256 hex digest of 1234.1234:private-foobar, but got ${forOtherSocket}. ` +
        `Failed part: signature (after ":"): it is not the HMAC-SHA256, with this app's secret, of ` +
        `the string to sign "1234.1234:private-foobar" (socket_id:channel) or ` +
        `"1234.1234:private-foobar:{}" (socket_id:channel:channel_data); the auth endpoint must ` +
        `sign exactly that, with this connection's socket_id 1234.1234 and the secret of the app ` +
        `whose key is '${app.key}'.`,
    );
  });

  test('a refused signature names the shape of each string to sign (§4.1)', () => {
    const refusal = (subject: string, candidate: string) => {
      try {
        verifyToken(app, `${app.key}:${'0'.repeat(64)}`, subject, [candidate]);
      } catch (error) {
        return (error as Error).message;
      }
      assert.fail('expected a refusal');
    };
    const presence = refusal('presence-foobar', vectors.presence.toSign);
    assert.ok(
      presence.includes(
        `${JSON.stringify(vectors.presence.toSign)} (socket_id:channel:channel_data)`,
      ),
      presence,
    );
    const user = refusal('signin', vectors.user.toSign);
    assert.ok(
      user.includes(`${JSON.stringify(vectors.user.toSign)} (socket_id::user::user_data)`),
      user,
    );
  });

  test('no refusal contains the secret or the signature the server expected', () => {
    const expected = vectors.private.signature;
    const tokens = [
      undefined,
      'no-colon',
      `wrong-key:${expected.slice(0, 10)}`,
      `${app.key}:${'0'.repeat(64)}`,
      signToken({ key: app.key, secret: 'other-secret' }, vectors.private.toSign),
    ];
    for (const auth of tokens) {
      assert.throws(
        () => verifyToken(app, auth, 'private-foobar', [vectors.private.toSign]),
        (error: unknown) => {
          const { message } = error as Error;
          assert.equal(message.includes(app.secret), false, message);
          assert.equal(message.includes(expected), false, message);
          return true;
        },
      );
    }
  });

  test('signature checks are exact: upper-case hex, truncated or extended hex are refused', () => {
    for (const signature of [
      vectors.private.signature.toUpperCase(),
      vectors.private.signature.slice(0, -1),
      `${vectors.private.signature}0`,
      '',
    ]) {
      assert.throws(
        () =>
          verifyToken(app, `${app.key}:${signature}`, 'private-foobar', [vectors.private.toSign]),
        SubscriptionError,
      );
    }
  });

  test('the split is at the first colon, so a signature cannot smuggle another key', () => {
    assert.throws(
      () =>
        verifyToken(app, `${app.key}:${app.key}:${vectors.private.signature}`, 'private-foobar', [
          vectors.private.toSign,
        ]),
      /Invalid signature/,
    );
  });

  test('a token signed with another secret is refused', () => {
    const token = signToken({ key: app.key, secret: 'other-secret' }, vectors.private.toSign);
    assert.throws(
      () => verifyToken(app, token, 'private-foobar', [vectors.private.toSign]),
      /Invalid signature/,
    );
  });
});

describe('signaturesMatch', () => {
  test('equal strings match; different lengths or contents do not', () => {
    assert.ok(signaturesMatch('abc', 'abc'));
    assert.equal(signaturesMatch('abc', 'abd'), false);
    assert.equal(signaturesMatch('abc', 'abcd'), false);
    assert.equal(signaturesMatch('', 'a'), false);
    assert.ok(signaturesMatch('', ''));
    // Multi-byte text is compared by bytes, so equal-looking lengths cannot collide.
    assert.equal(signaturesMatch('é', 'ab'), false);
  });
});
