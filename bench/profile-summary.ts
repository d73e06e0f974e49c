/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, or the bench's `--cpu-prof-dir`): the functions
 * with the most self time (time in the function itself, including the system calls it makes),
 * then those with the most total time (including what they call), as shares of busy time.
 *
 *   node dist/bench/profile-summary.js .bench/prof/herald.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/');
  return `${name}  ${file}:${lineNumber + 1}`;
}

function rows(title: string, times: Map<string, number>, busy: number, top: number): string[] {
  const lines = [title, '  ms       % busy  function'];
  const sorted = [...times.entries()]
    .filter(([key]) => key !== '(idle)' && key !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [key, micros] of sorted) {
    const share = `${((micros / busy) * 100).toFixed(1)}%`.padStart(6);
    lines.push(`${(micros / 1000).toFixed(0).padStart(7)}  ${share}   ${key}`);
  }
  return lines;
}

function summarize(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampled = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    sampled += micros;
    const leaf = label(byId.get(id)!);
    self.set(leaf, (self.get(leaf) ?? 0) + micros);
    // Each function once per sample, so recursion is not counted twice.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + micros);
    }
  });
  const busy = sampled - (self.get('(idle)') ?? 0);
  return [
    `${path}: ${(sampled / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`,
    '',
    ...rows('self time', self, busy, top),
    '',
    ...rows('total time', total, busy, top),
  ].join('\n');
}

const [path, top = '25'] = process.argv.slice(2);
if (path === undefined) {
  process.stderr.write('Usage: node dist/bench/profile-summary.js FILE.cpuprofile [top]\n');
  process.exitCode = 2;
} else {
  process.stdout.write(`${summarize(path, Number(top))}\n`);
}
