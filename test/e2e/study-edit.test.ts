import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { screenshot } from '../helpers/browser.ts';
import { dumpKeys } from '../helpers/qr-tools.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/** Correcting a study on the Studies screen as a technician does (issue 17), and sending the correction after it. */
describe('editing a study in the UI', () => {
  const ui = uiSuite('uiedit');
  let archive: TestArchive;
  let pacs: RunningStorescp & { kill(): void };
  const studyUid = uid();
  const dialogs: string[] = [];

  beforeAll(async () => {
    pacs = await startStorescp('PACS2');
    archive = await startArchive({}, [`PACS2 127.0.0.1 ${pacs.port} un`]);
    const files = await writeImages(
      ui.work,
      [1, 2].map((n) =>
        makeImage({ patientId: 'TYPO9', patientName: 'Tpyo^Eva', studyUid, instanceNumber: n, rows: 8, columns: 8 }),
      ),
    );
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
    await archive.server.transfers.send('PACS2', 'STUDY', studyUid);
    await archive.server.transfers.queue.idle();
    ui.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await pacs?.stop();
  });

  it("corrects the patient's name and the study description, says what changes first, and sends the correction where the study went", async () => {
    await ui.page.goto(await signInUrl(archive.server, `#/studies`));
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Edit', exact: true }).click();
    const panel = ui.page.locator(`tr[data-editing="${studyUid}"]`);
    // The name as family and given names, not DICOM's Family^Given.
    expect(await panel.locator('input[name=edit-PatientName-family]').inputValue()).toBe('Tpyo');
    expect(await panel.locator('input[name=edit-PatientName-given]').inputValue()).toBe('Eva');
    await panel.locator('input[name=edit-PatientName-family]').fill('Typo');
    // Dates as the UI's language writes them, the sex from a list.
    expect(await panel.locator('input[name=edit-PatientBirthDate]').inputValue()).toBe('1970-01-01');
    expect(await panel.locator('select[name=edit-PatientSex] option:checked').textContent()).toBe('other');
    await panel.locator('input[name=edit-PatientBirthDate]').fill('1956-12-03');
    await panel.locator('select[name=edit-PatientSex]').selectOption({ label: 'male' });
    await panel.locator('input[name=edit-StudyDescription]').fill('CT břicha');
    await panel.getByRole('button', { name: 'Save corrections' }).click();
    await expect
      .poll(() => panel.locator('.send-correction').textContent(), { timeout: 20_000 })
      .toMatch(/sent to PACS2/);
    expect(dialogs.at(-1)).toMatch(
      /Patient name: "Tpyo, Eva" → "Typo, Eva" \(every study of patient TYPO9\)\nBirth date: "1970-01-01" → "1956-12-03" .*\nSex: "other" → "male" .*\nStudy description: "Head routine" → "CT břicha"/,
    );
    await expect.poll(() => row.textContent()).toMatch(/Typo.*Eva.*CT břicha/);
    // Written as DICOM writes them.
    const [after] = (await (
      await apiFetch(archive, 'POST', '/api/find', {
        level: 'STUDY',
        keys: { StudyInstanceUID: studyUid, PatientName: '', PatientBirthDate: '', PatientSex: '' },
      })
    ).json()) as Record<string, string>[];
    expect(after).toMatchObject({ PatientName: 'Typo^Eva', PatientBirthDate: '19561203', PatientSex: 'M' });
    await screenshot(ui.page, 'studies-edit');

    // storescp names files by SOP Instance UID: the corrected objects replace the ones it had.
    const names = async () => Promise.all((await pacs.files()).map(async (f) => (await dumpKeys(f)).PatientName));
    expect(await names()).toEqual(['Tpyo^Eva', 'Tpyo^Eva']);
    await panel.getByRole('button', { name: 'Send to PACS2' }).click();
    await expect.poll(names, { timeout: 20_000 }).toEqual(['Typo^Eva', 'Typo^Eva']);
    for (const f of await pacs.files())
      expect(await dumpKeys(f)).toMatchObject({ StudyDescription: 'CT břicha', StudyInstanceUID: studyUid });
  }, 60_000);

  it("downloads the study as a ZIP from the row's More menu, named by patient, date and modality", async () => {
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.getByRole('button', { name: 'More' }).click();
    const [download] = await Promise.all([
      ui.page.waitForEvent('download'),
      row.getByRole('link', { name: 'ZIP', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^Typo_Eva_\d{8}_CT\.zip$/);
    const file = path.join(ui.work, 'download.zip');
    await download.saveAs(file);
    const r = await run('/usr/bin/python3', [
      '-c',
      'import sys, zipfile; print(sorted(zipfile.ZipFile(sys.argv[1]).namelist())[-1])',
      file,
    ]);
    expect(r.stdout.trim()).toBe('DICOMDIR');
  }, 60_000);

  it('copies the study as a new anonymized study from the edit panel, saying what may still identify the patient', async () => {
    const panel = ui.page.locator(`tr[data-editing="${studyUid}"]`);
    await panel.getByLabel('Keep dates and times (Retain Longitudinal Temporal Information)').check();
    await panel.locator('input[name=anon-id]').fill('RESEARCH-7');
    await panel.getByRole('button', { name: 'Copy as a new anonymized study' }).click();
    await expect
      .poll(() => panel.locator('fieldset.anonymize .ok').textContent())
      .toMatch(/A de-identified copy of 2 objects is here as patient RESEARCH-7 \(ANONYMOUS\^[0-9A-F]{8}\)/);
    const copy = await archive.server.index.findPatient('RESEARCH-7');
    expect(copy?.patientName).toMatch(/^ANONYMOUS\^/);
  }, 60_000);

  it("shows who a study would be merged into, and asks for the other patient's name before merging across patients", async () => {
    await ui.page.reload(); // the list with the anonymized copy of the test before, another patient's study
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Edit', exact: true }).click();
    const panel = ui.page.locator(`tr[data-editing="${studyUid}"]`);
    const merge = panel.getByLabel('Merge into study');
    // The choices say whose study each is and when, the patient's own first.
    const label = await merge.locator('optgroup[label="Other patients"] option').first().textContent();
    expect(label).toMatch(/^\d{4}-\d{2}-\d{2} · ANONYMOUS, [0-9A-F]{8} \(RESEARCH-7\) · /);
    await merge.selectOption({ label: label! });
    await panel.getByRole('button', { name: 'Merge study into…' }).click();
    const dialog = ui.page.locator('dialog.confirm-move');
    await dialog.getByText('These are two different patients.').waitFor();
    expect(await dialog.locator('tr.differs').allTextContents()).toEqual([
      expect.stringMatching(/^PatientTypo, Eva.*ANONYMOUS/),
      'Patient IDTYPO9RESEARCH-7',
      'Born1956-12-03',
    ]); // the copy has no birth date
    const go = dialog.getByRole('button', { name: 'Move to the other patient' });
    expect(await go.isDisabled()).toBe(true);
    await dialog.locator('input[name=confirm-patient-name]').fill('Typo');
    expect(await go.isDisabled()).toBe(true);
    await dialog.locator('input[name=confirm-patient-name]').fill('anonymous');
    expect(await go.isDisabled()).toBe(false);
    await screenshot(ui.page, 'merge-other-patient');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await archive.server.index.findPatient('TYPO9')).toBeDefined();
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Edit', exact: true }).click();
  }, 60_000);

  it('moves a series to a new study, and exports the search result as one ZIP', async () => {
    await ui.page.locator(`tr[data-study="${studyUid}"]`).getByRole('button', { name: 'More' }).click();
    await ui.page.locator(`tr[data-study="${studyUid}"]`).getByRole('button', { name: 'Edit', exact: true }).click();
    const panel = ui.page.locator(`tr[data-editing="${studyUid}"]`);
    const first = panel.locator('fieldset.move-series [data-series]').first();
    await first.getByRole('button', { name: 'Move series to…' }).click();
    await expect
      .poll(async () => (await archive.server.index.queryArchive(1, [], [])).length, { timeout: 20_000 })
      .toBe(3); // with the anonymized copy
    // The new study is there as soon as its first object is; the move has ended once each study holds one.
    let studies: Record<string, string>[] = [];
    const counts = async () => {
      studies = (await apiFetch(archive, 'POST', '/api/find', {
        level: 'STUDY',
        keys: { PatientID: 'TYPO9', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' },
      }).then((r) => r.json())) as Record<string, string>[];
      return studies.map((x) => x.NumberOfStudyRelatedInstances);
    };
    await expect.poll(counts, { timeout: 20_000 }).toEqual(['1', '1']);
    const res = await apiFetch(
      archive,
      'GET',
      `/api/export?level=STUDY&format=zip&uid=${studies.map((x) => x.StudyInstanceUID).join(',')}`,
    );
    expect(res.headers.get('content-disposition')).toMatch(/2-study-export\.zip/);
    const file = path.join(ui.work, 'two.zip');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const r = await run('/usr/bin/python3', [
      '-c',
      'import sys, zipfile; print(" ".join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist())))',
      file,
    ]);
    expect(r.stdout.trim()).toBe(
      'DICOM/P0000001/S0000001/E0000001/I0000001 DICOM/P0000001/S0000002/E0000001/I0000001 DICOMDIR',
    );
  }, 60_000);
});
