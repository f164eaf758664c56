import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { makeImage, phantom, uid } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * A DICOMweb node the way an admin and a technician meet it (issue 15): added on the Nodes screen with its URL,
 * tested there, then searched on the Query/Retrieve screen and a study retrieved from it with one button.
 */
describe('a DICOMweb node in the UI', () => {
  const ui = uiSuite('dicomweb-nodes');
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  const study = uid();
  const series = uid();
  const images = [1, 2].map((n) =>
    makeImage({
      patientId: 'WEBUI1',
      patientName: 'Webui^Patient',
      studyUid: study,
      seriesUid: series,
      instanceNumber: n,
      rows: 24,
      columns: 24,
      pixel: phantom(24, 24, n),
    }),
  );

  beforeAll(async () => {
    archive = await startArchive();
    orthanc = await startOrthanc({
      url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`,
      secret: archive.server.apiSecret,
    });
    for (const img of images) await orthanc.rest('POST', '/instances', img.bytes);
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await archive?.stop();
  });

  const open = async (screen: string) => ui.page.goto(await signInUrl(archive.server, `#/${screen}`));

  it('is added and tested on the Nodes screen', async () => {
    await open('nodes');
    await ui.page.fill('input[name=web-name]', 'ORTHANCWEB');
    await ui.page.fill('input[name=web-url]', `${orthanc.url}/dicom-web`);
    await ui.page.getByRole('button', { name: 'Add DICOMweb node' }).click();
    const row = ui.page.locator('tr[data-web-node=ORTHANCWEB]');
    await row.waitFor();
    expect(await readFile(path.join(archive.dataDir, 'config', 'dicomweb.map'), 'utf8')).toContain(
      `${orthanc.url}/dicom-web`,
    );
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);
    await screenshot(ui.page, 'nodes-dicomweb');
  });

  it('is searched on the Query/Retrieve screen, and a study retrieved from it', async () => {
    await open('query');
    await ui.page.selectOption('select[name=node]', 'ORTHANCWEB');
    await ui.page.fill('input[name=name]', 'webui');
    await ui.page.getByRole('button', { name: 'Search' }).click();
    const found = ui.page.locator('table.results > tbody > tr', { hasText: 'WEBUI1' });
    await found.waitFor();
    await found.getByRole('button', { name: 'Retrieve here' }).click();
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'get' }).waitFor({ timeout: 30_000 });
    for (const img of images) expect(await archive.server.index.findInstance(img.sopUid), img.sopUid).toBeDefined();
  });
});
