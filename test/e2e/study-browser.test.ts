import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';

/**
 * The study list as technicians use it (issue 18): birth date, sex and series count, quick date filters, sorting from
 * the keyboard, a double click to open, files and ZIPs dropped on the screen to import, the archive's own size on the
 * Monitor, and the dark theme, remembered.
 */
describe('the study browser', () => {
  const ui = uiSuite('browser', { viewport: { width: 1400, height: 900 } });
  let archive: TestArchive;
  const todayDa = (() => {
    const d = new Date();
    return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
  })();
  const today = { study: uid() };
  const old = { study: uid() };

  beforeAll(async () => {
    archive = await startArchive({}, [], 'WORKSTATION');
    const images = [
      makeImage({ patientId: 'TODAY1', patientName: 'Dnes^Dana', studyUid: today.study, studyDate: todayDa }),
      ...[1, 2].map((n) =>
        makeImage({
          patientId: 'OLD1',
          patientName: 'Stary^Stan',
          studyUid: old.study,
          studyDate: '20200102',
          seriesUid: uid(),
          seriesNumber: n,
        }),
      ),
    ];
    expect(
      (
        await run('storescu', [
          '-aec',
          'WORKSTATION',
          '127.0.0.1',
          String(archive.port),
          ...(await writeImages(ui.work, images)),
        ])
      ).code,
    ).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const rows = () => ui.page.locator('tr[data-study]');

  it('shows birth date, sex and series, filters today with one click, and sorts from the keyboard', async () => {
    await ui.page.goto(await signInUrl(archive.server, `#/studies`));
    await expect.poll(() => rows().count()).toBe(2);
    const oldRow = ui.page.locator(`tr[data-study="${old.study}"]`);
    expect(await oldRow.textContent()).toMatch(/Stary, Stan.*OLD1.*1970.*O.*2020.*CT.*2.*2/);
    await ui.page.getByRole('group', { name: 'Study date' }).getByRole('button', { name: 'Today' }).click();
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().getAttribute('data-study')).toBe(today.study);
    await ui.page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(2);
    const dateHeader = ui.page.getByRole('columnheader', { name: /^Date/ });
    await dateHeader.getByRole('button').focus();
    await ui.page.keyboard.press('Enter');
    await expect.poll(() => dateHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await rows().first().getAttribute('data-study')).toBe(old.study);
    await ui.page.keyboard.press('Enter');
    await expect.poll(() => dateHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await ui.page.getByRole('columnheader', { name: /^Patient$/ }).getAttribute('aria-sort')).toBe('none');
  });

  it('imports a file and a ZIP dropped on the screen', async () => {
    const dropped = makeImage({ patientId: 'DROP1', patientName: 'Drop^Dora', studyUid: uid() });
    const zipped = await writeImages(path.join(ui.work, 'zip'), [makeImage({ patientId: 'ZIPPED1', studyUid: uid() })]);
    const zip = path.join(ui.work, 'dropped.zip');
    expect(
      (
        await run('/usr/bin/python3', [
          '-c',
          `import zipfile\nz = zipfile.ZipFile(${JSON.stringify(zip)}, 'w', zipfile.ZIP_DEFLATED)\nz.write(${JSON.stringify(zipped[0])}, 'IMG1')\nz.close()`,
        ])
      ).code,
    ).toBe(0);
    const files = [
      { name: 'dropped.dcm', type: 'application/dicom', bytes: [...dropped.bytes] },
      { name: 'dropped.zip', type: 'application/zip', bytes: [...(await readFile(zip))] },
    ];
    const transfer = await ui.page.evaluateHandle((list) => {
      // (test/ is typed without the DOM library: the page's constructors, as much of them as is used)
      const w = globalThis as unknown as {
        DataTransfer: new () => { items: { add(f: unknown): void } };
        File: new (parts: unknown[], name: string, o: { type: string }) => unknown;
      };
      const dt = new w.DataTransfer();
      for (const f of list) dt.items.add(new w.File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      return dt;
    }, files);
    await ui.page.locator('[data-testid=drop-zone]').dispatchEvent('dragover', { dataTransfer: transfer });
    await ui.page.locator('[data-testid=drop-zone]').dispatchEvent('drop', { dataTransfer: transfer });
    await expect.poll(() => ui.page.locator('.import-report').textContent()).toMatch(/^2 imported, 0 already here/);
    await expect.poll(() => rows().count()).toBe(4);
  });

  it('opens a study with a double click', async () => {
    await ui.page.locator(`tr[data-study="${old.study}"] td`).nth(1).dblclick();
    await expect.poll(() => ui.page.url()).toContain(`#/viewer/${old.study}`);
    await ui.page.locator('[data-testid=viewport-state]').first().waitFor();
  });

  it("shows the archive's own size, and keeps the dark theme once chosen", async () => {
    await ui.page.getByRole('link', { name: 'Monitor', exact: true }).click();
    await expect
      .poll(() => ui.page.locator('[data-testid=archive-size]').textContent())
      .toMatch(/The archive takes \d+(\.\d+)? (kB|KB|MB)/);
    await ui.page.getByRole('button', { name: 'Dark' }).click();
    await expect.poll(() => ui.page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    const bg = await ui.page.evaluate('getComputedStyle(document.querySelector(".panel")).backgroundColor');
    expect(bg).toBe('rgb(23, 28, 35)');
    await screenshot(ui.page, 'monitor-dark');
    await ui.page.reload();
    await expect.poll(() => ui.page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await ui.page.getByRole('button', { name: 'Light' }).click();
    await expect.poll(() => ui.page.evaluate('document.documentElement.dataset.theme')).toBe('light');
    expect(ui.errors).toEqual([]);
  });
});
