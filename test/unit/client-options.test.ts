import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pusherJsOptions, pusherSdkOptions, urlHost } from '../../src/apps/client-options.js';
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
