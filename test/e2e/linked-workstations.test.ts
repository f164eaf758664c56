import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { launchChromium, newTestPage, screenshot, screenshotIfFailed } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * Two workstations linked over DICOMweb for good (issue 28.12): the admin of the first makes a key for the second on
 * the Users screen; the second adds the first as a DICOMweb node with that key, searches it and retrieves a study; the
 * link still works after the first restarts (a session would not), and no longer once the key is revoked.
 */
describe('two workstations linked by an API key', () => {
  let first: TestArchive;
  let second: TestArchive;
  let browser: Browser;
  let page: Page;
  let work: string;
  const study = uid();
  let key = '';
  let address = '';
  const open = async (a: TestArchive, screen: string) => page.goto(await signInUrl(a.server, `#/${screen}`));

  beforeAll(async () => {
    first = await startArchive({}, [], 'FIRSTWS');
    second = await startArchive({}, [], 'SECONDWS');
    work = await mkdtemp(path.join(tmpdir(), 'pacs-linked-'));
    const files = await writeImages(work, [1, 2].map((n) => makeImage({ patientId: 'LINK1', patientName: 'Spojena^Lida', studyUid: study, instanceNumber: n,
      rows: 32, columns: 32, pixel: phantom(32, 32, n) })));
    expect((await run('storescu', ['-aec', 'FIRSTWS', '127.0.0.1', String(first.port), ...files])).code).toBe(0);
    browser = await launchChromium();
    page = await newTestPage(browser);
    page.on('dialog', (d) => void d.accept());
  });
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await first?.stop();
    await second?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('makes a key for the other workstation on the Users screen, shown once with the DICOMweb address', async () => {
    await open(first, 'users');
    await page.fill('input[name=key-name]', 'SECONDWS');
    await page.getByRole('button', { name: 'Make a key' }).click();
    const made = page.locator('.new-key');
    await made.waitFor();
    key = await made.locator('input[name=made-key]').inputValue();
    address = await made.locator('input[name=made-url]').inputValue();
    expect(key).toMatch(/^pacs_[\w-]{43}$/);
    expect(address).toBe(`http://127.0.0.1:${first.server.api!.port}/dicom-web`);
    await expect.poll(() => page.locator('tr[data-key=SECONDWS]').textContent()).toMatch(/SECONDWS.*technician.*never/);
    await screenshot(page, 'users-api-key');
    // Listed again, the key itself is nowhere on the page.
    await page.reload();
    await page.locator('tr[data-key=SECONDWS]').waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('is added as a DICOMweb node by the other workstation, searched, and a study retrieved from it', async () => {
    await open(second, 'nodes');
    await page.fill('input[name=web-name]', 'FIRSTWS');
    await page.fill('input[name=web-url]', address);
    await page.selectOption('select[name=web-auth]', 'bearer');
    await page.fill('input[name=web-token]', key);
    await page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = page.locator('tr[data-web-node=FIRSTWS]');
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);
    await open(second, 'query');
    await page.selectOption('select[name=node]', 'FIRSTWS');
    await page.fill('input[name=name]', 'spojena');
    await page.getByRole('button', { name: 'Search' }).click();
    const found = page.locator('table.results > tbody > tr', { hasText: 'LINK1' });
    await found.getByRole('button', { name: 'Retrieve here' }).click();
    await page.locator('table.jobs tr.job-done', { hasText: 'get' }).waitFor({ timeout: 30_000 });
    expect((await second.server.index.counts()).instances).toBe(2);
  });

  it('keeps working after the first workstation restarts, and stops once the key is revoked', async () => {
    await first.restart();
    address = `http://127.0.0.1:${first.server.api!.port}/dicom-web`;
    // The restarted archive listens on a new port here (a test's free port); the node is pointed at it.
    await open(second, 'nodes');
    await page.locator('tr[data-web-node=FIRSTWS]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-web-node=FIRSTWS]').waitFor({ state: 'detached' });
    await page.fill('input[name=web-name]', 'FIRSTWS');
    await page.fill('input[name=web-url]', address);
    await page.selectOption('select[name=web-auth]', 'bearer');
    await page.fill('input[name=web-token]', key);
    await page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = page.locator('tr[data-web-node=FIRSTWS]');
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);

    await open(first, 'users');
    const listed = page.locator('tr[data-key=SECONDWS]');
    await expect.poll(() => listed.textContent()).not.toMatch(/never/);
    await listed.getByRole('button', { name: 'Delete' }).click();
    await listed.waitFor({ state: 'detached' });
    await open(second, 'nodes');
    await page.locator('tr[data-web-node=FIRSTWS]').getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => page.locator('tr[data-web-node=FIRSTWS] .echo-result').textContent()).toMatch(/401/);
  });
});
