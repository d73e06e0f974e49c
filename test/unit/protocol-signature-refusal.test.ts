// Why a REST signature was refused (PROTOCOL.md §5.2): the structured reason verifyApiRequest
// throws, the 401 text rendered from it, and what that text must never contain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiStringToSign,
  md5Hex,
  parseQuery,
  verifyApiRequest,
  type SignedRequest,
  type VerifyContext,
} from '../../src/protocol/api-signature.js';
import {
  ApiSignatureError,
  apiSignatureChecks,
  explainApiRefusal,
  failedCheckOf,
  type ApiSignatureRefusal,
} from '../../src/protocol/api-signature-refusal.js';
import { ApiError } from '../../src/protocol/errors.js';
import { hmacSha256Hex } from '../../src/protocol/hmac.js';

const app = { key: 'the-key', secret: 'the-secret-never-shown' };
const now = 1_700_000_000;
const path = '/apps/7/events';
const body = '{"name":"e","channel":"c","data":"{}"}';

/** A POST of `body`, correctly signed unless `change` edits the pairs after signing. */
function request(
  change: (pairs: Array<[string, string]>) => Array<[string, string]> = (pairs) => pairs,
  sent = body,
): SignedRequest {
  const pairs: Array<[string, string]> = [
    ['auth_key', app.key],
    ['auth_timestamp', String(now)],
    ['auth_version', '1.0'],
    ['body_md5', md5Hex(Buffer.from(body))],
  ];
  const toSign = apiStringToSign({ method: 'POST', path, query: pairs, body: new Uint8Array() });
  pairs.push(['auth_signature', hmacSha256Hex(app.secret, toSign)]);
  return { method: 'POST', path, query: change(pairs), body: Buffer.from(sent) };
}

const set =
  (name: string, value: string) =>
  (pairs: Array<[string, string]>): Array<[string, string]> =>
    pairs.map(([key, old]) => [key, key === name ? value : old]);
const drop =
  (name: string) =>
  (pairs: Array<[string, string]>): Array<[string, string]> =>
    pairs.filter(([key]) => key !== name);

/** The refusal `verifyApiRequest` throws for `signed`; fails the test if it accepts it. */
function refusalOf(signed: SignedRequest, context?: VerifyContext): ApiSignatureError {
  try {
    verifyApiRequest(app, signed, now, context);
  } catch (error) {
    assert.ok(error instanceof ApiSignatureError, `expected ApiSignatureError, got ${error}`);
    return error;
  }
  assert.fail('the request was accepted');
}

/** The signature the server would accept for `signed`: never to appear in a refusal. */
const expectedSignature = (signed: SignedRequest) =>
  hmacSha256Hex(app.secret, apiStringToSign(signed));

