import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/storescp.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';

/**
 * Words and defaults a technician meets on the first day (issue 11): names read family name first and found without
 * their accents, our own AE title never offered as a destination, a node's AE title not replaced without asking, a
 * sent study's job followed to its end and named by its patient, remote results that are here already marked.
 */
describe('first day in the UI', () => {
  const ui = uiSuite('first-day');
  let local: TestArchive;
  let remote: TestArchive;
  const dvorak = { study: uid(), name: Buffer.from('Dvořák^Jiří', 'utf8') };
  const muller = { study: uid(), name: Buffer.from('Müller^Hans', 'utf8') };
  const open = async (screen: string) => ui.page.goto(await signInUrl(local.server, `#/${screen}`));
  const store = async (port: number, ae: string, files: string[]) =>
    expect((await run('storescu', ['-aec', ae, '127.0.0.1', String(port), ...files])).code).toBe(0);

  beforeAll(async () => {
    // The remote matches names forgivingly (dicom.ini NameMatching), so "mueller" finds Müller there too.
    remote = await startArchive({ NameMatching: 'forgiving' }, [], 'REMOTEPACS');
    // As many sites have it: acrnema.map lists this workstation itself first (for the peers' moves back to it).
    // DOWN: a node whose computer is off (nothing listens on its port).
    local = await startArchive(
      {},
      [
        `WORKSTATION 127.0.0.1 11112 un`,
        `REMOTEPACS 127.0.0.1 ${remote.port} un`,
        `DOWN 127.0.0.1 ${await freePort()} un`,
      ],
      'WORKSTATION',
    );
    remote.server.config.nodes.upsert({ ae: 'WORKSTATION', host: '127.0.0.1', port: local.port, compression: 'un' });
    const utf8 = { specificCharacterSet: 'ISO_IR 192' };
    const d = await writeImages(path.join(ui.work, 'd'), [
      makeImage({ ...utf8, patientId: 'PDV', patientName: dvorak.name, studyUid: dvorak.study }),
    ]);
    const m = await writeImages(path.join(ui.work, 'm'), [
      makeImage({ ...utf8, patientId: 'PMU', patientName: muller.name, studyUid: muller.study }),
    ]);
    await store(remote.port, 'REMOTEPACS', [...d, ...m]);
    await store(local.port, 'WORKSTATION', d); // Dvořák is here already; Müller only on the remote
  });
  afterAll(async () => {
    await local?.stop();
    await remote?.stop();
  });

  const search = async (name: string) => {
    await ui.page.locator('.search-form input').first().fill(name);
    await ui.page.getByRole('button', { name: 'Search', exact: true }).click();
  };

  it('shows names family name first and finds them without accents', async () => {
    await open('studies');
    await search('dvorak');
    await expect.poll(() => ui.page.locator('table.results tbody tr').first().textContent()).toContain('Dvořák, Jiří');
    await search('DVORAK^JIRI');
    await expect.poll(() => ui.page.locator(`tr[data-study="${dvorak.study}"]`).count()).toBe(1);
    // Each row shows the study's picture, rendered by the core.
    const thumb = ui.page.locator(`tr[data-study="${dvorak.study}"] .study-thumb img`);
    await expect
      .poll(() => thumb.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(48);
  });

  it('never offers this workstation as the destination of a send, and follows the job to its end', async () => {
    await open('studies');
    await search('dvořák');
    const row = ui.page.locator(`tr[data-study="${dvorak.study}"]`);
    await row.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => row.getByLabel('Send to').locator('option').allTextContents()).toContain('REMOTEPACS');
    expect(await row.getByLabel('Send to').locator('option').allTextContents()).not.toContain('WORKSTATION');
    await row.getByLabel('Send to').selectOption('REMOTEPACS');
    await row.getByRole('button', { name: 'Send now' }).click();
    await expect.poll(() => row.locator('.job-state').textContent()).toMatch(/job \d+ done 1 \/ 1/);
    await open('monitor');
    const link = ui.page.locator('table.jobs .job-study a', { hasText: 'Dvořák, Jiří' });
    await expect.poll(() => link.getAttribute('href')).toBe(`#/viewer/${dvorak.study}`);
  });

  it('says on the row why a send waits, not only "queued"', async () => {
    await open('studies');
    const row = ui.page.locator(`tr[data-study="${dvorak.study}"]`);
    await row.getByRole('button', { name: 'Send', exact: true }).click();
    await row.getByLabel('Send to').selectOption('DOWN');
    await row.getByRole('button', { name: 'Send now' }).click();
    await expect
      .poll(() => row.locator('.job-state').textContent())
      .toMatch(/^job \d+ queued 0 \/ 1: cannot connect to DOWN at 127\.0\.0\.1:\d+: .* \(next try at .+\)$/);
    expect(await row.locator('.job-state').getAttribute('class')).toContain('warning');
  });

  it('searches a remote node, never this workstation, and marks the studies that are here already', async () => {
    await open('query');
    const nodes = ui.page.locator('select[name=node] option');
    await expect.poll(() => nodes.allTextContents()).toContainEqual(expect.stringMatching(/^REMOTEPACS /));
    expect(await nodes.allTextContents()).not.toContainEqual(expect.stringMatching(/^WORKSTATION /));
    await ui.page.locator('select[name=node]').selectOption('REMOTEPACS');
    await search('mueller');
    await expect
      .poll(() => ui.page.locator('table.results > tbody > tr').allTextContents())
      .toEqual([expect.stringContaining('Müller, Hans')]);
    await search('*');
    const rows = ui.page.locator('table.results > tbody > tr');
    await expect.poll(() => rows.count()).toBe(2);
    const dRow = rows.filter({ hasText: 'Dvořák, Jiří' });
    const mRow = rows.filter({ hasText: 'Müller, Hans' });
    await expect.poll(() => dRow.locator('a.here').count()).toBe(1);
    expect(await mRow.locator('a.here').count()).toBe(0);
    await screenshot(ui.page, 'query-marks-studies-here');
  });

  it('asks before a new node replaces one with the same AE title', async () => {
    await open('nodes');
    const add = async () => {
      await ui.page.fill('input[name=ae]', 'remotepacs');
      await ui.page.fill('input[name=host]', '127.0.0.9');
      await ui.page.fill('input[name=port]', '4242');
      await ui.page.getByRole('button', { name: 'Add', exact: true }).click();
    };
    let asked = '';
    ui.page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await add();
    await expect.poll(() => asked).toMatch(/REMOTEPACS exists already .*Replace it/);
    expect(await readFile(local.server.config.settings.acrNemaMap, 'utf8')).toContain(
      `REMOTEPACS 127.0.0.1 ${remote.port}`.replace(/ /g, ' '),
    );
    ui.page.once('dialog', (d) => void d.accept());
    await add();
    await expect
      .poll(async () => readFile(local.server.config.settings.acrNemaMap, 'utf8'))
      .toMatch(/remotepacs\s+127\.0\.0\.9\s+4242/i);
  });

  it('reads dicom.ini lines as the core does: a trailing comment is not part of the value, and it survives a save', async () => {
    const iniFile = path.join(local.server.config.configDir, 'dicom.ini');
    const original = await readFile(iniFile, 'utf8');
    await writeFile(iniFile, original.replace(/^MyACRNema\s*=.*$/m, 'MyACRNema = WORKSTATION   # our AE'));
    await open('settings');
    await expect.poll(() => ui.page.locator('[data-key=MyACRNema] input').inputValue()).toBe('WORKSTATION');
    await ui.page.locator('[data-key=RetryDelay] input').fill('12');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.locator('.saved .ok').first().waitFor();
    const saved = await readFile(iniFile, 'utf8');
    expect(saved).toMatch(/^MyACRNema = WORKSTATION   # our AE$/m);
    expect(saved).toMatch(/^RetryDelay\s*= 12$/m);
  });

  it('left no page errors', () => {
    expect(ui.errors).toEqual([]);
  });
});
