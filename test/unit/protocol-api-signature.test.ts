import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TIMESTAMP_WINDOW_SECONDS,
  apiStringToSign,
  md5Hex,
  parseQuery,
  signApiRequest,
  verifyApiRequest,
  type SignedRequest,
} from '../../src/protocol/api-signature.js';
import { ApiError } from '../../src/protocol/errors.js';
import { hmacSha256Hex } from '../../src/protocol/hmac.js';

// PROTOCOL.md §5.2: the worked example of the Pusher docs.
const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
const bodyMd5 = 'ec365a775a4cd0599faeb73354201b6f';
const timestamp = 1353088179;
const signature = 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c';
const exampleQuery = `auth_key=${app.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${bodyMd5}&auth_signature=${signature}`;

function request(query: string, overrides: Partial<SignedRequest> = {}): SignedRequest {
  return {
    method: 'POST',
    path: '/apps/3/events',
    query: parseQuery(query),
    body: Buffer.from(body),
    ...overrides,
  };
}

/** `message` is the 401's first line, the gem's wording; the explanation after it is tested apart. */
function assertUnauthorized(fn: () => void, message: string | RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ApiError, `expected ApiError, got ${String(error)}`);
    assert.equal(error.status, 401);
    const summary = error.message.split('\n')[0]!;
    if (typeof message === 'string') assert.equal(summary, message);
    else assert.match(summary, message);
    return true;
  });
}

/** A query for `params` signed over `method path`, with `auth_signature` last. */
function signed(params: Array<[string, string]>, method = 'GET', path = '/apps/3/channels') {
  const toSign = apiStringToSign({ method, path, query: params, body: new Uint8Array() });
  return [...params, ['auth_signature', hmacSha256Hex(app.secret, toSign)] as [string, string]];
}

const base = (ts = timestamp): Array<[string, string]> => [
  ['auth_key', app.key],
  ['auth_timestamp', String(ts)],
  ['auth_version', '1.0'],
];

describe('the worked example of §5.2', () => {
  test('body_md5', () => {
    assert.equal(md5Hex(Buffer.from(body)), bodyMd5);
  });

  test('string to sign and signature', () => {
    const toSign = apiStringToSign(request(exampleQuery));
    assert.equal(
      toSign,
      `POST\n/apps/3/events\nauth_key=${app.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${bodyMd5}`,
    );
    assert.equal(hmacSha256Hex(app.secret, toSign), signature);
  });

  test('verifies at the example’s own time', () => {
    verifyApiRequest(app, request(exampleQuery), timestamp);
  });

  test('signApiRequest reproduces the example', () => {
    const query = signApiRequest(app, 'POST', '/apps/3/events', body, {}, timestamp);
    assert.equal(new URLSearchParams(query).get('auth_signature'), signature);
    assert.equal(new URLSearchParams(query).get('body_md5'), bodyMd5);
  });
});

