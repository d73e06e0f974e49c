import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectionRequest } from '../../src/protocol/connection-request.js';

/** Parses a request line target the way the transport does. */
function parse(url: string, prefix = '', allowMissingProtocol = false) {
  const parsed = new URL(url, 'http://localhost');
  return parseConnectionRequest(parsed.pathname, parsed.searchParams, prefix, allowMissingProtocol);
}

describe('parseConnectionRequest', () => {
  test('the URL pusher-js builds', () => {
    assert.deepEqual(parse('/app/app-key?protocol=7&client=js&version=8.6.0&flash=false'), {
      ok: true,
      appKey: 'app-key',
      protocol: 7,
    });
  });

  test('protocols 4, 5 and 6 are accepted like 7', () => {
    for (const protocol of [4, 5, 6, 7]) {
      assert.deepEqual(parse(`/app/k?protocol=${protocol}`), { ok: true, appKey: 'k', protocol });
    }
  });

  test('protocols outside 4–7 → 4007', () => {
    for (const protocol of ['0', '1', '2', '3', '8', '9', '70', '007000']) {
      assert.deepEqual(
        parse(`/app/k?protocol=${protocol}`),
        {
          ok: false,
          code: 4007,
          appKey: 'k',
        },
        protocol,
      );
    }
  });

  test('a protocol that is not a base-10 integer → 4006', () => {
    for (const protocol of ['abc', '7.1', '7.0', '-7', '+7', ' 7', '7a', '0x7', '', '١']) {
      assert.deepEqual(
        parse(`/app/k?protocol=${encodeURIComponent(protocol)}`),
        { ok: false, code: 4006, appKey: 'k' },
        JSON.stringify(protocol),
      );
    }
  });

  test('leading zeros are still base 10', () => {
    assert.deepEqual(parse('/app/k?protocol=07'), { ok: true, appKey: 'k', protocol: 7 });
  });

  test('an absent protocol → 4008, unless allowMissingProtocol', () => {
    assert.deepEqual(parse('/app/k'), { ok: false, code: 4008, appKey: 'k' });
    assert.deepEqual(parse('/app/k?client=js&version=8.6.0'), {
      ok: false,
      code: 4008,
      appKey: 'k',
    });
    assert.deepEqual(parse('/app/k', '', true), { ok: true, appKey: 'k', protocol: 7 });
  });

  test('allowMissingProtocol does not relax a present but bad protocol', () => {
    assert.equal(parse('/app/k?protocol=3', '', true).ok, false);
    assert.equal(parse('/app/k?protocol=x', '', true).ok, false);
  });

  test('the first protocol parameter counts', () => {
    assert.deepEqual(parse('/app/k?protocol=7&protocol=3'), { ok: true, appKey: 'k', protocol: 7 });
  });

  test('other paths → 4005 without an app key', () => {
    for (const url of [
      '/',
      '/app',
      '/app/',
      '/apps/k?protocol=7',
      '/app/k/extra?protocol=7',
      '/application/k?protocol=7',
      '/x/app/k?protocol=7',
      '/APP/k?protocol=7',
    ]) {
      assert.deepEqual(parse(url), { ok: false, code: 4005 }, url);
    }
  });

  test('the path is checked before the protocol', () => {
    assert.deepEqual(parse('/nope?protocol=abc'), { ok: false, code: 4005 });
  });

  test('the app key is percent-decoded; an encoded slash is still one segment', () => {
    assert.deepEqual(parse('/app/my%20key?protocol=7'), {
      ok: true,
      appKey: 'my key',
      protocol: 7,
    });
    assert.deepEqual(parse('/app/a%2Fb?protocol=7'), { ok: false, code: 4005 });
    assert.deepEqual(parse('/app/%E0%A4%A?protocol=7'), { ok: false, code: 4005 });
  });

  test('a configured prefix is required before /app/', () => {
    assert.deepEqual(parse('/ws/app/k?protocol=7', '/ws'), { ok: true, appKey: 'k', protocol: 7 });
    assert.deepEqual(parse('/app/k?protocol=7', '/ws'), { ok: false, code: 4005 });
    assert.deepEqual(parse('/wsx/app/k?protocol=7', '/ws'), { ok: false, code: 4005 });
    assert.deepEqual(parse('/a/b/app/k?protocol=7', '/a/b'), {
      ok: true,
      appKey: 'k',
      protocol: 7,
    });
  });

  test('without a prefix, a prefixed path is not found', () => {
    assert.deepEqual(parse('/ws/app/k?protocol=7'), { ok: false, code: 4005 });
  });
});