describe('each failed check is named with what was wrong', () => {
  const cases: ReadonlyArray<{
    what: string;
    signed: SignedRequest;
    failed: Record<string, unknown>;
    why: string;
  }> = [
    {
      what: 'auth_key missing',
      signed: request(drop('auth_key')),
      failed: { check: 'auth_key', problem: 'missing' },
      why: "the query has no auth_key (the app's key).",
    },
    {
      what: 'auth_version unsupported',
      signed: request(set('auth_version', '2.0')),
      failed: { check: 'auth_version', problem: 'unsupported', given: '2.0' },
      why: 'auth_version is "2.0"; the only version is 1.0.',
    },
    {
      what: 'auth_version missing',
      signed: request(drop('auth_version')),
      failed: { check: 'auth_version', problem: 'missing' },
      why: 'the query has no auth_version (it must be 1.0).',
    },
    {
      what: 'a timestamp 900 s behind',
      signed: request(set('auth_timestamp', String(now - 900))),
      failed: {
        check: 'auth_timestamp',
        problem: 'outside_window',
        given: String(now - 900),
        serverTime: now,
        windowSeconds: 600,
      },
      why:
        "auth_timestamp is 900 s behind the server's clock; it must be less than 600 s away: " +
        'synchronise the clocks (NTP) and sign each request when it is sent.',
    },
    {
      what: 'a timestamp 600 s ahead',
      signed: request(set('auth_timestamp', String(now + 600))),
      failed: {
        check: 'auth_timestamp',
        problem: 'outside_window',
        given: String(now + 600),
        serverTime: now,
        windowSeconds: 600,
      },
      why:
        "auth_timestamp is 600 s ahead of the server's clock; it must be less than 600 s away: " +
        'synchronise the clocks (NTP) and sign each request when it is sent.',
    },
    {
      what: 'a timestamp in milliseconds',
      signed: request(set('auth_timestamp', String(now * 1000))),
      failed: {
        check: 'auth_timestamp',
        problem: 'outside_window',
        given: String(now * 1000),
        serverTime: now,
        windowSeconds: 600,
      },
      why: `auth_timestamp ${now * 1000} looks like milliseconds; it must be Unix time in seconds.`,
    },
    {
      what: 'a timestamp that is not a number',
      signed: request(set('auth_timestamp', 'soon')),
      failed: {
        check: 'auth_timestamp',
        problem: 'not_seconds',
        given: 'soon',
        serverTime: now,
        windowSeconds: 600,
      },
      why: 'auth_timestamp "soon" is not Unix time in whole seconds.',
    },
    {
      what: 'body_md5 missing',
      signed: request(drop('body_md5')),
      failed: { check: 'body_md5', problem: 'missing', bodyBytes: body.length },
      why: `the request has a ${body.length}-byte body but no body_md5 (the lowercase hex MD5 of the body as sent).`,
    },
    {
      what: 'a body changed after signing',
      signed: request(undefined, `${body} `),
      failed: {
        check: 'body_md5',
        problem: 'mismatch',
        given: md5Hex(Buffer.from(body)),
        bodyBytes: body.length + 1,
        bodyMd5: md5Hex(Buffer.from(`${body} `)),
      },
      why:
        `body_md5 "${md5Hex(Buffer.from(body))}" is not the MD5 of the ${body.length + 1}-byte ` +
        `body the server received (${md5Hex(Buffer.from(`${body} `))}): the body changed after it ` +
        'was signed, or the MD5 is of other bytes or not lowercase hex.',
    },
    {
      what: 'a body_md5 without a body',
      signed: request(undefined, ''),
      failed: {
        check: 'body_md5',
        problem: 'mismatch',
        given: md5Hex(Buffer.from(body)),
        bodyBytes: 0,
        bodyMd5: md5Hex(Buffer.from('')),
      },
      why:
        `body_md5 "${md5Hex(Buffer.from(body))}" was sent but the server received no body ` +
        `(whose MD5 is ${md5Hex(Buffer.from(''))}).`,
    },
    {
      what: 'auth_signature missing',
      signed: request(drop('auth_signature')),
      failed: { check: 'auth_signature', problem: 'missing' },
      why: 'the query has no auth_signature.',
    },
    {
      what: 'a signature made with another secret',
      signed: request(set('auth_signature', 'ab'.repeat(32))),
      failed: { check: 'auth_signature', problem: 'mismatch', given: 'ab'.repeat(32) },
      why:
        "the signature is not the HMAC-SHA256 of the string to sign below with this app's " +
        "secret: the secret you sign with is not the server's, or the string you sign differs " +
        'from this one (compare them byte for byte).',
    },
  ];

  for (const { what, signed, failed, why } of cases) {
    test(what, () => {
      const error = refusalOf(signed);
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 401);
      assert.deepEqual(error.refusal.failed, failed);
      assert.equal(error.refusal.stringToSign, apiStringToSign(signed));
      const lines = error.message.split('\n');
      assert.equal(lines.length, 4, error.message);
      assert.equal(
        lines[1],
        `Failed check: ${String(failed['check'])} (${String(failed['problem'])}); checks run in ` +
          'the order auth_key, auth_version, auth_timestamp, body_md5, auth_signature.',
      );
      assert.equal(lines[2], `Why: ${why}`);
      assert.equal(
        lines[3],
        'String to sign (method, path and the query sorted by key without auth_signature, ' +
          `joined by \\n): ${JSON.stringify(apiStringToSign(signed))}`,
      );
      assert.equal(error.message.includes(app.secret), false, 'the secret is never shown');
      assert.equal(error.message.includes(expectedSignature(signed)), false);
      assert.deepEqual(failedCheckOf(error.message), {
        check: failed['check'],
        problem: failed['problem'],
      });
    });
  }

  test('the first failing check is the one reported', () => {
    // Old timestamp, wrong body and wrong signature at once: the timestamp comes first.
    const signed = request(
      (pairs) => set('auth_signature', '0'.repeat(64))(set('auth_timestamp', '1')(pairs)),
      'other',
    );
    assert.equal(refusalOf(signed).refusal.failed.check, 'auth_timestamp');
    assert.deepEqual(apiSignatureChecks, [
      'auth_key',
      'auth_version',
      'auth_timestamp',
      'body_md5',
      'auth_signature',
    ]);
  });
});

