/**
 * Writes spec/components/schemas/Nationality.yaml from test/facts/nationality.json, the exact list
 * of 255 values in RefX's SDK order (copied from RefX; odd spellings are real). Run it when RefX
 * publishes a new list: `npx tsx scripts/import-nationality.ts`. The list is never retyped by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

const root = new URL('..', import.meta.url);
const values = JSON.parse(readFileSync(new URL('test/facts/nationality.json', root), 'utf8')) as unknown;
if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
  throw new Error('test/facts/nationality.json must be an array of strings');
}
const header =
  '# Imported from test/facts/nationality.json by scripts/import-nationality.ts; do not retype.\n';
const schema = {
  type: 'string',
  title: 'Nationality',
  description: `Patient nationality: one of the ${values.length} values of RefX's SDK, spelt exactly as RefX spells them.`,
  enum: values,
};
writeFileSync(new URL('spec/components/schemas/Nationality.yaml', root), header + stringify(schema));
console.log(`wrote spec/components/schemas/Nationality.yaml (${values.length} values)`);
