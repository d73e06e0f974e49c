/** The client configuration as data and text, without a server. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientConfig,
  formatClientConfig,
  reachableHost,
} from '../../src/testing/client-config.js';
import { testApp } from '../helpers/fake-transport.js';

const address = (host: string, port = 6001) => ({
  websocket: { host, port },
  api: { host, port },
});

describe('clientConfig', () => {
  it('wildcard bind addresses become 127.0.0.1; others stay', () => {
    assert.equal(reachableHost('0.0.0.0'), '127.0.0.1');
    assert.equal(reachableHost('::'), '127.0.0.1');
    assert.equal(reachableHost('10.1.2.3'), '10.1.2.3');
  });

  it('brackets IPv6 hosts, which pusher-js and the SDKs join with ":port"', () => {
    const config = clientConfig(testApp(), address('::1'));
    assert.equal(config.pusherJs.options.wsHost, '[::1]');
    assert.equal(config.pusher.host, '[::1]');
    assert.equal(config.env.PUSHER_HOST, '[::1]');
    assert.equal(new URL(config.env.PUSHER_URL!).hostname, '[::1]');
  });

  it('PUSHER_URL encodes credentials so a URL parser gives them back', () => {
    const app = testApp({ id: 'a/b', key: 'k:ey', secret: 's@c ret' });
    const url = new URL(clientConfig(app, address('127.0.0.1')).env.PUSHER_URL!);
    assert.deepEqual(
      [decodeURIComponent(url.username), decodeURIComponent(url.password), url.pathname],
      ['k:ey', 's@c ret', '/apps/a%2Fb'],
    );
  });

  it('separate socket and web ports: SDK variables name the API, VITE_ ones the socket', () => {
    const config = clientConfig(testApp(), {
      websocket: { host: '127.0.0.1', port: 7002 },
      api: { host: '127.0.0.1', port: 7001 },
    });
    assert.equal(config.env.PUSHER_PORT, '7001');
    assert.equal(config.pusherJs.options.wsPort, 7002);
    const dotenv = formatClientConfig(config, 'dotenv');
    assert.match(dotenv, /^PUSHER_PORT=7001$/m);
    assert.match(dotenv, /^VITE_PUSHER_PORT=7002$/m);
  });

  it('env quotes only what needs it', () => {
    const config = clientConfig(testApp({ secret: 'a b' }), address('127.0.0.1'));
    const env = formatClientConfig(config, 'env');
    assert.match(env, /^PUSHER_APP_SECRET='a b'$/m);
    assert.match(env, /^PUSHER_APP_KEY=app-key$/m);
    assert.match(env, /^PUSHER_URL=http:\/\/app-key:a%20b@127\.0\.0\.1:6001\/apps\/app-1$/m);
  });

  it('json is the whole configuration', () => {
    const config = clientConfig(testApp(), address('127.0.0.1'), { path: '/ws' });
    assert.deepEqual(JSON.parse(formatClientConfig(config, 'json')), config);
    assert.equal(config.pusherJs.options.wsPath, '/ws');
  });
});
