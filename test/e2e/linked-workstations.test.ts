import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * Two workstations linked over DICOMweb for good (issue 28.12): the admin of the first makes a key for the second on
 * the Users screen; the second adds the first as a DICOMweb node with that key, searches it and retrieves a study; the
 * link still works after the first restarts (a session would not), and no longer once the key is revoked.
 */
describe('two workstations linked by an API key', () => {
  const ui = uiSuite('linked', { acceptDialogs: true });
  let first: TestArchive;
  let second: TestArchive;
  const study = uid();
  let key = '';
  let address = '';
  const open = async (a: TestArchive, screen: string) => ui.page.goto(await signInUrl(a.server, `#/${screen}`));

  beforeAll(async () => {
    first = await startArchive({}, [], 'FIRSTWS');
    second = await startArchive({}, [], 'SECONDWS');
    const files = await writeImages(
      ui.work,
      [1, 2].map((n) =>
        makeImage({
          patientId: 'LINK1',
          patientName: 'Spojena^Lida',
          studyUid: study,
          instanceNumber: n,
          rows: 32,
          columns: 32,
          pixel: phantom(32, 32, n),
        }),
      ),
    );
    expect((await run('storescu', ['-aec', 'FIRSTWS', '127.0.0.1', String(first.port), ...files])).code).toBe(0);
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('makes a key for the other workstation on the Users screen, shown once with the DICOMweb address', async () => {
    await open(first, 'users');
    await ui.page.fill('input[name=key-name]', 'SECONDWS');
    await ui.page.getByRole('button', { name: 'Make a key' }).click();
    const made = ui.page.locator('.new-key');
    await made.waitFor();
    key = await made.locator('input[name=made-key]').inputValue();
    address = await made.locator('input[name=made-url]').inputValue();
    expect(key).toMatch(/^pacs_[\w-]{43}$/);
    expect(address).toBe(`http://127.0.0.1:${first.server.api!.port}/dicom-web`);
    await expect
      .poll(() => ui.page.locator('tr[data-key=SECONDWS]').textContent())
      .toMatch(/SECONDWS.*technician.*never/);
    await screenshot(ui.page, 'users-api-key');
    // Listed again, the key itself is nowhere on the page.
    await ui.page.reload();
    await ui.page.locator('tr[data-key=SECONDWS]').waitFor();
    expect(await ui.page.content()).not.toContain(key);
  });

  it('is added as a DICOMweb node by the other workstation, searched, and a study retrieved from it', async () => {
    await open(second, 'nodes');
    await ui.page.fill('input[name=web-name]', 'FIRSTWS');
    await ui.page.fill('input[name=web-url]', address);
    await ui.page.selectOption('select[name=web-auth]', 'bearer');
    await ui.page.fill('input[name=web-token]', key);
    await ui.page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = ui.page.locator('tr[data-web-node=FIRSTWS]');
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);
    await open(second, 'query');
    await ui.page.selectOption('select[name=node]', 'FIRSTWS');
    await ui.page.fill('input[name=name]', 'spojena');
    await ui.page.getByRole('button', { name: 'Search' }).click();
    const found = ui.page.locator('table.results > tbody > tr', { hasText: 'LINK1' });
    await found.getByRole('button', { name: 'Retrieve here' }).click();
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'get' }).waitFor({ timeout: 30_000 });
    expect((await second.server.index.counts()).instances).toBe(2);
  });

  it('keeps working after the first workstation restarts, and stops once the key is revoked', async () => {
    await first.restart();
    address = `http://127.0.0.1:${first.server.api!.port}/dicom-web`;
    // The restarted archive listens on a new port here (a test's free port); the node is pointed at it.
    await open(second, 'nodes');
    await ui.page.locator('tr[data-web-node=FIRSTWS]').getByRole('button', { name: 'Delete' }).click();
    await ui.page.locator('tr[data-web-node=FIRSTWS]').waitFor({ state: 'detached' });
    await ui.page.fill('input[name=web-name]', 'FIRSTWS');
    await ui.page.fill('input[name=web-url]', address);
    await ui.page.selectOption('select[name=web-auth]', 'bearer');
    await ui.page.fill('input[name=web-token]', key);
    await ui.page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = ui.page.locator('tr[data-web-node=FIRSTWS]');
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);

    await open(first, 'users');
    const listed = ui.page.locator('tr[data-key=SECONDWS]');
    await expect.poll(() => listed.textContent()).not.toMatch(/never/);
    await listed.getByRole('button', { name: 'Delete' }).click();
    await listed.waitFor({ state: 'detached' });
    await open(second, 'nodes');
    await ui.page.locator('tr[data-web-node=FIRSTWS]').getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => ui.page.locator('tr[data-web-node=FIRSTWS] .echo-result').textContent()).toMatch(/401/);
  });
});
