import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { makeImage, phantom, uid } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { launchChromium, newTestPage, screenshot, screenshotIfFailed } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * A DICOMweb node the way an admin and a technician meet it (issue 15): added on the Nodes screen with its URL,
 * tested there, then searched on the Query/Retrieve screen and a study retrieved from it with one button.
 */
describe('a DICOMweb node in the UI', () => {
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  let browser: Browser;
  let page: Page;
  const study = uid();
  const series = uid();
  const images = [1, 2].map((n) => makeImage({ patientId: 'WEBUI1', patientName: 'Webui^Patient', studyUid: study, seriesUid: series, instanceNumber: n,
    rows: 24, columns: 24, pixel: phantom(24, 24, n) }));

  beforeAll(async () => {
    archive = await startArchive();
    orthanc = await startOrthanc({ url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`, secret: archive.server.apiSecret });
    for (const img of images) await orthanc.rest('POST', '/instances', img.bytes);
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await orthanc?.stop();
    await archive?.stop();
  });

  const open = async (screen: string) => page.goto(await signInUrl(archive.server, `#/${screen}`));

  it('is added and tested on the Nodes screen', async () => {
    await open('nodes');
    await page.fill('input[name=web-name]', 'ORTHANCWEB');
    await page.fill('input[name=web-url]', `${orthanc.url}/dicom-web`);
    await page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = page.locator('tr[data-web-node=ORTHANCWEB]');
    await row.waitFor();
    expect(await readFile(path.join(archive.dataDir, 'config', 'dicomweb.map'), 'utf8')).toContain(`${orthanc.url}/dicom-web`);
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);
    await screenshot(page, 'nodes-dicomweb');
  });

  it('is searched on the Query/Retrieve screen, and a study retrieved from it', async () => {
    await open('query');
    await page.selectOption('select[name=node]', 'ORTHANCWEB');
    await page.fill('input[name=name]', 'webui');
    await page.getByRole('button', { name: 'Search' }).click();
    const found = page.locator('table.results > tbody > tr', { hasText: 'WEBUI1' });
    await found.waitFor();
    await found.getByRole('button', { name: 'Retrieve here' }).click();
    await page.locator('table.jobs tr.job-done', { hasText: 'get' }).waitFor({ timeout: 30_000 });
    for (const img of images) expect(await archive.server.index.findInstance(img.sopUid), img.sopUid).toBeDefined();
  });
});