describe('verifyApiRequest: each failure, in the order of §5.2', () => {
  test('auth_key missing', () => {
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery.replace(/auth_key=[^&]*&/, '')), timestamp),
      'Missing parameter: auth_key',
    );
  });

  test('auth_key unknown', () => {
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery.replace(app.key, 'other-key')), timestamp),
      'Unknown auth_key',
    );
  });

  test('auth_key is checked before everything else', () => {
    // Wrong key, no version, stale timestamp, bad md5, bad signature: the key is reported.
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request('auth_key=x&auth_timestamp=1&body_md5=0&auth_signature=0'),
          timestamp,
        ),
      'Unknown auth_key',
    );
  });

  test('version missing or not 1.0', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(app, request(exampleQuery.replace('auth_version=1.0&', '')), timestamp),
      'Version required',
    );
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace('auth_version=1.0', 'auth_version=2.0')),
          timestamp,
        ),
      'Version not supported',
    );
  });

  test('version is checked before the timestamp', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace('auth_version=1.0', 'auth_version=1')),
          timestamp + 10_000,
        ),
      'Version not supported',
    );
  });

  test('timestamp window: 599 s either way is accepted, 600 s is rejected', () => {
    assert.equal(TIMESTAMP_WINDOW_SECONDS, 600);
    verifyApiRequest(app, request(exampleQuery), timestamp + 599);
    verifyApiRequest(app, request(exampleQuery), timestamp - 599);
    for (const now of [timestamp + 600, timestamp - 600, timestamp + 100_000]) {
      assertUnauthorized(
        () => verifyApiRequest(app, request(exampleQuery), now),
        `Timestamp expired: Given timestamp (${timestamp}) not within 600s of server time (${now})`,
      );
    }
  });

  test('timestamp missing or not an integer', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace(/auth_timestamp=[^&]*&/, '')),
          timestamp,
        ),
      'Missing parameter: auth_timestamp',
    );
    for (const bad of [`${timestamp}.5`, `-${timestamp}`, 'abc', '', `${timestamp}e0`]) {
      assertUnauthorized(
        () =>
          verifyApiRequest(app, request(exampleQuery.replace(String(timestamp), bad)), timestamp),
        /^Timestamp expired/,
      );
    }
  });

  test('the timestamp is checked before the body and the signature', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace(bodyMd5, '0'.repeat(32)), { body: Buffer.from('{}') }),
          timestamp + 600,
        ),
      /^Timestamp expired/,
    );
  });

  test('body_md5 missing on a non-empty body', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(app, request(exampleQuery.replace(`body_md5=${bodyMd5}&`, '')), timestamp),
      'Invalid body_md5',
    );
  });

  test('body_md5 wrong: another body, or a changed md5', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(app, request(exampleQuery, { body: Buffer.from(`${body} `) }), timestamp),
      'Invalid body_md5',
    );
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace(bodyMd5, bodyMd5.toUpperCase())),
          timestamp,
        ),
      'Invalid body_md5',
    );
  });

  test('body_md5 is checked before the signature', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace(signature, '0'.repeat(64)), { body: Buffer.from('x') }),
          timestamp,
        ),
      'Invalid body_md5',
    );
  });

  test('signature missing', () => {
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          request(exampleQuery.replace(`&auth_signature=${signature}`, '')),
          timestamp,
        ),
      'Missing parameter: auth_signature',
    );
  });

  test('signature wrong: the message shows the string to sign and the signature sent', () => {
    const wrong = '0'.repeat(64);
    const toSign = `POST\n/apps/3/events\nauth_key=${app.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${bodyMd5}`;
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery.replace(signature, wrong)), timestamp),
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(toSign)}, your_secret_key), but you sent "${wrong}"`,
    );
  });

  test('the method and the path are signed', () => {
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery, { method: 'PUT' }), timestamp),
      /^Invalid signature/,
    );
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery, { path: '/apps/4/events' }), timestamp),
      /^Invalid signature/,
    );
    assertUnauthorized(
      () => verifyApiRequest(app, request(exampleQuery, { path: '/apps/3/events/' }), timestamp),
      /^Invalid signature/,
    );
  });

  test('an extra parameter that was not signed is refused', () => {
    assertUnauthorized(
      () => verifyApiRequest(app, request(`${exampleQuery}&info=user_count`), timestamp),
      /^Invalid signature/,
    );
  });
});

describe('the canonical query string', () => {
  test('keys are lower-cased and sorted; auth_signature is left out', () => {
    const toSign = apiStringToSign({
      method: 'GET',
      path: '/apps/3/channels',
      query: [
        ['Filter_By_Prefix', 'presence-'],
        ['auth_signature', 'zzz'],
        ['INFO', 'user_count'],
        ['auth_key', 'k'],
      ],
      body: new Uint8Array(),
    });
    assert.equal(
      toSign,
      'GET\n/apps/3/channels\nauth_key=k&filter_by_prefix=presence-&info=user_count',
    );
  });

  test('sorting is by key in byte order, not by the whole pair', () => {
    const toSign = apiStringToSign({
      method: 'GET',
      path: '/p',
      query: [
        ['a_b', '1'],
        ['a', '2'],
        ['ab', '3'],
        ['B', '4'],
      ],
      body: new Uint8Array(),
    });
    assert.equal(toSign, 'GET\n/p\na=2&a_b=1&ab=3&b=4');
  });

  test('repeated keys keep their order (Ruby arrays: info[]=a&info[]=b)', () => {
    const query = parseQuery('info[]=user_count&auth_key=k&info[]=subscription_count');
    assert.equal(
      apiStringToSign({ method: 'GET', path: '/p', query, body: new Uint8Array() }),
      'GET\n/p\nauth_key=k&info[]=user_count&info[]=subscription_count',
    );
  });

  test('values are decoded and not re-escaped', () => {
    const query = parseQuery(
      'filter_by_prefix=presence%2Dx&info=user_count%2Csubscription_count&q=a+b',
    );
    assert.equal(
      apiStringToSign({ method: 'GET', path: '/p', query, body: new Uint8Array() }),
      'GET\n/p\nfilter_by_prefix=presence-x&info=user_count,subscription_count&q=a b',
    );
  });

  test('the path is signed as sent, never decoded', () => {
    const toSign = apiStringToSign({
      method: 'GET',
      path: '/apps/3/channels/private%2Dx',
      query: [],
      body: new Uint8Array(),
    });
    assert.equal(toSign, 'GET\n/apps/3/channels/private%2Dx\n');
  });

  test('an encoded query (Ruby) and a raw one (pusher-http-node) verify the same way', () => {
    const params = signed([...base(), ['info', 'user_count,subscription_count']]);
    const raw = params.map(([k, v]) => `${k}=${v}`).join('&');
    const encoded = new URLSearchParams(params).toString();
    assert.notEqual(raw, encoded);
    for (const query of [raw, encoded]) {
      verifyApiRequest(
        app,
        {
          method: 'GET',
          path: '/apps/3/channels',
          query: parseQuery(query),
          body: new Uint8Array(),
        },
        timestamp,
      );
    }
  });

  test('a request signed with lower-cased keys but sent upper-cased verifies', () => {
    const params = signed([...base(), ['filter_by_prefix', 'presence-']]);
    const query = params.map(([k, v]) => [k === 'filter_by_prefix' ? 'FILTER_BY_PREFIX' : k, v]);
    verifyApiRequest(
      app,
      {
        method: 'GET',
        path: '/apps/3/channels',
        query: query as Array<[string, string]>,
        body: new Uint8Array(),
      },
      timestamp,
    );
  });
});

describe('parameter names are case-insensitive (the pusher-signature gem lower-cases them)', () => {
  test('upper-cased auth_* names are found and auth_signature is left out of the string', () => {
    const query = parseQuery(
      exampleQuery
        .replace('auth_key', 'AUTH_KEY')
        .replace('auth_version', 'Auth_Version')
        .replace('auth_timestamp', 'AUTH_TIMESTAMP')
        .replace('body_md5', 'BODY_MD5')
        .replace('auth_signature', 'AUTH_SIGNATURE'),
    );
    assert.equal(
      apiStringToSign(request('', { query })),
      `POST\n/apps/3/events\nauth_key=${app.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${bodyMd5}`,
    );
    verifyApiRequest(app, request('', { query }), timestamp);
  });

  test('an upper-cased wrong signature is still reported as a wrong signature', () => {
    const query = parseQuery(
      exampleQuery.replace(`auth_signature=${signature}`, `AUTH_SIGNATURE=${'0'.repeat(64)}`),
    );
    assertUnauthorized(
      () => verifyApiRequest(app, request('', { query }), timestamp),
      /^Invalid signature/,
    );
  });
});

describe('GET requests (empty body)', () => {
  test('verify without body_md5', () => {
    verifyApiRequest(
      app,
      { method: 'GET', path: '/apps/3/channels', query: signed(base()), body: new Uint8Array() },
      timestamp,
    );
  });

  test('a body_md5 sent with an empty body must be the md5 of nothing', () => {
    const emptyMd5 = md5Hex(new Uint8Array());
    verifyApiRequest(
      app,
      {
        method: 'GET',
        path: '/apps/3/channels',
        query: signed([...base(), ['body_md5', emptyMd5]]),
        body: new Uint8Array(),
      },
      timestamp,
    );
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          {
            method: 'GET',
            path: '/apps/3/channels',
            query: signed([...base(), ['body_md5', bodyMd5]]),
            body: new Uint8Array(),
          },
          timestamp,
        ),
      'Invalid body_md5',
    );
  });
});

describe('signApiRequest round-trip', () => {
  const now = 1_700_000_000;

  test('POST with a body and extra parameters', () => {
    const payload = '{"name":"e","channel":"a","data":"é ünïcode"}';
    const query = signApiRequest(app, 'POST', '/apps/3/events', payload, { socket_id: '1.2' }, now);
    verifyApiRequest(
      app,
      {
        method: 'POST',
        path: '/apps/3/events',
        query: parseQuery(query),
        body: Buffer.from(payload),
      },
      now,
    );
  });

  test('GET without a body carries no body_md5', () => {
    const query = signApiRequest(
      app,
      'GET',
      '/apps/3/channels',
      '',
      { filter_by_prefix: 'presence-' },
      now,
    );
    assert.equal(new URLSearchParams(query).has('body_md5'), false);
    verifyApiRequest(
      app,
      { method: 'GET', path: '/apps/3/channels', query: parseQuery(query), body: new Uint8Array() },
      now,
    );
  });

  test('values that need escaping survive the round-trip', () => {
    const query = signApiRequest(
      app,
      'GET',
      '/apps/3/channels',
      '',
      { info: 'a,b', x: 'a b&c=d' },
      now,
    );
    verifyApiRequest(
      app,
      { method: 'GET', path: '/apps/3/channels', query: parseQuery(query), body: new Uint8Array() },
      now,
    );
  });

  test('a tampered parameter fails', () => {
    const query = signApiRequest(
      app,
      'GET',
      '/apps/3/channels',
      '',
      { filter_by_prefix: 'a' },
      now,
    );
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          {
            method: 'GET',
            path: '/apps/3/channels',
            query: parseQuery(query.replace('filter_by_prefix=a', 'filter_by_prefix=b')),
            body: new Uint8Array(),
          },
          now,
        ),
      /^Invalid signature/,
    );
  });

  test('signed with another secret fails', () => {
    const query = signApiRequest({ key: app.key, secret: 'nope' }, 'GET', '/p', '', {}, now);
    assertUnauthorized(
      () =>
        verifyApiRequest(
          app,
          { method: 'GET', path: '/p', query: parseQuery(query), body: new Uint8Array() },
          now,
        ),
      /^Invalid signature/,
    );
  });
});
