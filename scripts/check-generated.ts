/**
 * Drift gate: regenerates into a temporary folder and compares with generated/. Fails naming every
 * stale, missing or extra file and the command that fixes them.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, writeGenerated } from './generate.ts';

const committed = join(ROOT, 'generated');
const fresh = await mkdtemp(join(tmpdir(), 'refx-generated-'));
try {
  const names = await writeGenerated(fresh);
  const present = new Set(await readdir(committed).catch(() => [] as string[]));
  const stale: string[] = [];
  for (const name of names) {
    const want = await readFile(join(fresh, name), 'utf8');
    const have = present.has(name) ? await readFile(join(committed, name), 'utf8') : undefined;
    if (have === undefined) stale.push(`generated/${name} (missing)`);
    else if (have !== want) stale.push(`generated/${name} (differs from spec/)`);
    present.delete(name);
  }
  for (const extra of present) stale.push(`generated/${extra} (not written by the generator)`);
  if (stale.length > 0) {
    console.error(`generated/ is stale:\n${stale.map((s) => `  - ${s}`).join('\n')}`);
    console.error('Fix: run `npm run generate` and commit generated/.');
    process.exit(1);
  }
  console.log(`generated/ is up to date (${names.length} files)`);
} finally {
  await rm(fresh, { recursive: true, force: true });
}
