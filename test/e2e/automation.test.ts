import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { ENDPOINTS } from '../../main/api/endpoints.ts';
import type { AuditDto } from '../../main/api/contract.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * The Automation screen (issue 31.5), as an administrator uses it in Chromium: the converters of dicom.ini with their
 * filters; a line typed with a mistake shows the column and reason before it is saved; saved, it applies to the next
 * object without a restart and is in the audit trail; "Try on an object" shows each converter's decision, the attribute
 * changes before and after, and the forwards it would queue, and does none of it; a converter switched off stops.
 */
describe('the Automation screen', () => {
  const ui = uiSuite('automation');
  let archive: TestArchive;
  let peer: RunningStorescp;
  const image = makeImage({ patientId: 'AUTO1', patientName: 'Auto^Anna', rows: 8, columns: 8 });

  beforeAll(async () => {
    peer = await startStorescp('PEER');
    archive = await startArchive(
      {
        ImportConverter0: 'set 0010,1001 to "from %u"',
        ImportModality0: 'CT',
        ImportConverter1: 'ifequal "%m", "MR"; destroy',
        ExportConverters: '1',
        ExportConverter0: 'forward study to PEER after 600',
      },
      [`PEER 127.0.0.1 ${peer.port} un`],
    );
    const files = await writeImages(ui.work, [image]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await peer?.stop();
  });

  it('lists the converters, checks a line as it is typed, and saves it to apply at once', async () => {
    const page = ui.page;
    await page.goto(await signInUrl(archive.server, '#/automation'));
    const first = page.locator('[data-converter="ImportConverter0"]');
    await first.waitFor();
    expect(await first.textContent()).toContain('ImportModality = CT');
    expect(await page.locator('[data-converter="ExportConverter0"] textarea').inputValue()).toBe(
      'forward study to PEER after 600',
    );
    const box = first.locator('textarea');
    await box.fill('set 0010,1001 to "from %u"; fixkodak');
    await first.getByRole('alert').waitFor();
    expect(await first.getByRole('alert').textContent()).toBe(
      'column 29: "fixkodak" is not a converter command this version runs',
    );
    await box.fill('set 0010,1001 to "from %u"; set 0008,1030 to "tried %m"');
    await first.getByRole('alert').waitFor({ state: 'detached' });
    await first.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => archive.server.core.config.importConverters[0]?.text)
      .toBe('set 0010,1001 to "from %u"; set 0008,1030 to "tried %m"');
    await archive.server.core.audit.flush();
    const audit = (await (await apiFetch(archive, 'GET', ENDPOINTS.audit.path)).json()) as AuditDto[];
    expect(audit.map((a) => a.detail).join('\n')).toContain(
      'ImportConverter0: "set 0010,1001 to \\"from %u\\"" -> "set 0010,1001 to \\"from %u\\"; set 0008,1030 to \\"tried %m\\""',
    );
  });

  it('tries the converters on a stored object: the changes before and after, each decision, the forwards, and does none of it', async () => {
    const page = ui.page;
    // The object's own arrival queued the export converter's delayed forward; the trial must add nothing to it.
    const jobsBefore = await archive.server.core.queue.list();
    await page.getByLabel('SOP Instance UID').fill(image.sopUid);
    await page.getByRole('button', { name: 'Try', exact: true }).click();
    const trial = page.getByTestId('trial');
    await trial.waitFor();
    expect(await trial.locator('tr[data-tag="0008,1030"]').textContent()).toContain('Head routine');
    expect(await trial.locator('tr[data-tag="0008,1030"] td').nth(2).textContent()).toBe('tried CT');
    // ImportConverter0's first part ran when the object arrived: its value is the same before and after.
    expect(await trial.locator('tr[data-tag="0010,1001"]').count()).toBe(0);
    expect(await trial.locator('tr[data-trial="ImportConverter1"]').textContent()).not.toContain('destroy');
    expect(await trial.locator('tr[data-trial="ExportConverter0"]').textContent()).toContain(
      'forward study to PEER after 600 s',
    );
    // Nothing was done: the jobs are as they were (one delayed forward of one object), the file is as stored.
    expect(jobsBefore).toEqual([expect.objectContaining({ kind: 'forward', destination: 'PEER', total: 1 })]);
    expect(await archive.server.core.queue.list()).toEqual(jobsBefore);
    const row = (await archive.server.index.findInstance(image.sopUid))!;
    expect(await dumpDataSet(archive.server.store.absolutePath(row.location))).toContain(
      '(0008,1030) LO [Head routine]',
    );
  });

  it("tries the converters from a study's row on the Studies screen, on its first object", async () => {
    const page = ui.page;
    await page.goto(await signInUrl(archive.server, '#/studies'));
    const row = page.locator(`tr[data-study="${image.studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('link', { name: 'Try the converters' }).click();
    const trial = page.getByTestId('trial');
    await trial.waitFor();
    expect(await page.getByLabel('SOP Instance UID').inputValue()).toBe(image.sopUid);
    expect(await trial.locator('tr[data-trial="ExportConverter0"]').textContent()).toContain('forward study to PEER');
  });

  it('tries the converters on a file picked on the screen, as if a node had sent it, and stores nothing', async () => {
    const page = ui.page;
    await page.goto(await signInUrl(archive.server, '#/automation'));
    const dropped = makeImage({ patientId: 'DROP1', patientName: 'Dropped^Dora', rows: 8, columns: 8 });
    const [file] = await writeImages(path.join(ui.work, 'dropped'), [dropped]);
    await page.getByLabel('As sent by (calling AE title)').fill('DROPPER');
    await page.getByLabel('A DICOM file to try').setInputFiles(file!);
    const trial = page.getByTestId('trial');
    await trial.waitFor();
    expect(await trial.locator('tr[data-tag="0010,1001"] td').nth(2).textContent()).toBe('from DROPPER');
    expect(await page.getByLabel('SOP Instance UID').inputValue()).toBe(dropped.sopUid);
    expect(await archive.server.index.findInstance(dropped.sopUid)).toBeUndefined();
    // Dropped on the section instead of picked: the same try.
    const other = makeImage({ patientId: 'DROP2', rows: 8, columns: 8 });
    const transfer = await page.evaluateHandle(
      (bytes) => {
        // (test/ is typed without the DOM library: the page's constructors, as much of them as is used)
        const w = globalThis as unknown as {
          DataTransfer: new () => { items: { add(f: unknown): void } };
          File: new (parts: unknown[], name: string, o: { type: string }) => unknown;
        };
        const dt = new w.DataTransfer();
        dt.items.add(new w.File([new Uint8Array(bytes)], 'other.dcm', { type: 'application/dicom' }));
        return dt;
      },
      [...other.bytes],
    );
    await page.getByTestId('try-drop').dispatchEvent('dragover', { dataTransfer: transfer });
    await page.getByTestId('try-drop').dispatchEvent('drop', { dataTransfer: transfer });
    await expect.poll(() => page.getByLabel('SOP Instance UID').inputValue()).toBe(other.sopUid);
    // Not DICOM: refused with the reason, on the screen.
    await page
      .getByLabel('A DICOM file to try')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByText(/not a DICOM file/).waitFor();
    // The browser logs that refused request: expected here, nothing else.
    const refused = ui.errors.filter((e) => e.includes('400') && e.includes('/api/automation/try-file'));
    expect(refused).toHaveLength(1);
    ui.errors.splice(ui.errors.indexOf(refused[0]!), 1);
  });

  it('adds an export converter, and edits a [lua] hook with its check as it is typed', async () => {
    const page = ui.page;
    await page.goto(await signInUrl(archive.server, '#/automation'));
    await page.getByRole('button', { name: 'Add an export converter' }).click();
    await page.locator('[data-converter="ExportConverter1"]').waitFor();
    await expect.poll(async () => archive.server.core.config.forwardRules.length).toBe(2);
    const hook = page.locator('[data-hook="association"]');
    const box = hook.getByLabel('[lua] association');
    await box.fill("if Association.Calling == 'NOPE' then reject( end");
    await hook.getByRole('alert').waitFor();
    expect(await hook.getByRole('alert').textContent()).toMatch(/^column 1: Lua:1: unexpected symbol near 'end'/);
    await box.fill("if Association.Calling == 'NOPE' then reject() end");
    await hook.getByRole('alert').waitFor({ state: 'detached' });
    await hook.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => archive.server.core.config.luaHooks.association?.chunk)
      .toBe("if Association.Calling == 'NOPE' then reject() end");
    const refused = await run('echoscu', ['-aet', 'NOPE', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port)]);
    expect(refused.code).not.toBe(0);
    // Emptied, the hook is taken out of dicom.ini.
    await page.locator('[data-hook="association"]').getByLabel('[lua] association').fill('');
    await page.locator('[data-hook="association"]').getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => archive.server.core.config.luaHooks.association).toBeUndefined();
  });

  it('switches a converter off: it stays in dicom.ini but no longer runs', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/automation'));
    const page = ui.page;
    const second = page.locator('[data-converter="ImportConverter1"]');
    await second.getByRole('checkbox').uncheck();
    await second.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => archive.server.core.config.importConverters.map((c) => c.index)).toEqual([0]);
    await page.locator('[data-converter="ImportConverter1"].off').waitFor();
    expect(ui.errors).toEqual([]);
  });
});
