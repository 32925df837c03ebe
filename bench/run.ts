/**
 * `npm run bench`: every hot path measured in the same run as its limit (a bare node:http server)
 * or its peer (Prism), as ratios with their targets. Prints one markdown table of medians to stdout
 * (progress goes to stderr) and writes the raw figures, with the machine, to bench-results/.
 *
 *   npm run bench                         # everything, ~2 minutes
 *   npm run bench -- --only throughput    # some rows: validation,generate,throughput,client,verify,memory
 *   npm run bench -- --cpu-prof           # server children write .cpuprofile files to bench-results/profiles/
 *   npm run bench -- --rounds 5 --duration 5
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createConfig } from './lib/config.ts';
import { renderTable, type Row } from './lib/report.ts';
import { clientRows } from './rows/client.ts';
import { generateRows } from './rows/generate.ts';
import { memoryRows } from './rows/memory.ts';
import { throughputRows } from './rows/throughput.ts';
import { validationRows } from './rows/validation.ts';
import { verifyRows } from './rows/verify.ts';

const ROWS = ['validation', 'generate', 'throughput', 'client', 'verify', 'memory'] as const;
type RowName = (typeof ROWS)[number];

const RESULTS_DIR = fileURLToPath(new URL('../bench-results/', import.meta.url));

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '12' },
    duration: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const only = new Set((values.only?.split(',') ?? ROWS).map((s) => s.trim()));
for (const name of only) {
  if (!(ROWS as readonly string[]).includes(name)) {
    console.error(`bench: unknown row "${name}" (rows: ${ROWS.join(', ')})`);
    process.exit(2);
  }
}
const positive = (text: string, flag: string, integer = true): number => {
  const n = Number(text);
  if (!(integer ? Number.isInteger(n) && n >= 1 : Number.isFinite(n) && n >= 0.5)) {
    console.error(`bench: --${flag} must be ${integer ? 'a positive integer' : 'a number of seconds, at least 0.5'}`);
    process.exit(2);
  }
  return n;
};
const profileDir = join(RESULTS_DIR, 'profiles');
const config = createConfig({
  rounds: positive(values.rounds, 'rounds'),
  durationSeconds: positive(values.duration, 'duration', false),
  connections: positive(values.connections, 'connections'),
  nodeFlags: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
});

const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  totalMemoryMb: Math.round(totalmem() / 2 ** 20),
  loadAverageAtStart: loadavg(),
};

const runners: Record<RowName, () => Promise<Row[]> | Row[]> = {
  validation: () => validationRows(config),
  generate: () => generateRows(progress),
  throughput: () => throughputRows(config, progress),
  client: () => clientRows(config, progress),
  verify: () => verifyRows(config, progress),
  memory: () => memoryRows(config, progress),
};

/** `npm run bench` must finish within 3 minutes: a row that would start after this is skipped, said so. */
const BUDGET_SECONDS = 150;

const started = performance.now();
const rows: Row[] = [];
for (const name of ROWS) {
  if (!only.has(name)) continue;
  if ((performance.now() - started) / 1000 > BUDGET_SECONDS) {
    rows.push({ what: name, against: '—', target: '—', result: `not measured: the ${BUDGET_SECONDS} s budget was spent`, status: 'not measured' });
    continue;
  }
  progress(`bench: ${name}…`);
  const t0 = performance.now();
  try {
    rows.push(...(await runners[name]()));
  } catch (err) {
    rows.push({
      what: name,
      against: '—',
      target: '—',
      result: `not measured: ${(err as Error).message}`,
      status: 'not measured',
    });
  }
  progress(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const seconds = (performance.now() - started) / 1000;

const header =
  `RefX contract kit benchmark — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ` +
  `${config.rounds} rounds × ${config.durationSeconds} s, ${config.connections} connections, ` +
  `pipelining ${config.pipelining}; medians; total ${seconds.toFixed(0)} s`;
console.log(`${header}\n\n${renderTable(rows)}`);

const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
const report = {
  date: new Date().toISOString(),
  machine: { ...machine, loadAverageAtEnd: loadavg() },
  settings: {
    rounds: config.rounds,
    durationSeconds: config.durationSeconds,
    connections: config.connections,
    pipelining: config.pipelining,
    cpuProfile: values['cpu-prof'],
  },
  totalSeconds: seconds,
  rows,
};
await mkdir(RESULTS_DIR, { recursive: true });
const file = join(RESULTS_DIR, `bench-${stamp}.json`);
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
progress(`bench: raw figures in ${file}${values['cpu-prof'] ? `; profiles in ${profileDir}` : ''}`);
// A missed target is a failure of the run (the table still printed above).
if (rows.some((r) => r.status === 'fail')) process.exitCode = 1;
