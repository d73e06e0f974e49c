/**
 * The control API when herald listens beyond loopback: every request must be signed like a REST
 * call (PROTOCOL.md §5.2) with the first app's credentials. Tests may only listen on loopback,
 * so the router is mounted here with `signed: true` as herald mounts it for `0.0.0.0`, and
 * requests are signed by the test's own signer (helpers/rest.ts), not the server's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { StaticAppRegistry } from '../../src/apps/app.js';
import { isLoopback } from '../../src/api/control.js';
import { createApiHandler } from '../../src/api/router.js';
import { silentLog } from '../../src/core/log.js';
import { clientConfig } from '../../src/testing/client-config.js';
import { resetHerald } from '../../src/testing/control.js';
import { Recorder } from '../../src/testing/recorder.js';
import { createTestHub, testApp } from '../helpers/fake-transport.js';
import { send, signedRequest, type RestTarget } from '../helpers/rest.js';

describe('control API with signed: true', () => {
  let server: Server;
  let target: RestTarget;
  let opened: ReturnType<ReturnType<typeof createTestHub>['open']>;

  before(async () => {
    const test = createTestHub();
    const recorder = new Recorder({ limit: 100, clock: test.clock }).attach(test.hub.lifecycle);
    const apps = new StaticAppRegistry([testApp()]);
    server = createServer(
      createApiHandler({
        apps,
        core: test.hub,
        // Signatures are checked against real time, like the SDKs sign.
        clock: { now: () => Date.now() },
        log: silentLog,
        maxRequestBodyBytes: 65_536,
        ready: () => true,
        storeAvailable: () => true,
        control: {
          hub: test.hub,
          recorder,
          apps,
          signed: true,
          clientConfig: (app) =>
            clientConfig(app, {
              websocket: { host: '0.0.0.0', port: 6001 },
              api: { host: '0.0.0.0', port: 6001 },
            }),
          reset: () => resetHerald(test.hub, recorder),
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    target = { url: `http://127.0.0.1:${port}`, app: test.app };
    opened = test.open();
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an unsigned request is 401, as on the REST API', async () => {
    const response = await send(target.url, 'GET', '/__herald/events');
    assert.equal(response.status, 401);
    assert.match(response.body, /^Missing parameter: auth_key\nFailed check: auth_key \(missing\)/);
  });

  it('a request signed with the wrong secret is 401', async () => {
    const response = await signedRequest(target, 'GET', '/__herald/events', { secret: 'nope' });
    assert.equal(response.status, 401);
    assert.match(response.body, /^Invalid signature: you should have sent HmacSHA256Hex/);
  });

  it('signed GET with filters and signed POST with a body are served', async () => {
    const events = await signedRequest(target, 'GET', '/__herald/events', {
      params: [['kind', 'connected']],
    });
    assert.equal(events.status, 200, events.body);
    const recorded = (JSON.parse(events.body) as { events: Array<{ socket_id: string }> }).events;
    assert.deepEqual(
      recorded.map((record) => record.socket_id),
      [opened.connection!.socketId],
    );
    const disconnect = await signedRequest(target, 'POST', '/__herald/disconnect', {
      body: JSON.stringify({ all: true }),
    });
    assert.deepEqual([disconnect.status, disconnect.body], [200, '{"disconnected":1}']);
    assert.deepEqual(opened.transport.closes, [
      { code: 4200, reason: 'Server is restarting, reconnect immediately' },
    ]);
  });

  it('a tampered body fails the body_md5 check', async () => {
    const response = await signedRequest(target, 'POST', '/__herald/refuse', {
      body: JSON.stringify({ ms: 1 }),
      tamper: (pairs) =>
        pairs.map(([key, value]) => [key, key === 'body_md5' ? '0'.repeat(32) : value]),
    });
    assert.equal(response.status, 401);
    assert.match(response.body, /^Invalid body_md5\nFailed check: body_md5 \(mismatch\)/);
  });

  it('client-config names 127.0.0.1 for a server bound to every interface', async () => {
    const response = await signedRequest(target, 'GET', '/__herald/client-config');
    const config = JSON.parse(response.body) as { pusher: { host: string } };
    assert.equal(config.pusher.host, '127.0.0.1');
  });
});

describe('isLoopback: when the control API needs no signature', () => {
  it('loopback addresses only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'herald', '128.0.0.1']) {
      assert.equal(isLoopback(host), false, host);
    }
  });
});
