/**
 * Compares two V8 heap snapshots (the idle-memory bench's `--heap-snapshot-dir`, or any
 * `v8.writeHeapSnapshot()`): the kinds of objects whose count and self size grew most between
 * them, per connection when given the number of connections opened in between.
 *
 *   node dist/bench/heap-diff.js .bench/heap/herald-before.heapsnapshot \
 *     .bench/heap/herald-after.heapsnapshot [connections=1] [top=30]
 *
 * Objects are grouped by type and constructor (`object Connection`, `closure onMessage`,
 * `hidden system / Context`…); strings, numbers and other unnamed values by type alone.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

/** Types whose `name` is content (the string itself, a number) rather than a kind. */
const byTypeOnly = new Set(['string', 'concatenated string', 'sliced string', 'number', 'bigint']);

function groups(path: string): Map<string, Group> {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const found = new Map<string, Group>();
  for (let node = 0; node < nodes.length; node += width) {
    const type = types[nodes[node + typeAt]!]!;
    const key = byTypeOnly.has(type)
      ? type
      : `${type} ${strings[nodes[node + nameAt]!]!.slice(0, 60)}`;
    let group = found.get(key);
    if (group === undefined) found.set(key, (group = { count: 0, bytes: 0 }));
    group.count += 1;
    group.bytes += nodes[node + sizeAt]!;
  }
  return found;
}

const [beforePath, afterPath, connectionsArg = '1', topArg = '30'] = process.argv.slice(2);
if (beforePath === undefined || afterPath === undefined) {
  throw new Error('usage: heap-diff.js <before.heapsnapshot> <after.heapsnapshot> [n] [top]');
}
const connections = Number(connectionsArg);
const top = Number(topArg);
if (!(connections > 0) || !(top > 0)) throw new Error('n and top must be positive numbers');

const before = groups(beforePath);
const after = groups(afterPath);
const rows = [...after].map(([key, { count, bytes }]) => {
  const was = before.get(key) ?? { count: 0, bytes: 0 };
  return {
    key,
    count: (count - was.count) / connections,
    bytes: (bytes - was.bytes) / connections,
  };
});
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
rows.sort((a, b) => b.bytes - a.bytes);

const per = connections === 1 ? '' : ' per connection';
console.log(`self size grown${per}: ${total.toFixed(0)} bytes in all\n`);
console.log(`${'bytes'.padStart(9)}${'count'.padStart(9)}  kind`);
for (const { key, count, bytes } of rows.slice(0, top)) {
  console.log(`${bytes.toFixed(1).padStart(9)}${count.toFixed(2).padStart(9)}  ${key}`);
}
