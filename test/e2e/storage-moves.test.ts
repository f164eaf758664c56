import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { until } from '../helpers/wait.ts';

/** Retiring a storage folder from the Monitor (issue 33.4): its studies moved onto another folder by a click. */
describe('moving a storage folder’s studies from the Monitor', () => {
  const ui = uiSuite('storage-moves');
  let archive: TestArchive;
  const study = uid();
  const images = [1, 2].map(() => makeImage({ rows: 8, columns: 8, studyUid: study }));

  beforeAll(async () => {
    archive = await startArchive({ MAGDevices: '2', MAGDevice0: 'storage', MAGDevice1: 'storage1' });
    const files = await writeImages(ui.work, images);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
  });

  it('moves every study of MAG0 to MAG1 on the button', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/monitor'));
    const line = ui.page.locator('[data-testid=storage-0]');
    await line.locator('select').selectOption('1');
    await line.getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => line.textContent()).toContain('1 studies queued to move');
    await until('both objects are on MAG1', async () => {
      const found = await Promise.all(images.map((i) => archive.server.core.index.findInstance(i.sopUid)));
      return found.every((f) => f?.location.device === 1);
    });
    // MAG1 has no studies to move elsewhere but MAG0: its own line offers MAG0.
    expect(await ui.page.locator('[data-testid=storage-1] select option').allTextContents()).toEqual(['MAG0']);
  }, 60_000);
});
