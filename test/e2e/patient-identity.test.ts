import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { dumpKeys } from '../helpers/qr-tools.ts';
import { screenshot } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * A retrieved prior does not rename the patient (issue 28): Dvořák^Jiří has two studies here; his 2024 study, which an
 * old modality wrote as DVORAK^JIRI, is retrieved from the remote PACS in the UI. Each study keeps its own spelling in
 * the list and the viewer; the list marks the patient's two spellings; an admin reconciles them in one click (every
 * file rewritten), after which a newer study with the old spelling changes nothing.
 */
describe("a patient's name across a retrieved prior", () => {
  const ui = uiSuite('identity');
  let local: TestArchive;
  let remote: TestArchive;
  const dialogs: string[] = [];
  const PID = 'CZ7801011234';
  const studies = { s2026: uid(), s2025: uid(), s2024: uid(), s2027: uid() };
  const utf8 = (name: string) => ({ patientName: Buffer.from(name, 'utf8'), specificCharacterSet: 'ISO_IR 192' });
  const open = async (screen: string) => ui.page.goto(await signInUrl(local.server, `#/${screen}`));
  const row = (studyUid: string) => ui.page.locator(`tr[data-study="${studyUid}"]`);
  const store = async (port: number, ae: string, dir: string, images: ReturnType<typeof makeImage>[]) => {
    const r = await run('storescu', [
      '-aec',
      ae,
      '127.0.0.1',
      String(port),
      ...(await writeImages(path.join(ui.work, dir), images)),
    ]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    local = await startArchive({}, [], 'CLINICWS');
    remote = await startArchive({}, [`CLINICWS 127.0.0.1 ${local.port} un`], 'REMOTEPACS');
    expect(
      (await apiFetch(local, 'POST', ENDPOINTS.nodes.path, { ae: 'REMOTEPACS', host: '127.0.0.1', port: remote.port }))
        .status,
    ).toBe(200);
    const ct = (studyUid: string, studyDate: string, n: number) =>
      makeImage({
        patientId: PID,
        ...utf8('Dvořák^Jiří'),
        studyUid,
        studyDate,
        instanceNumber: n,
        rows: 16,
        columns: 16,
      });
    await store(local.port, 'CLINICWS', 'here', [ct(studies.s2026, '20260105', 1), ct(studies.s2025, '20250105', 1)]);
    await store(
      remote.port,
      'REMOTEPACS',
      'prior',
      [1, 2].map((n) =>
        makeImage({
          patientId: PID,
          patientName: 'DVORAK^JIRI',
          studyUid: studies.s2024,
          studyDate: '20240105',
          instanceNumber: n,
          rows: 16,
          columns: 16,
        }),
      ),
    );
    ui.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
    await remote?.stop();
  });

  it('retrieves the prior, and each study keeps its own spelling in the list, the job and the viewer', async () => {
    await open('query');
    await ui.page.selectOption('select[name=node]', 'REMOTEPACS');
    await ui.page.fill('input[name=patientId]', PID);
    await ui.page.getByRole('button', { name: 'Search' }).click();
    const found = ui.page.locator('table.results > tbody > tr', { hasText: 'DVORAK' });
    await found.getByRole('button', { name: 'Retrieve' }).click();
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'move' }).waitFor({ timeout: 30_000 });
    expect(await ui.page.locator('table.jobs tr.job-done', { hasText: 'move' }).textContent()).toContain(
      'DVORAK, JIRI',
    );

    await open('studies');
    await row(studies.s2024).waitFor();
    await expect.poll(() => row(studies.s2026).locator('td.patient-name').textContent()).toMatch(/^Dvořák, Jiří/);
    expect(await row(studies.s2025).locator('td.patient-name').textContent()).toMatch(/^Dvořák, Jiří/);
    expect(await row(studies.s2024).locator('td.patient-name').textContent()).toMatch(/^DVORAK, JIRI/);
    // Each of the patient's rows says there are two spellings, and which.
    await expect.poll(() => row(studies.s2026).locator('.name-conflict').textContent()).toContain('2 spellings');
    expect(await row(studies.s2026).locator('.name-conflict [title]').getAttribute('title')).toMatch(
      /DVORAK, JIRI \(1 study\).*Dvořák, Jiří \(2 studies\)|Dvořák, Jiří \(2 studies\).*DVORAK, JIRI \(1 study\)/,
    );
    await screenshot(ui.page, 'studies-name-conflict');

    await ui.page.goto(`http://127.0.0.1:${local.server.api!.port}/#/viewer/${studies.s2026}`);
    await expect
      .poll(() => ui.page.locator('[data-corner=patient]').first().textContent(), { timeout: 20_000 })
      .toMatch(/^Dvořák, Jiří/);
  }, 90_000);

  it('reconciles the spellings in one click: every file gets the chosen name, and a newer study with the old one changes nothing', async () => {
    await open('studies');
    const conflict = row(studies.s2024).locator('.name-conflict');
    await conflict.getByRole('button', { name: 'Reconcile…' }).click();
    await conflict.getByLabel('Dvořák^Jiří').check();
    await conflict.getByRole('button', { name: 'Use this name in every study' }).click();
    expect(dialogs.at(-1)).toMatch(
      /Write "Dvořák\^Jiří" as the name of patient CZ7801011234 into every one of its studies \(3\)\?/,
    );
    await expect
      .poll(() => row(studies.s2024).locator('td.patient-name').textContent(), { timeout: 30_000 })
      .toBe('Dvořák, Jiří');
    expect(await ui.page.locator('.name-conflict').count()).toBe(0);
    const files = await local.server.index.instancesMatching([]);
    expect(files.length).toBe(4);
    for (const f of files)
      expect(await dumpKeys(local.server.store.absolutePath(f.location))).toMatchObject({ PatientName: 'Dvořák^Jiří' });

    await store(local.port, 'CLINICWS', 'newer', [
      makeImage({
        patientId: PID,
        patientName: 'DVORAK^JIRI',
        studyUid: studies.s2027,
        studyDate: '20270105',
        rows: 16,
        columns: 16,
      }),
    ]);
    expect(await local.server.index.findPatient(PID)).toMatchObject({ patientName: 'Dvořák^Jiří' });
  }, 90_000);
});
