import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { launchChromium, screenshot, screenshotIfFailed } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * The UI on a clinic's 1366x768 laptop screen (issue 28.12), in English and in German (whose words are longest): the top
 * bar on one line, the study list showing most of a page of studies without scrolling, each row's actions on one line,
 * no button whose word is cut, and the viewer's toolbar on one row.
 */

/** Everything clipped on the page: a button, link or select whose text is wider than its box. */
const CLIPPED = `(() => [...document.querySelectorAll('button, a.button, select, nav.top a')]
  .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map((e) => (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)))()`;

describe.each([{ lang: 'en' }, { lang: 'de' }])('a 1366x768 screen in $lang', ({ lang }) => {
  let archive: TestArchive;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let work: string;
  const studies = Array.from({ length: 12 }, () => uid());
  const base = (hash: string) => signInUrl(archive.server, hash);

  beforeAll(async () => {
    archive = await startArchive({}, ['PACS1 127.0.0.1 104 un', 'ARCHIVE2 127.0.0.1 105 un'], 'WORKSTATION');
    work = await mkdtemp(path.join(tmpdir(), `pacs-small-${lang}-`));
    const images = studies.flatMap((study, i) =>
      [1, 2].map((n) =>
        makeImage({
          patientId: `SMALL${i}`,
          patientName: 'Dvorakova-Novakova^Alzbeta Marie^^Ing.',
          studyUid: study,
          studyDate: `202611${String(10 + i)}`,
          instanceNumber: n,
          rows: 64,
          columns: 64,
          pixel: phantom(64, 64, n),
          accessionNumber: `ACC2026${i}`,
          studyDescription: 'CT Hrudnik s kontrastem, protokol plicni embolie',
        }),
      ),
    );
    const sent = await run('storescu', [
      '-aec',
      'WORKSTATION',
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, images)),
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    browser = await launchChromium();
    context = await browser.newContext({
      locale: lang === 'de' ? 'de-DE' : 'en-GB',
      viewport: { width: 1366, height: 768 },
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('keeps the top bar on one line', async () => {
    await page.goto(await base(`#/studies`));
    await page.locator('tr[data-study]').first().waitFor();
    const tops = await page
      .locator('nav.top > *')
      .evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().bottom)));
    const navHeight = await page.locator('nav.top').evaluate((e) => e.getBoundingClientRect().height);
    expect(Math.max(...tops)).toBeLessThanOrEqual(navHeight);
    const overflow = await page.locator('nav.top').evaluate((e) => e.scrollWidth - e.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('shows eight or more studies without scrolling, each row on one line, no word cut', async () => {
    await page.goto(await base(`#/studies`));
    await page.locator('tr[data-study]').nth(11).waitFor();
    const rows = await page.locator('tr[data-study]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()));
    const visible = rows.filter((r) => r.bottom <= 768).length;
    const heights = rows.map((r) => r.height);
    console.log(lang, 'visible', visible, 'heights', heights.slice(0, 3));
    expect(visible).toBeGreaterThanOrEqual(8);
    expect(await page.evaluate(CLIPPED)).toEqual([]);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    await screenshot(page, `small-screen-studies-${lang}`);
  });

  it("has the viewer's tools on one row", async () => {
    await page.goto(await base(`#/viewer/${studies[0]}`));
    await page.locator('[data-testid=viewport-state]').first().waitFor();
    const items = await page
      .locator('.toolbar > *')
      .evaluateAll((els) =>
        els.filter((e) => e.getClientRects().length > 0).map((e) => Math.round(e.getBoundingClientRect().top)),
      );
    console.log(lang, 'toolbar tops', [...new Set(items)]);
    expect(new Set(items).size).toBe(1);
    expect(await page.evaluate(CLIPPED)).toEqual([]);
    await screenshot(page, `small-screen-viewer-${lang}`);
  });
});
