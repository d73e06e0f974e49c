/**
 * Redis going away: start-up against an unreachable server fails at once with a clear message;
 * a server lost later is survived (no crash, no unhandled error, local delivery goes on, one log
 * line per change of state), and once it is back the node resubscribes its channels. The server
 * here is a `redis-server` of the test's own, SIGKILLed by PID.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { silentLog } from '../../src/core/log.js';
import type { ChannelMessage } from '../../src/scaling/types.js';
import { redisScaling } from '../../src/scaling/redis/index.js';
import { RedisBroker } from '../../src/scaling/redis/redis-broker.js';
import { RedisChannelIndex } from '../../src/scaling/redis/redis-channel-index.js';
import { connectRedis } from '../../src/scaling/redis/redis-connection.js';
import { RedisHealth } from '../../src/scaling/redis/redis-health.js';
import { RedisLink } from '../../src/scaling/redis/redis-link.js';
import { RedisNodeRegistry } from '../../src/scaling/redis/redis-node-registry.js';
import { RecordingLog } from '../helpers/recording-log.js';
import { RedisServer, freePort, hasRedisServer, testNodeId, testPrefix } from '../helpers/redis.js';

const WAIT_MS = 10_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('start-up against an unreachable Redis', () => {
  const options = { clock: new ManualClock(), log: silentLog, prefix: testPrefix('outage') };

  test('fails at once, naming the server and the cause', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    await assert.rejects(redisScaling({ ...options, url }), {
      message: `Cannot reach Redis at ${url}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  test('never shows the password', async () => {
    const port = await freePort();
    await assert.rejects(
      redisScaling({ ...options, url: `redis://herald:s3cret@127.0.0.1:${port}/2` }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`^Cannot reach Redis at redis://herald:\\*\\*\\*@127\\.0\\.0\\.1:${port}/2: `),
        );
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
  });

  test('bad options fail before any connection', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await assert.rejects(redisScaling({ ...options, url, nodeId: 'a b' }), /Invalid node id "a b"/);
    await assert.rejects(redisScaling({ ...options, url, prefix: '' }), /Invalid Redis key prefix/);
  });
});

describe(
  'a Redis lost and back',
  { skip: hasRedisServer() ? false : 'redis-server is not installed' },
  () => {
    let server: RedisServer;
    const unhandled: unknown[] = [];
    const ioredisComplaints: string[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const consoleError = console.error;

    before(async () => {
      server = await RedisServer.start();
      process.on('unhandledRejection', onUnhandled);
      console.error = (...args: unknown[]) => {
        if (String(args[0]).includes('[ioredis]'))
          ioredisComplaints.push(args.map(String).join(' '));
        else consoleError(...args);
      };
    });

    after(async () => {
      console.error = consoleError;
      process.off('unhandledRejection', onUnhandled);
      await server.kill();
    });

    const closers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      await Promise.all(closers.splice(0).map((close) => close()));
    });

    /** One node built as redisScaling builds it, with its connections in reach. */
    async function node(prefix: string, log = new RecordingLog()) {
      const nodeId = testNodeId();
      const health = new RedisHealth(log, server.url);
      const link = await RedisLink.connect({ url: server.url, prefix, nodeId, health });
      const [publisher, subscriber] = await Promise.all([
        connectRedis(server.url, `${nodeId}:publisher`, health),
        connectRedis(server.url, `${nodeId}:subscriber`, health),
      ]);
      const broker = new RedisBroker({
        publisher,
        subscriber,
        keys: link.keys,
        nodeId,
        health,
        log,
      });
      const index = new RedisChannelIndex(link);
      const registry = await RedisNodeRegistry.start(link, 30_000);
      const delivered: Array<[string, ChannelMessage]> = [];
      broker.onMessage((_, channel, message) => delivered.push([channel, message]));
      closers.push(() =>
        Promise.all([broker.close(), index.close(), registry.close()]).then(() => {}),
      );
      return { link, broker, index, registry, delivered, log };
    }

    const readyBecomes = (registry: RedisNodeRegistry, ready: boolean) =>
      within(
        new Promise<void>((resolve) => registry.onReadyChange((now) => now === ready && resolve())),
        `ready to become ${ready}`,
      );

    test('the node lives through the outage, then resubscribes', async () => {
      const prefix = testPrefix('outage');
      const appId = `app-${randomUUID()}`;
      const a = await node(prefix);
      await a.broker.subscribe(appId, 'news');

      const lost = readyBecomes(a.registry, false);
      await server.kill();
      await lost;
      assert.equal(a.registry.ready, false);
      // Several reconnect attempts, each failing with an error event: still one log line.
      for (let i = 0; i < 2; i++) {
        // (events.once would reject on the error event that comes with each attempt.)
        await within(
          new Promise((resolve) => a.link.redis.once('reconnecting', resolve)),
          'a reconnect attempt',
        );
      }
      assert.deepEqual(
        a.log.at('error').map((line) => line.message),
        [
          'Redis connection lost; reconnecting, meanwhile this node delivers only to its own connections',
        ],
      );

      // Local delivery goes on; the cluster-wide calls answer at once.
      await a.broker.publish(appId, 'news', { event: 'e', data: 'local' });
      assert.deepEqual(a.delivered, [['news', { event: 'e', data: 'local' }]]);
      await assert.rejects(a.index.join(appId, 'news', '1.1'));
      assert.equal(await a.registry.heartbeat(), false);
      assert.deepEqual(await a.registry.reapDeadNodes(), []);

      const back = readyBecomes(a.registry, true);
      await server.restart();
      await back;
      assert.deepEqual(
        a.log.at('info').map((line) => line.message),
        ['Redis connection restored'],
      );
      // The restarted server lost everything: the heartbeat reports the lapse.
      assert.equal(await a.registry.heartbeat(), true);
      // The subscription is back: a message published on another node arrives.
      const b = await node(prefix);
      const arrived = within(
        new Promise<void>((resolve) =>
          a.broker.onMessage((_, channel, message) => {
            a.delivered.push([channel, message]);
            resolve();
          }),
        ),
        'the message from node B',
      );
      await b.broker.publish(appId, 'news', { event: 'e', data: 'remote' });
      await arrived;
      assert.deepEqual(a.delivered.at(-1), ['news', { event: 'e', data: 'remote' }]);
      assert.deepEqual(unhandled, []);
      assert.deepEqual(ioredisComplaints, []);
    });

    test('closing while Redis is down neither hangs nor throws', async () => {
      const a = await node(testPrefix('outage'));
      const lost = readyBecomes(a.registry, false);
      await server.kill();
      await lost;
      // A reconnect timer left behind would keep this test file's process from ever exiting.
      await within(Promise.all(closers.splice(0).map((close) => close())), 'the node to close');
      await server.restart();
    });
  },
);
