/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof`): the functions with the most
 * self time, and the project files' share. `tsx bench/profile-summary.ts <file.cpuprofile> [top]`
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const label = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
};
const totals = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (node) totals.set(label(node), (totals.get(label(node)) ?? 0) + us);
}
const all = [...totals.values()].reduce((a, b) => a + b, 0);
const idle = totals.get('(idle)') ?? 0;
console.log(`total ${(all / 1000).toFixed(0)} ms, busy ${((all - idle) / 1000).toFixed(0)} ms`);
for (const [name, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) {
  console.log(`${((us / all) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}
