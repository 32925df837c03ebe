/**
 * docs: `npm run docs` builds a page that a real browser renders with no network, and that shows
 * the operation, every request field and every enum value of the spec. What to look for is read
 * from the bundled spec, so a field or value added to spec/ is checked without touching this file.
 *
 * Needs Debian's Chromium (`apt-get install -y chromium`). Without it the suite is skipped locally,
 * but under CI=true it runs (and fails), so CI cannot pass without the browser test.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDocs } from '../../scripts/docs.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { ROOT } from '../../scripts/generate.ts';
import { resolveRef, spec, upsertOperation, UPSERT_OPERATION_ID, UPSERT_PATH, type JsonSchema } from '../../src/spec.ts';

const SCREENSHOT = join(ROOT, 'artifacts', 'docs.png');
const skipReason = chromiumSkipReason();
if (skipReason) console.warn(`docs browser test skipped: ${skipReason}`);

// What the page must show, derived from the spec.
const requestSchema = resolveRef(upsertOperation.requestBody.content['application/json']!.schema);
const properties = (schema: JsonSchema): Record<string, JsonSchema> => (schema.properties ?? {}) as Record<string, JsonSchema>;
/** Top-level request fields, and nested ones as Redoc names them (`address.postalCode`). */
const requestFields: string[] = Object.entries(properties(requestSchema)).flatMap(([name, raw]) => [
  name,
  ...Object.keys(properties(resolveRef(raw))).map((sub) => `${name}.${sub}`),
]);
/** Every enum of the spec, by component name. */
const enums: [string, string[]][] = Object.entries(spec.components.schemas)
  .filter(([, schema]) => Array.isArray(schema.enum))
  .map(([name, schema]) => [name, (schema.enum as unknown[]).map(String)]);

/** Blocks every request that is not the page itself, and records what was attempted. */
interface Blocked {
  url: string;
  type: string;
}

/** Opens every collapsed part of Redoc's page: the tag's operations, all schemas, long enums. */
async function expandEverything(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^\+\s*Show$/ }).first().click();
  await page.getByRole('button', { name: 'Expand all' }).first().click();
  // "+245 more" on long enums, "+Show 5 properties" on nested objects. Bounded: each click removes one.
  const more = page.getByRole('button', { name: /^\+\s*(\d+ more|Show \d+ propert)/ });
  for (let i = 0; i < 50 && (await more.count()) > 0; i++) await more.first().click();
  expect(await more.count(), 'every collapsed section opened').toBe(0);
}

describe.skipIf(skipReason !== undefined)('docs > reference page in Chromium', () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  const blocked: Blocked[] = [];
  /** The page's visible text with Redoc's zero-width break hints removed, one item per line. */
  let lines: Set<string>;
  let text: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'refx-docs-'));
    const html = await buildDocs(join(dir, 'index.html'));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.route('**/*', (route) => {
      const request = route.request();
      if (/^(file|data|blob):/.test(request.url())) return route.continue();
      blocked.push({ url: request.url(), type: request.resourceType() });
      return route.abort('internetdisconnected');
    });
    await page.goto(pathToFileURL(html).href);
    await expandEverything(page);
    text = (await page.locator('body').innerText()).replace(/\u200b/g, '');
    lines = new Set(text.split('\n').map((l) => l.trim()));
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('docs > renders offline: no script, style, font or data is fetched from the network', () => {
    // Only the Redocly attribution logo (an image) is remote; everything that renders is inlined.
    expect(blocked.filter((b) => b.type !== 'image')).toEqual([]);
  });

  test('docs > shows the operation: summary, method and path, and its operationId anchor', async () => {
    const { summary } = upsertOperation as unknown as { summary: string };
    expect(lines).toContain(summary);
    expect(text).toMatch(new RegExp(`POST\\s*${UPSERT_PATH}`));
    // Redoc anchors each operation at `<tag>/<operationId in lower case>`.
    expect(await page.locator(`[id$="/${UPSERT_OPERATION_ID.toLowerCase()}"]`).count()).toBeGreaterThan(0);
  });

  test.each(requestFields)('docs > request field %s is listed', (name) => {
    expect(lines).toContain(name);
  });

  test.each(enums)('docs > every value of enum %s is listed', (_name, values) => {
    const missing = values.filter((v) => !lines.has(JSON.stringify(v)));
    expect(missing).toEqual([]);
  });

  test('docs > a screenshot of the operation is kept in artifacts/docs.png', async () => {
    await mkdir(join(ROOT, 'artifacts'), { recursive: true });
    await page.locator(`[id$="/${UPSERT_OPERATION_ID.toLowerCase()}"]`).first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
  });
});
