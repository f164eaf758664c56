import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { el } from '../helpers/dimse-bytes.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { screenshot } from '../helpers/browser.ts';
import { parseDataSet } from '../../main/dicom/dataset.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';

/**
 * The hospital's workflow as the clinic's staff see it (issue 16): an HL7 order on the Worklist screen with where it came
 * from, the modality's MPPS state and series beside it, the HL7 messages on the Monitor, and a study sent with storage
 * commitment showing "committed".
 */
describe('the workflow screens', () => {
  const ui = uiSuite('workflow');
  let archive: TestArchive;
  let keeper: TestArchive;
  const studyUid = uid();
  let ppsUid = '';

  beforeAll(async () => {
    keeper = await startArchive({}, [], 'KEEPER');
    archive = await startArchive({ HL7Listener: '1', HL7Port: '0' }, [
      `KEEPER 127.0.0.1 ${keeper.port} un`,
      `SELF 127.0.0.1 1 un`,
    ]);
    const order = [
      'MSH|^~\\&|HIS|NEM|PACSWS|RDG|20261126080000||ORM^O01|UI-1|P|2.3.1',
      'PID|||UI100^^^NEM||Vesela^Anna||19800101|F',
      'ORC|NW|ORD-UI',
      `OBR|1|ORD-UI||US-ABD^US bricha${'|'.repeat(14)}ACC-UI${'|'.repeat(6)}US|||^^^20261127080000`,
      `ZDS|${studyUid}`,
    ].join('\r');
    await writeFile(path.join(ui.work, 'order.hl7'), order + '\n');
    const sent = await run('mllp_send', [
      '--loose',
      '-f',
      path.join(ui.work, 'order.hl7'),
      '-p',
      String(archive.server.hl7!.port),
      '127.0.0.1',
    ]);
    expect(sent.stdout).toMatch(/MSA\|AA\|UI-1/);
    // The ultrasound reports its procedure with our own MPPS SCU, as a modality would.
    const step = (...elements: Buffer[]) =>
      parseDataSet(Buffer.concat(elements), { explicitVR: true, littleEndian: true, deflated: false });
    const client = archive.server.transfers.client;
    const me = { ae: archive.aeTitle, host: '127.0.0.1', port: archive.port };
    ppsUid = uid();
    await client.sendMpps(
      me,
      'create',
      ppsUid,
      step(
        el(0x00080060, 'CS', 'US'),
        el(0x00100010, 'PN', 'Vesela^Anna'),
        el(0x00100020, 'LO', 'UI100'),
        el(0x00400241, 'AE', 'US01'),
        el(0x00400244, 'DA', '20261127'),
        el(0x00400245, 'TM', '080500'),
        el(0x00400252, 'CS', 'IN PROGRESS'),
        el(0x00400253, 'SH', 'PPS-UI'),
        el(0x00400270, 'SQ', [[el(0x0020000d, 'UI', studyUid), el(0x00400009, 'SH', 'ORD-UI')]]),
        el(0x00400340, 'SQ', []),
      ),
    );
    const files = await writeImages(ui.work, [
      makeImage({ patientId: 'UI100', patientName: 'Vesela^Anna', studyUid, rows: 8, columns: 8 }),
    ]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await keeper?.stop();
  });

  const open = async (screen: string) => ui.page.goto(await signInUrl(archive.server, `#/${screen}`));

  it('shows the HL7 order with its source and what the modality performed, as it reports it, and the images that never came', async () => {
    await open('worklist');
    const row = ui.page.locator('tr', { hasText: 'ACC-UI' });
    await row.waitFor();
    expect(await row.textContent()).toContain('HL7 order ORD-UI');
    await expect.poll(() => row.locator('td.mpps').textContent()).toBe('IN PROGRESS · from TESTPACS');
    // The modality completes the step while the screen is open: the row follows without a reload. It names three
    // images of a series that never arrived here: the row says so.
    const step = (...elements: Buffer[]) =>
      parseDataSet(Buffer.concat(elements), { explicitVR: true, littleEndian: true, deflated: false });
    await archive.server.transfers.client.sendMpps(
      { ae: archive.aeTitle, host: '127.0.0.1', port: archive.port },
      'set',
      ppsUid,
      step(
        el(0x00400250, 'DA', '20261127'),
        el(0x00400251, 'TM', '081500'),
        el(0x00400252, 'CS', 'COMPLETED'),
        el(0x00400340, 'SQ', [
          [
            el(0x0008103e, 'LO', 'Abdomen'),
            el(0x00081140, 'SQ', [
              [el(0x00081155, 'UI', uid())],
              [el(0x00081155, 'UI', uid())],
              [el(0x00081155, 'UI', uid())],
            ]),
            el(0x0020000e, 'UI', uid()),
          ],
        ]),
      ),
    );
    await expect.poll(() => row.locator('td').nth(8).textContent()).toBe('COMPLETED'); // the scheduled step's own status follows the performed one
    await expect
      .poll(() => row.locator('td.mpps').textContent())
      .toBe('COMPLETED · 1 series, 3 images · from TESTPACS⚠ 3 images the modality reported are not here');
    await screenshot(ui.page, 'worklist-hl7-mpps');
  });

  it('lists the HL7 message on the Monitor', async () => {
    await open('monitor');
    const row = ui.page.locator('table.hl7 tr', { hasText: 'UI-1' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/ORM\^O01.*UI-1.*AA.*order ORD-UI scheduled/);
  });

  it('sends a study asking for storage commitment and shows it committed', async () => {
    await open('studies');
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'Send', exact: true }).click();
    await row.getByLabel('Send to').selectOption('KEEPER');
    await row.getByRole('checkbox').check();
    await row.getByRole('button', { name: 'Send now' }).click();
    await expect
      .poll(() => row.locator('.job-state').textContent(), { timeout: 20_000 })
      .toMatch(/done 1 \/ 1, committed/);
    await open('monitor');
    await expect
      .poll(() => ui.page.locator('table.jobs tr', { hasText: 'KEEPER' }).first().locator('td.state').textContent(), {
        timeout: 10_000,
      })
      .toBe('done · committed');
    await screenshot(ui.page, 'monitor-committed');
  }, 60_000);
});
