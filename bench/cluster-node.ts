/**
 * One node of the benchmark's cluster, in its own process: herald on the Redis adapter, every
 * other option at its default. The bench passes `redisUrl redisPrefix secret` as arguments so
 * both nodes serve the same app under the same prefix.
 */
import { startHerald } from '../src/testing/index.js';
import { serveChild } from './child.js';

const [redisUrl, redisPrefix, secret] = process.argv.slice(2);
if (redisUrl === undefined || redisPrefix === undefined || secret === undefined) {
  throw new Error('usage: cluster-node.js REDIS_URL REDIS_PREFIX SECRET (forked by the bench)');
}

serveChild(async () => {
  const herald = await startHerald({
    adapter: 'redis',
    redisUrl,
    redisPrefix,
    appId: 'bench',
    key: 'bench-key',
    secret,
  });
  return { port: herald.port, app: herald.app, stop: () => herald.stop() };
});
