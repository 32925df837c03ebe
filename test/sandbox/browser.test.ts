/**
 * sandbox > browser: Debian's Chromium (driven by playwright-core) opens a link made with the typed
 * client, sees the pre-filled form (styled: the CSP hash admits the stylesheet; no CSP violation),
 * then sees the "no longer valid" page on the second visit. Screenshots go to artifacts/.
 * Without Chromium the test is skipped with install instructions, except under CI=true.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRefxClient } from '../../src/client/index.ts';
import { chromiumSkipReason, launchChromium } from '../support/chromium.ts';
import { fullRequest, startTestSandbox, type TestSandbox } from './helpers.ts';

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const skipReason = chromiumSkipReason();

let sb: TestSandbox | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (skipReason) return;
  sb = await startTestSandbox();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  sb?.expectCleanLogs();
  await sb?.close();
});

describe('sandbox > browser', () => {
  test('a link opens the pre-filled form once, then the "no longer valid" page', async (ctx) => {
    if (skipReason) {
      ctx.skip(skipReason);
      return;
    }
    const sandbox = sb!;
    // Given a link created with the typed client,
    const body = { ...fullRequest(), patientName: 'Lim Browser-Check', patientUin: 'S7654321B' };
    sandbox.secrets.add(body.patientName).add(body.patientUin);
    const refx = createRefxClient({ baseUrl: sandbox.url, auth: { apiKey: sandbox.key } });
    const result = await refx.createUpsertLink(body);
    if (!result.ok) throw new Error(`upsert failed with ${result.status}`);
    sandbox.secrets.add(new URL(result.link.url).searchParams.get('token')!);

    const context = await browser!.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
      });

      // when it is opened in the browser, then the form shows the referrer and patient values,
      const first = await page.goto(result.link.url);
      expect(first?.status()).toBe(200);
      expect(await page.title()).toBe('RefX referral form (sandbox)');
      await expect.poll(() => page.getByRole('note').textContent()).toContain('Sandbox — not the real RefX');
      const values: [string, string][] = [
        ['Institution', body.referrerInstitutionName],
        ['Referring doctor', body.referrerName],
        ['Requested by', body.requesterIdentifier],
        ['Name', body.patientName],
        ['NRIC / FIN', body.patientUin],
        ['Date of birth', body.patientDob!],
        ['Phone number', body.patientPhoneNumber!],
        ['Gender', body.patientGender!],
        ['Nationality', body.nationality!],
        ['Postal code', body.address!.postalCode],
        ['Clinic type', body.clinicType!],
        ['Clinical information', body.clinicalInfo!],
      ];
      for (const [label, value] of values) {
        expect(await page.getByLabel(label, { exact: true }).inputValue(), label).toBe(value);
      }
      expect(await page.getByLabel('Enrolled in Healthier SG').isChecked()).toBe(true);
      // the stylesheet applied (allowed by its CSP hash) and nothing was blocked.
      const bannerBackground = await page.getByRole('note').evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(bannerBackground).toBe('rgb(255, 244, 214)');
      expect(cspViolations).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}sandbox-form.png`, fullPage: true });

      // When it is opened again, then it is the "no longer valid" page.
      const second = await page.goto(result.link.url);
      expect(second?.status()).toBe(410);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('This link is no longer valid');
      expect(await page.content()).not.toContain(body.patientName);
      await page.screenshot({ path: `${ARTIFACTS}sandbox-link-gone.png`, fullPage: true });
    } finally {
      await context.close();
    }
  }, 90_000);
});