describe('an unknown key', () => {
  const signed = request(set('auth_key', 'stranger'));

  test('that no app has is said to belong to no app', () => {
    const error = refusalOf(signed, { isOtherAppKey: () => false });
    assert.deepEqual(error.refusal.failed, {
      check: 'auth_key',
      problem: 'unknown',
      given: 'stranger',
      otherApp: false,
    });
    assert.equal(
      error.message.split('\n')[2],
      'Why: no app on this server has the key "stranger".',
    );
  });

  test('of another app is said to be another app’s, naming no other app', () => {
    const asked: string[] = [];
    const error = refusalOf(signed, {
      isOtherAppKey: (key) => {
        asked.push(key);
        return true;
      },
    });
    assert.deepEqual(asked, ['stranger']);
    assert.equal(
      error.message.split('\n')[2],
      'Why: "stranger" is another app\'s key, not the key of the app whose id is in the path: ' +
        'sign with the id, key and secret of one app.',
    );
  });

  test('without a registry to ask, claims nothing about other apps', () => {
    const error = refusalOf(signed);
    assert.equal(
      error.message.split('\n')[2],
      'Why: "stranger" is not the key of the app whose id is in the path.',
    );
  });
});

describe('rendering', () => {
  test('the first line keeps the pusher-signature gem’s wording', () => {
    const wrong = '0'.repeat(64);
    const signed = request(set('auth_signature', wrong));
    const [first] = refusalOf(signed).message.split('\n');
    assert.equal(
      first,
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(apiStringToSign(signed))}, your_secret_key), but you sent "${wrong}"`,
    );
  });

  test('the string to sign is quoted exactly: newlines, spaces and an empty query', () => {
    const refusal: ApiSignatureRefusal = {
      failed: { check: 'auth_key', problem: 'missing' },
      stringToSign: 'GET\n/apps/1/channels\n',
    };
    assert.ok(explainApiRefusal(refusal).endsWith(': "GET\\n/apps/1/channels\\n"'));
    const signed = {
      method: 'GET',
      path: '/apps/7/channels',
      query: parseQuery('auth_key=the-key&filter_by_prefix=a+b'),
      body: new Uint8Array(),
    };
    assert.ok(
      refusalOf(signed).message.endsWith(
        ': "GET\\n/apps/7/channels\\nauth_key=the-key&filter_by_prefix=a b"',
      ),
    );
  });

  test('failedCheckOf reads only a real Failed check line', () => {
    assert.equal(failedCheckOf('Unknown app id: 3'), undefined);
    assert.equal(failedCheckOf('Failed check: secret (mismatch)'), undefined);
    assert.deepEqual(failedCheckOf('x\nFailed check: body_md5 (missing); …'), {
      check: 'body_md5',
      problem: 'missing',
    });
  });
});
