import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { until } from '../helpers/wait.ts';

/**
 * The Query/Retrieve screen of an archive in front of the hospital PACS (issue 32.2): "Everywhere" comes first and is
 * the same merged search its peers get (its own studies and the upstream's, each once); "Retrieve here" of a study
 * only upstream fetches it through the archive's own C-MOVE to itself, and the Studies screen shows it as cached from there.
 */
describe('searching everywhere on the Query/Retrieve screen', () => {
  const ui = uiSuite('virtual-search');
  let big: TestArchive;
  let cache: TestArchive;
  const upstreamStudy = uid();
  const localStudy = uid();

  beforeAll(async () => {
    big = await startArchive({}, [], 'BIGPACS');
    cache = await startArchive({ VirtualServerFor0: 'BIGPACS' }, [`BIGPACS 127.0.0.1 ${big.port} un`], 'CACHE');
    expect(
      (
        await apiFetch(big, 'POST', '/api/nodes', {
          ae: 'CACHE',
          host: '127.0.0.1',
          port: cache.port,
          compression: 'un',
        })
      ).status,
    ).toBe(200);
    const upstream = [1, 2].map(() =>
      makeImage({ patientId: 'E100', patientName: 'Daleka^Jana', studyUid: upstreamStudy, rows: 8, columns: 8 }),
    );
    expect((await storeAs(big, 'MODALITY', upstream, ui.work)).code).toBe(0);
    const here = [
      makeImage({ patientId: 'E200', patientName: 'Blizka^Eva', studyUid: localStudy, rows: 8, columns: 8 }),
    ];
    expect((await storeAs(cache, 'MODALITY', here, ui.work)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await cache?.stop();
    await big?.stop();
  });

  it('searches this archive with its upstream as one, and retrieves what only the upstream has', async () => {
    await ui.page.goto(await signInUrl(cache.server, '#/query'));
    const first = ui.page.locator('select[name=node] option').first();
    await expect.poll(() => first.textContent()).toBe('Everywhere: this archive and BIGPACS');
    await ui.page.getByRole('button', { name: 'Search', exact: true }).click();
    const rows = ui.page.locator('table.results > tbody > tr');
    await rows.filter({ hasText: 'E100' }).waitFor();
    await rows.filter({ hasText: 'E200' }).waitFor();
    expect(await rows.filter({ hasText: 'E100' }).count()).toBe(1);
    await rows.filter({ hasText: 'E100' }).getByRole('button', { name: 'Retrieve' }).click();
    await until(
      'the upstream study is here',
      async () =>
        (await cache.server.core.index.instancesMatching([])).filter((i) => i.studyInstanceUid === upstreamStudy)
          .length === 2,
    );
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'move' }).waitFor({ timeout: 30_000 });
    // On the Studies screen the fetched study is marked as the cache of the PACS it came from; its own is not.
    await ui.page.goto(await signInUrl(cache.server, '#/studies'));
    const studies = ui.page.locator('table.results > tbody > tr');
    await studies.filter({ hasText: 'E100' }).locator('.badge.cached', { hasText: 'cached from BIGPACS' }).waitFor();
    await studies.filter({ hasText: 'E200' }).waitFor();
    expect(await studies.filter({ hasText: 'E200' }).locator('.badge.cached').count()).toBe(0);
  }, 60_000);
});
