/** One process: no other node can die, so the registry has nothing to do and is always ready. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNodeRegistry } from '../../src/scaling/memory/memory-node-registry.js';

test('a single node never lapses and never reaps', async () => {
  const registry = new MemoryNodeRegistry();
  assert.equal(registry.ready, true);
  assert.equal(await registry.heartbeat(), false);
  assert.deepEqual(await registry.reapDeadNodes(), []);
  await registry.close();
});
