import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { makeImage, uid } from '../helpers/fixtures.ts';
import { storeAs } from '../helpers/store-as.ts';
import { CONQUEST_STYLE } from '../helpers/conquest-dicom-sql.ts';
import { Tag } from '../../main/dicom/tags.ts';

/**
 * The Studies screen of an archive whose dicom.sql indexes more than ours (issue 32.1): the added keys are offered as
 * one more search field, and a series' key finds the studies with such a series.
 */
describe("searching the Studies screen by dicom.sql's keys", () => {
  const ui = uiSuite('index-keys');
  let archive: TestArchive;

  beforeAll(async () => {
    archive = await startArchive({}, [], 'TESTPACS', { configFiles: { 'dicom.sql': CONQUEST_STYLE } });
    const study = (patientId: string, protocol: string) =>
      makeImage({
        patientId,
        studyUid: uid(),
        rows: 8,
        columns: 8,
        extra: [{ tag: Tag.ProtocolName, vr: 'LO', value: protocol }],
      });
    expect((await storeAs(archive, 'CT1', [study('K100', 'Knee'), study('H200', 'Head')], ui.work)).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
  });

  it('offers the added keys and finds the studies one of whose series matches', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/studies'));
    const rows = ui.page.locator('table.results > tbody > tr');
    await rows.filter({ hasText: 'K100' }).waitFor();
    await rows.filter({ hasText: 'H200' }).waitFor();
    const key = ui.page.locator('select[name=indexKey]');
    expect(await key.locator('option').allTextContents()).toEqual([
      '—',
      'PatientsAge (study level)',
      'ProtocolName (series level)',
      'ImageType (image level)',
      'AcqDate (image level)',
    ]);
    await key.selectOption('ProtocolName');
    await ui.page.locator('input[name=indexKeyValue]').fill('kne*');
    await ui.page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => rows.filter({ hasText: 'H200' }).count()).toBe(0);
    expect(await rows.filter({ hasText: 'K100' }).count()).toBe(1);
    await ui.page.getByRole('button', { name: 'Clear', exact: true }).click();
    await rows.filter({ hasText: 'H200' }).waitFor();
    expect(await ui.page.locator('input[name=indexKeyValue]').inputValue()).toBe('');
  });
});

describe("the worklist's columns from dicom.sql on the Worklist screen", () => {
  const ui = uiSuite('index-keys-worklist');
  let archive: TestArchive;
  const tables = `*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR } }
*WorkList* {
  { 0x0010, 0x2000, "MedicalAlerts", 64, SQL_C_CHAR, DT_STR, "---" },
  { 0x0040, 0x1003, "ReqProcPriority", 16, SQL_C_CHAR, DT_STR, "---" }
}`;

  beforeAll(async () => {
    archive = await startArchive({}, [], 'TESTPACS', { configFiles: { 'dicom.sql': tables } });
    const added = await apiFetch(archive, 'POST', '/api/worklist', {
      patientId: 'W300',
      patientName: 'Kral^Petr',
      modality: 'MR',
      scheduledDate: '20261209',
      requestedProcedureDescription: 'MR knee',
      more: { x_medicalalerts: 'pacemaker', x_reqprocpriority: 'HIGH' },
    });
    expect(added.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
  });

  it('shows them with the procedure and edits them in the form, by their names in dicom.sql', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/worklist'));
    const row = ui.page.locator('tr', { hasText: 'W300' });
    await row.locator('.worklist-more', { hasText: 'MedicalAlerts: pacemaker' }).waitFor();
    expect(await row.locator('.worklist-more').allTextContents()).toEqual([
      'MedicalAlerts: pacemaker',
      'ReqProcPriority: HIGH',
    ]);
    // Edited in the form, under their names; the other keeps its value.
    await row.getByRole('button', { name: 'Edit', exact: true }).click();
    const alerts = ui.page.locator('input[name=x_medicalalerts]');
    expect(await alerts.inputValue()).toBe('pacemaker');
    await alerts.fill('pacemaker, latex');
    await ui.page.getByRole('button', { name: 'Save', exact: true }).click();
    await row.locator('.worklist-more', { hasText: 'MedicalAlerts: pacemaker, latex' }).waitFor();
    const entries = (await (await apiFetch(archive, 'GET', '/api/worklist')).json()) as { more?: object }[];
    expect(entries[0]!.more).toEqual({ x_medicalalerts: 'pacemaker, latex', x_reqprocpriority: 'HIGH' });
  });
});
