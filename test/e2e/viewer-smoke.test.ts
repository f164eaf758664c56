import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { collectPageErrors, launchChromium, screenshot, viewportPixels } from '../helpers/browser.ts';

describe('viewer smoke', () => {
  let archive: TestArchive;
  let browser: Browser;
  let page: Page;
  let work: string;
  let errors: string[];
  const studyUid = uid();
  const seriesUid = uid();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-e2e-'));
    const images = [0, 1, 2].map((i) => makeImage({ studyUid, seriesUid, rows: 256, columns: 256, instanceNumber: i + 1, pixel: phantom(256, 256, i), rescaleIntercept: -1024 }));
    const r = await run('storescu', ['-aet', 'MODALITY', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...await writeImages(work, images)]);
    expect(r.code).toBe(0);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    errors = collectPageErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('shows the image', async () => {
    await page.goto(`http://127.0.0.1:${archive.server.api!.port}/?token=${archive.server.apiSecret}#/viewer/${studyUid}`);
    await page.waitForSelector('.viewport canvas');
    await page.waitForFunction(() => document.querySelector('[data-testid=viewport-state]')?.textContent?.includes('Image 1/3'));
    const px = await viewportPixels(page);
    await screenshot(page, 'smoke-viewer');
    console.log(px.mean, px.lit, errors);
    expect(px.lit).toBeGreaterThan(1000);
  });
});
