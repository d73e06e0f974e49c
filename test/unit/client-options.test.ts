import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pusherJsOptions, pusherSdkOptions, urlHost } from '../../src/apps/client-options.js';
import { startLine } from '../../src/cli/banner.js';
import { clientConfigText } from '../../src/cli/client-config.js';
import { appsOf, parseConfig } from '../../src/config/schema.js';
import {
  clientConfig,
  formatClientConfig,
  type ClientConfig,
} from '../../src/testing/client-config.js';
import { testApp } from '../helpers/fake-transport.js';

// pusher-js and the SDKs append `:port` to the host, so an IPv6 literal needs its brackets.
test('IPv6 hosts are bracketed for the clients, others kept as they are', () => {
  assert.equal(urlHost('::1'), '[::1]');
  assert.equal(urlHost('[::1]'), '[::1]');
  assert.equal(urlHost('127.0.0.1'), '127.0.0.1');
  assert.equal(pusherJsOptions({ host: '::1', port: 6001 }).wsHost, '[::1]');
  assert.equal(pusherSdkOptions(testApp(), { host: '::1', port: 6001 }).host, '[::1]');
  assert.equal(pusherSdkOptions(testApp(), { host: 'localhost', port: 6001 }).port, '6001');
});

test('a WebSocket path prefix becomes pusher-js wsPath, and none is sent without one', () => {
  assert.equal(pusherJsOptions({ host: '127.0.0.1', port: 1 }, '/ws').wsPath, '/ws');
  assert.equal('wsPath' in pusherJsOptions({ host: '127.0.0.1', port: 1 }), false);
});

test('with TLS, pusher-js dials wss:// on wssPort and the SDK https://', () => {
  assert.deepEqual(pusherJsOptions({ host: '127.0.0.1', port: 6443 }, '', true), {
    cluster: 'herald',
    wsHost: '127.0.0.1',
    wsPort: 6443,
    wssPort: 6443,
    forceTLS: true,
    // pusher-js's transport for wss:// under forceTLS is the one it names `ws`.
    enabledTransports: ['ws'],
    disableStats: true,
  });
  const plain = pusherJsOptions({ host: '127.0.0.1', port: 6001 });
  assert.equal(plain.forceTLS, false);
  assert.equal('wssPort' in plain, false);
  assert.equal(pusherSdkOptions(testApp(), { host: '127.0.0.1', port: 6443 }, true).useTLS, true);
  assert.equal(pusherSdkOptions(testApp(), { host: '127.0.0.1', port: 6001 }).useTLS, false);
});

test('with TLS, the PUSHER_* variables and the .env block say https', () => {
  const endpoint = { host: '127.0.0.1', port: 6443 };
  const address = { websocket: endpoint, api: endpoint };
  const config = clientConfig(testApp(), address, { tls: true });
  assert.equal(config.pusher.useTLS, true);
  assert.equal(config.env.PUSHER_SCHEME, 'https');
  assert.equal(new URL(config.env.PUSHER_URL!).protocol, 'https:');
  assert.match(formatClientConfig(config, 'dotenv'), /^VITE_PUSHER_SCHEME=https$/m);
  const plain = clientConfig(testApp(), address);
  assert.equal(plain.env.PUSHER_SCHEME, 'http');
  assert.match(formatClientConfig(plain, 'dotenv'), /^VITE_PUSHER_SCHEME=http$/m);
});

test('herald client-config and the start line follow tlsCert/tlsKey, without reading them', () => {
  const config = parseConfig({ port: 6443, tlsCert: 'missing-cert.pem', tlsKey: 'missing.pem' });
  const printed = JSON.parse(clientConfigText(config, { format: 'json' })) as ClientConfig;
  assert.equal(printed.pusherJs.options.forceTLS, true);
  assert.equal(printed.pusherJs.options.wssPort, 6443);
  assert.equal(printed.env.PUSHER_SCHEME, 'https');

  const endpoint = { host: '127.0.0.1', port: 6443 };
  const line = startLine(config, { websocket: endpoint, api: endpoint }, appsOf(config));
  assert.deepEqual(line.fields, {
    api: 'https://127.0.0.1:6443',
    websocket: 'wss://127.0.0.1:6443',
  });
  assert.match(line.message, /^herald listening on https:\/\/127\.0\.0\.1:6443 \(wss:\/\//);
  const plainConfig = parseConfig({});
  const plain = startLine(plainConfig, { websocket: endpoint, api: endpoint }, appsOf(plainConfig));
  assert.deepEqual(plain.fields, {
    api: 'http://127.0.0.1:6443',
    websocket: 'ws://127.0.0.1:6443',
  });
});
