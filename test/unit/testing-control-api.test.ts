/**
 * The control API handlers as plain functions: (deps, request) → result, with a socketless hub
 * and a recorder on a manual clock. Routing, parameters and results; HTTP is tested end to end.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StaticAppRegistry } from '../../src/apps/app.js';
import { control, wireRecord, type ControlRequest } from '../../src/api/control.js';
import { ApiError } from '../../src/protocol/errors.js';
import { clientConfig } from '../../src/testing/client-config.js';
import { resetHerald } from '../../src/testing/control.js';
import { Recorder } from '../../src/testing/recorder.js';
import { createTestHub, flush } from '../helpers/fake-transport.js';

function setup(recording = true) {
  const test = createTestHub({ apps: [{}, {}], record: [] });
  const recorder = recording
    ? new Recorder({ limit: 100, clock: test.clock }).attach(test.hub.lifecycle)
    : undefined;
  const apps = new StaticAppRegistry(test.apps);
  const deps = {
    hub: test.hub,
    recorder,
    apps,
    clientConfig: (app: (typeof test.apps)[number]) =>
      clientConfig(app, {
        websocket: { host: '127.0.0.1', port: 1 },
        api: { host: '127.0.0.1', port: 1 },
      }),
    reset: () => resetHerald(test.hub, recorder),
  };
  const request = (
    method: string,
    pathAndQuery: string,
    body: Record<string, unknown> = {},
  ): ControlRequest => {
    const url = new URL(pathAndQuery, 'http://x');
    return {
      method,
      path: url.pathname,
      query: url.searchParams,
      body,
      signal: new AbortController().signal,
    };
  };
  const call = async (method: string, path: string, body?: Record<string, unknown>) => {
    const result = await control(deps, request(method, path, body));
    assert.ok('json' in result, 'a JSON result');
    return result;
  };
  return { test, recorder, deps, request, call };
}

const apiError = (status: number, message: string | RegExp) => (error: unknown) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, status);
  if (typeof message === 'string') assert.equal(error.message, message);
  else assert.match(error.message, message);
  return true;
};

describe('control handlers', () => {
  it('route by path and method: 404 unknown, 405 with the allowed method', async () => {
    const { deps, request } = setup();
    await assert.rejects(
      () => control(deps, request('GET', '/nope')),
      apiError(404, 'Unknown control route: /nope'),
    );
    await assert.rejects(
      () => control(deps, request('DELETE', '/reset')),
      (error: unknown) =>
        apiError(405, 'DELETE not allowed on /__herald/reset')(error) &&
        (error as ApiError).headers.allow === 'POST',
    );
  });

  it('events: snake_case fields, filters validated', async () => {
    const { test, call, deps, request } = setup();
    const { connection } = test.connect();
    test.subscribe(connection, 'news');
    const result = await call('GET', `/events?kind=subscribed&socket_id=${connection.socketId}`);
    assert.ok('json' in result);
    assert.deepEqual(result.json.events, [
      {
        seq: 2,
        time: test.clock.now(),
        kind: 'subscribed',
        app_id: test.app.id,
        channel: 'news',
        socket_id: connection.socketId,
      },
    ]);
    await assert.rejects(
      () => control(deps, request('GET', '/events?after=-1')),
      apiError(400, 'after must be a whole number ≥ 0, got "-1"'),
    );
  });

  it('events and wait need recording', async () => {
    const { deps, request } = setup(false);
    for (const path of ['/events', '/wait']) {
      await assert.rejects(
        () => control(deps, request('GET', path)),
        apiError(400, /^Recording is off/),
      );
    }
  });

  it('wait: 200 with the event, 408 with what was recorded', async () => {
    const { test, call } = setup();
    test.connect();
    const found = await call('GET', '/wait?kind=connected');
    assert.equal(found.status, undefined);
    assert.equal((found.json.event as { kind: string }).kind, 'connected');
    const missed = await call('GET', '/wait?kind=trigger&timeout=1');
    assert.equal(missed.status, 408);
    assert.match(missed.json.error as string, /nothing matched within 1 ms; recorded 1:/);
    assert.equal((missed.json.events as unknown[]).length, 1);
  });

  it('app_id selects the app; an unknown one is 404', async () => {
    const { test, call, deps, request } = setup();
    const second = test.connect(`/app/${test.apps[1]!.key}?protocol=7`);
    test.subscribe(second.connection, 'news');
    await flush();
    assert.deepEqual((await call('GET', '/channels')).json, { channels: {} });
    assert.deepEqual((await call('GET', `/channels?app_id=${test.apps[1]!.id}`)).json, {
      channels: { news: { subscription_count: 1 } },
    });
    await assert.rejects(
      () => control(deps, request('GET', '/channels?app_id=zzz')),
      apiError(404, 'Unknown app id: zzz'),
    );
  });

  it('members decodes the channel name from the path', async () => {
    const { test, call } = setup();
    const { connection } = test.connect();
    test.subscribe(connection, 'presence-a@b', JSON.stringify({ user_id: '1', user_info: [1] }));
    await flush();
    const result = await call('GET', `/channels/${encodeURIComponent('presence-a@b')}/members`);
    assert.deepEqual(result.json, { members: [{ id: '1', info: [1] }] });
  });

  it('disconnect and refuse take their parameters from the body', async () => {
    const { test, call } = setup();
    const { connection, transport } = test.connect();
    assert.deepEqual(
      (await call('POST', '/disconnect', { socket_id: connection.socketId, code: 4111 })).json,
      {
        disconnected: 1,
      },
    );
    assert.deepEqual(transport.closes, [{ code: 4111, reason: 'Closed by the server' }]);
    const refusing = await call('POST', '/refuse', { ms: 500, code: 4100 });
    assert.deepEqual(refusing.json, { until: test.clock.now() + 500 });
    assert.equal(test.open().connection, undefined);
  });

  it('wireRecord renames camelCase fields and drops undefined ones', () => {
    assert.deepEqual(
      wireRecord({
        seq: 1,
        time: 2,
        kind: 'trigger',
        appId: 'a',
        channel: 'c',
        event: 'e',
        data: 'd',
        socketId: undefined,
      }),
      { seq: 1, time: 2, kind: 'trigger', app_id: 'a', channel: 'c', event: 'e', data: 'd' },
    );
  });
});
