import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { launchChromium, newTestPage, screenshotIfFailed } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/** Protecting a study from deletion on the Studies screen, and the deletions on the Monitor (issue 13). */
describe('protected studies and deletions in the UI', () => {
  let archive: TestArchive;
  let browser: Browser;
  let page: Page;
  let work: string;
  const studyUid = uid();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-protect-'));
    const files = await writeImages(work, [makeImage({ patientId: 'KEEP1', patientName: 'Keep^Me', studyUid, rows: 8, columns: 8 })]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(0);
    browser = await launchChromium();
    page = await newTestPage(browser);
    page.on('dialog', (d) => void d.accept());
  }, 60_000);
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const open = async (screen: string) => page.goto(await signInUrl(archive.server, `#/${screen}`));

  it('protects a study so that Delete is not offered, and deletes it once unprotected; the Monitor lists it', async () => {
    await open('studies');
    const row = page.locator(`tr[data-study="${studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Protect', exact: true }).click();
    await expect.poll(() => row.getByRole('button', { name: 'Protected', exact: true }).getAttribute('aria-pressed')).toBe('true');
    expect(await archive.server.index.protectedStudies()).toEqual([studyUid]);
    // Delete is not offered while protected (it would ask "cannot be undone" and then be refused), and says why.
    const refusedDelete = row.getByRole('button', { name: 'Delete' });
    expect(await refusedDelete.isDisabled()).toBe(true);
    expect(await refusedDelete.getAttribute('title')).toBe('A protected study cannot be deleted: remove its protection first');
    expect(await archive.server.index.findPatient('KEEP1')).toBeDefined();

    await row.getByRole('button', { name: 'Protected', exact: true }).click();
    await expect.poll(() => row.getByRole('button', { name: 'Protect', exact: true }).getAttribute('aria-pressed')).toBe('false');
    await row.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator(`tr[data-study="${studyUid}"]`).count()).toBe(0);

    await open('monitor');
    const deleted = page.locator('table.deletions tr', { hasText: 'KEEP1' });
    await deleted.waitFor();
    expect(await deleted.textContent()).toMatch(/Keep.*KEEP1.*deleted by the user/);
  }, 60_000);
});
