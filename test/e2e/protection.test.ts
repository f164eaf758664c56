import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/** Protecting a study from deletion on the Studies screen, and the deletions on the Monitor (issue 13). */
describe('protected studies and deletions in the UI', () => {
  const ui = uiSuite('protect', { acceptDialogs: true });
  let archive: TestArchive;
  const studyUid = uid();

  beforeAll(async () => {
    archive = await startArchive();
    const files = await writeImages(ui.work, [
      makeImage({ patientId: 'KEEP1', patientName: 'Keep^Me', studyUid, rows: 8, columns: 8 }),
    ]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
  });

  const open = async (screen: string) => ui.page.goto(await signInUrl(archive.server, `#/${screen}`));

  it('protects a study so that Delete is not offered, and deletes it once unprotected; the Monitor lists it', async () => {
    await open('studies');
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Protect', exact: true }).click();
    await expect
      .poll(() => row.getByRole('button', { name: 'Protected', exact: true }).getAttribute('aria-pressed'))
      .toBe('true');
    expect(await archive.server.index.protectedStudies()).toEqual([studyUid]);
    // Delete is not offered while protected (it would ask "cannot be undone" and then be refused), and says why.
    const refusedDelete = row.getByRole('button', { name: 'Delete' });
    expect(await refusedDelete.isDisabled()).toBe(true);
    expect(await refusedDelete.getAttribute('title')).toBe(
      'A protected study cannot be deleted: remove its protection first',
    );
    expect(await archive.server.index.findPatient('KEEP1')).toBeDefined();

    await row.getByRole('button', { name: 'Protected', exact: true }).click();
    await expect
      .poll(() => row.getByRole('button', { name: 'Protect', exact: true }).getAttribute('aria-pressed'))
      .toBe('false');
    await row.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => ui.page.locator(`tr[data-study="${studyUid}"]`).count()).toBe(0);

    await open('monitor');
    const deleted = ui.page.locator('table.deletions tr', { hasText: 'KEEP1' });
    await deleted.waitFor();
    expect(await deleted.textContent()).toMatch(/Keep.*KEEP1.*deleted by the user/);
  }, 60_000);
});
