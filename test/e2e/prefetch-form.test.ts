import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * The prefetch rules' form on the Settings screen (issue 32.3): a rule added row by row (when, which nodes, how many
 * priors, which modality, a night window), saved into dicom.ini as its words and applied at once; a rule written by
 * hand shows as a row.
 */
describe('PrefetchRules on the Settings screen', () => {
  const ui = uiSuite('prefetch-form');
  let archive: TestArchive;

  beforeAll(async () => {
    archive = await startArchive({ PrefetchRules: 'on arrival from OLDPACS newest 1' });
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
  });

  it('shows the rules as rows, adds one, and saves them as dicom.ini words', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/settings'));
    const form = ui.page.locator('[data-key=PrefetchRules] [data-testid=prefetch-rules]');
    const first = form.locator('[data-prefetch-rule="0"]');
    await expect.poll(() => first.locator('input[name=sources]').inputValue()).toBe('OLDPACS');
    expect(await first.locator('select').inputValue()).toBe('arrival');
    await form.getByRole('button', { name: 'Add a prefetch rule' }).click();
    const added = form.locator('[data-prefetch-rule="1"]');
    await added.locator('select').selectOption('order');
    await added.locator('input[name=sources]').fill('MAINPACS,WEBPACS');
    await added.locator('input[name=newest]').fill('2');
    await added.locator('input[name=modalities]').fill('ct');
    await added.locator('input[name=years]').fill('5');
    await added.locator('input[name=windowed]').check();
    await added.locator('input[name=from]').fill('20:00');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.locator('.saved .ok').first().waitFor();
    const ini = await readFile(path.join(archive.server.config.configDir, 'dicom.ini'), 'utf8');
    expect(ini).toMatch(
      /^PrefetchRules\s*= on arrival from OLDPACS newest 1; on order from MAINPACS,WEBPACS newest 2 modality CT years 5 between 20:00-06:00$/m,
    );
    expect(archive.server.core.settings.prefetchRules.map((r) => [r.trigger, r.sources, r.window])).toEqual([
      ['arrival', ['OLDPACS'], undefined],
      ['order', ['MAINPACS', 'WEBPACS'], [20 * 60, 6 * 60]],
    ]);
  }, 60_000);

  it('left no page errors', () => {
    expect(ui.errors).toEqual([]);
  });
});
