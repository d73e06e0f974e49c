// Where `herald doctor` looks for the server and how it prints a check, without any socket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { doctorTarget, formatResult } from '../../src/cli/doctor.js';
import { ConfigError, parseConfig } from '../../src/config/schema.js';

describe('doctorTarget', () => {
  test('the default app on the address the server would listen on', () => {
    const target = doctorTarget(parseConfig({}), undefined);
    assert.equal(target.api.href, 'http://127.0.0.1:6001/');
    assert.equal(target.websocket.href, 'ws://127.0.0.1:6001/');
    assert.deepEqual(target.app, { id: 'app-id', key: 'app-key', secret: 'app-secret' });
  });

  test('a wildcard bind means this machine; IPv6 is bracketed', () => {
    assert.equal(
      doctorTarget(parseConfig({ host: '0.0.0.0' }), undefined).api.host,
      '127.0.0.1:6001',
    );
    assert.equal(doctorTarget(parseConfig({ host: '::1' }), undefined).api.host, '[::1]:6001');
  });

  test('separate socket and web ports, the path prefix and the first app of a file', () => {
    const config = parseConfig({
      socketPort: 7001,
      webPort: 7002,
      path: '/ws',
      apps: [
        { id: '1', key: 'k1', secret: 's1' },
        { id: '2', key: 'k2', secret: 's2' },
      ],
    });
    const target = doctorTarget(config, undefined);
    assert.equal(target.api.href, 'http://127.0.0.1:7002/');
    assert.equal(target.websocket.href, 'ws://127.0.0.1:7001/ws');
    assert.equal(target.app.id, '1');
  });

  test('--url names both endpoints; https means wss', () => {
    const plain = doctorTarget(parseConfig({ port: 9 }), new URL('http://example.test:8080'));
    assert.equal(plain.api.href, 'http://example.test:8080/');
    assert.equal(plain.websocket.href, 'ws://example.test:8080/');
    const secure = doctorTarget(parseConfig({ path: '/ws' }), new URL('https://example.test'));
    assert.equal(secure.api.href, 'https://example.test/');
    assert.equal(secure.websocket.href, 'wss://example.test/ws');
  });

  test('port 0 cannot be checked: it is only known once the server runs', () => {
    assert.throws(() => doctorTarget(parseConfig({ port: 0 }), undefined), ConfigError);
    assert.throws(
      () => doctorTarget(parseConfig({ port: 6001, webPort: 0 }), undefined),
      /port 0 makes the server pick a free port/,
    );
  });
});

describe('formatResult', () => {
  test('a passed check is one line', () => {
    assert.equal(
      formatResult({ name: 'ready', status: 'ok', summary: 'GET /ready answered 200' }),
      'ok    ready      GET /ready answered 200\n',
    );
  });

  test('a failed check carries the server’s text and the fix, indented', () => {
    assert.equal(
      formatResult({
        name: 'rest',
        status: 'fail',
        summary: 'answered 401',
        server: 'Unknown auth_key\nFailed check: auth_key (unknown)',
        fix: 'give the key',
      }),
      'FAIL  rest       answered 401\n' +
        '      the server says:\n' +
        '        Unknown auth_key\n' +
        '        Failed check: auth_key (unknown)\n' +
        '      fix: give the key\n',
    );
  });
});
