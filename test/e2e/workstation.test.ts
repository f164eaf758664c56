import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { uiSuite } from '../helpers/ui-suite.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, phantom, uid, writeImages } from '../helpers/fixtures.ts';
import { screenshot, viewportPixels } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { TransferSyntax } from '../../common/uids.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';

/**
 * The UI as a technician uses it, in Debian's Chromium against the real headless server, with a second server as the
 * remote PACS: add the remote node and echo it, get a bad dicom.ini value refused, find a study on the remote, retrieve
 * it and see it in the monitor, open it in the viewer and check the canvas, change window/level and scroll.
 */
describe('the workstation UI in a browser', () => {
  const ui = uiSuite('e2e', { acceptDialogs: true });
  let local: TestArchive;
  let remote: TestArchive;
  const studyUid = uid();
  const seriesUid = uid();
  const state = () => ui.page.locator('[data-testid=viewport-state]');
  /** A screen, by the login URL (the page takes the secret from it, as a user's first visit does). */
  const open = async (screen: string) => ui.page.goto(await signInUrl(local.server, `#/${screen}`));

  beforeAll(async () => {
    // NOWHERE: a node the remote PACS does not know, to move to (a retrieve that never brings the study here).
    local = await startArchive({}, ['NOWHERE 127.0.0.1 9 un'], 'WORKSTATION');
    // The remote PACS knows us (for its C-MOVE to us); we learn about it through the UI.
    remote = await startArchive({}, [`WORKSTATION 127.0.0.1 ${local.port} un`], 'REMOTEPACS');
    const patient = {
      patientId: 'PHANTOM1',
      patientName: 'Phantom^Head',
      accessionNumber: 'E2E001',
      studyUid,
      rows: 256,
      columns: 256,
      rescaleIntercept: -1024,
    };
    // A CT series of 3 images and an MR series of 2.
    const mrSeriesUid = uid();
    const images = [
      ...[0, 1, 2].map((i) => makeImage({ ...patient, seriesUid, instanceNumber: i + 1, pixel: phantom(256, 256, i) })),
      ...[0, 1].map((i) =>
        makeImage({
          ...patient,
          seriesUid: mrSeriesUid,
          seriesNumber: 2,
          modality: 'MR',
          instanceNumber: i + 1,
          pixel: phantom(256, 256, 4 + i),
        }),
      ),
    ];
    const sent = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'REMOTEPACS',
      '127.0.0.1',
      String(remote.port),
      ...(await writeImages(ui.work, images)),
    ]);
    expect(sent.code).toBe(0);
  });
  afterAll(async () => {
    await local?.stop();
    await remote?.stop();
  });

  it('opens with a one-time sign-in link, takes it out of the address bar, and never puts the secret in a URL', async () => {
    const link = await signInUrl(local.server);
    expect(link).not.toContain(local.server.apiSecret);
    await ui.page.goto(link);
    await expect.poll(() => ui.page.locator('nav .server').textContent()).toContain('WORKSTATION');
    expect(ui.page.url()).not.toContain('signin=');
    // Signed in by an HttpOnly cookie: page script holds no secret (nothing in sessionStorage, no readable cookie).
    expect(await ui.page.evaluate('JSON.stringify({ ...sessionStorage }) + document.cookie')).not.toContain(
      local.server.apiSecret,
    );
    expect((await ui.page.context().cookies()).find((c) => c.name === 'pacs_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    const other = await ui.browser.newPage();
    // Used already: refused, and said why.
    await other.goto(link);
    await other.getByText('this sign-in link was used already, has expired, or is not for this computer').waitFor();
    await other.getByText('No user accounts exist yet.').waitFor();
    // A wrong key is refused; the right one typed in opens the archive (on this computer).
    await other.getByText("On the archive's computer: use its access key").click();
    await other.getByLabel('Access key', { exact: true }).fill('wrong');
    await other.getByRole('button', { name: 'Open' }).click();
    await other.getByText('That access key was not accepted').waitFor();
    await other.getByLabel('Access key', { exact: true }).fill(local.server.apiSecret);
    await other.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => other.locator('nav .server').textContent()).toContain('WORKSTATION');
    // What the page asked for carried no secret in its URL: the event stream and downloads take one-time link tokens.
    const urls: string[] = [];
    other.on('request', (r) => urls.push(r.url()));
    other.on('websocket', (ws) => urls.push(ws.url()));
    await other.reload();
    await expect.poll(() => other.locator('nav .server').textContent()).toContain('WORKSTATION');
    await expect.poll(() => urls.some((u) => u.includes('/api/events?token='))).toBe(true);
    expect(urls.filter((u) => u.includes(local.server.apiSecret))).toEqual([]);
    await other.close();
  });

  it('adds the remote node, refusing a bad AE title or port, and echoes it', async () => {
    await open('nodes');
    await ui.page.fill('input[name=ae]', 'BAD\\TITLE');
    await ui.page.fill('input[name=host]', '127.0.0.1');
    await ui.page.fill('input[name=port]', String(remote.port));
    await ui.page.getByRole('button', { name: 'Add', exact: true }).click();
    await ui.page.getByText('An AE title cannot contain a backslash or control characters.').waitFor();
    await ui.page.fill('input[name=ae]', 'REMOTEPACS');
    await ui.page.fill('input[name=port]', '70000');
    await ui.page.getByRole('button', { name: 'Add', exact: true }).click();
    await ui.page.getByText('The port is a whole number from 1 to 65535.').waitFor();
    await ui.page.fill('input[name=port]', String(remote.port));
    // The compression code is a choice in words, written to acrnema.map's fourth column.
    await ui.page.getByLabel('Send images as').selectOption({ label: 'js: JPEG-LS lossless (about half the disk)' });
    await ui.page.getByRole('button', { name: 'Add', exact: true }).click();
    const row = ui.page.locator('tr[data-ae=REMOTEPACS]');
    await row.waitFor();
    expect(await readFile(path.join(local.dataDir, 'config', 'acrnema.map'), 'utf8')).toMatch(
      new RegExp(`^REMOTEPACS\\s+127\\.0\\.0\\.1\\s+${remote.port}\\s+js\\s*$`, 'm'),
    );
    await row.getByRole('button', { name: 'Echo' }).click();
    await expect.poll(() => row.locator('.echo-result').textContent()).toMatch(/^OK, \d+ ms$/);
    await screenshot(ui.page, 'nodes');
  });

  it('refuses a bad dicom.ini value with its line and reason, and keeps the file', async () => {
    const iniFile = path.join(local.dataDir, 'config', 'dicom.ini');
    const before = await readFile(iniFile, 'utf8');
    await open('settings');
    const port = ui.page.locator('label[data-key=TCPPort] input');
    await port.fill('eleven');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    const line = before.split('\n').findIndex((l) => /^TCPPort\s*=/.test(l)) + 1;
    await ui.page
      .locator('.problems')
      .getByText(`Line ${line}: TCPPort: "eleven" is not a whole number from 0 to 65535`)
      .waitFor();
    await ui.page.locator('label[data-key=TCPPort].invalid').waitFor();
    await screenshot(ui.page, 'settings');
    expect(await readFile(iniFile, 'utf8')).toBe(before);
    await ui.page.getByRole('button', { name: 'Undo changes' }).click();
    // The same refusal from the text view, pointing at the line typed.
    await ui.page.getByRole('button', { name: 'Text', exact: true }).click();
    const text = ui.page.locator('textarea.ini-text');
    await text.fill(before.replace(/^LogLevel\s*=.*$/m, 'LogLevel = chatty'));
    await ui.page.getByRole('button', { name: 'Save' }).click();
    const logLine = before.split('\n').findIndex((l) => /^LogLevel\s*=/.test(l)) + 1;
    await ui.page
      .locator('.problems')
      .getByText(`Line ${logLine}: LogLevel: "chatty" must be one of debug, info, warn, error`)
      .waitFor();
    expect(await readFile(iniFile, 'utf8')).toBe(before);
    await ui.page.getByRole('button', { name: 'Undo changes' }).click();
  });

  it('finds the study on the remote node, retrieves it, and shows the transfer in the monitor', async () => {
    await open('query');
    await ui.page.selectOption('select[name=node]', 'REMOTEPACS');
    await ui.page.fill('input[name=name]', 'phant');
    await ui.page.getByRole('button', { name: 'Search' }).click();
    const study = ui.page.locator('table.results > tbody > tr', { hasText: 'PHANTOM1' });
    await study.waitFor();
    expect(await study.textContent()).toContain('E2E001');
    await study.getByRole('button', { name: 'Series' }).click();
    await ui.page.locator('tr.series-rows table.inner tbody tr', { hasText: 'CT' }).waitFor();
    // A retrieve whose study is not here names the patient as the search answer did, not by the study's UID.
    await study.getByRole('combobox', { name: 'To', exact: true }).selectOption('NOWHERE');
    await study.getByRole('button', { name: 'Retrieve' }).click();
    const elsewhere = ui.page.locator('table.jobs tr', { hasText: 'NOWHERE' });
    await expect.poll(() => elsewhere.locator('td.job-study').textContent()).toBe('Phantom, Head · Head routine');
    expect(await study.locator('a.here').count()).toBe(0);
    await study.getByRole('combobox', { name: 'To', exact: true }).selectOption('');
    await study.getByRole('button', { name: 'Retrieve' }).click();
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'move' }).waitFor({ timeout: 30_000 });
    expect((await local.server.index.counts()).instances).toBe(5);
    // The results mark the study as here once the retrieve is done, without a new search.
    await study.locator('a.here').waitFor();
    // The series again, by C-GET this time (on the same association; the objects replace the moved ones).
    const series = ui.page.locator('tr.series-rows table.inner tbody tr', { hasText: 'CT' });
    await series.getByRole('combobox', { name: 'How' }).selectOption('get');
    await series.getByRole('button', { name: 'Retrieve' }).click();
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'get' }).waitFor({ timeout: 30_000 });
    await screenshot(ui.page, 'query-retrieve');
    expect((await local.server.index.counts()).instances).toBe(5);

    await open('monitor');
    const association = ui.page.locator('tr', { hasText: 'REMOTEPACS → us' }).first();
    await association.waitFor();
    expect(await association.locator('td').nth(2).textContent()).toBe('5');
    // The median time per object, request to response (issue 37).
    expect(await association.getByTestId('ms-per-object').textContent()).toMatch(/^[\d,]+(\.\d)? ms$/);
    await ui.page.locator('table.jobs tr.job-done', { hasText: 'move' }).waitFor();
    await screenshot(ui.page, 'monitor');
  });

  it('opens the study in the viewer: the image on the canvas, window/level, scrolling, the header', async () => {
    await open('studies');
    await ui.page.locator(`tr[data-study="${studyUid}"]`).getByRole('link', { name: 'View' }).click();
    await expect.poll(() => state().textContent(), { timeout: 20_000 }).toContain('Image 1/3');
    const first = await viewportPixels(ui.page);
    // The phantom fills much of the canvas, bright skull around gray tissue, on black air.
    expect(first.lit / (first.width * first.height)).toBeGreaterThan(0.2);
    expect(Math.max(...first.grid)).toBeGreaterThan(200);
    expect(first.grid[0]).toBeLessThan(10);

    await ui.page.getByRole('button', { name: 'Presets' }).click();
    await ui.page.getByRole('button', { name: 'Brain' }).click();
    await expect.poll(() => state().textContent()).toContain('W 80 L 40');
    const brain = await viewportPixels(ui.page);
    expect(differingCells(first.grid, brain.grid)).toBeGreaterThan(20);

    // Window/level by dragging with the left button.
    const box = (await ui.page.locator('.viewport').boundingBox())!;
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await ui.page.mouse.down();
    await ui.page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 8 });
    await ui.page.mouse.up();
    await expect.poll(() => state().textContent()).not.toContain('W 80 L 40');
    const dragged = await viewportPixels(ui.page);
    expect(differingCells(brain.grid, dragged.grid)).toBeGreaterThan(10);
    // Zoom with the zoom tool on the left button, then reset to the fitted view.
    const zoomOf = async () => Number(/Zoom ([\d.]+)/.exec((await state().textContent()) ?? '')?.[1]);
    const fitted = await zoomOf();
    await ui.page.getByRole('button', { name: 'Zoom', exact: true }).click();
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await ui.page.mouse.down();
    await ui.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 120, { steps: 8 });
    await ui.page.mouse.up();
    await expect.poll(zoomOf).not.toBe(fitted);
    await ui.page.getByRole('button', { name: 'Reset', exact: true }).click();
    await expect.poll(zoomOf).toBe(fitted);
    await ui.page.getByRole('button', { name: 'Window/level' }).click();
    await ui.page.getByRole('button', { name: 'Presets' }).click();
    await ui.page.getByRole('button', { name: 'Soft tissue' }).click();
    await screenshot(ui.page, 'viewer');

    // Scroll to the next image: the moving spot changes the picture.
    const before = await viewportPixels(ui.page);
    await ui.page.locator('.viewport').focus();
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => state().textContent()).toContain('Image 2/3');
    await expect.poll(async () => differingCells(before.grid, (await viewportPixels(ui.page)).grid)).toBeGreaterThan(0);

    await ui.page.getByRole('button', { name: 'Header' }).click();
    const nameRow = ui.page.locator('.header-panel tr', { hasText: 'PatientName' });
    await nameRow.waitFor();
    expect(await nameRow.locator('.value').textContent()).toBe('Phantom^Head');
    await screenshot(ui.page, 'viewer-header');

    // The other series, from its thumbnail.
    const thumbnails = ui.page.locator('.series-list .series');
    await expect.poll(() => thumbnails.count()).toBe(2);
    await thumbnails.filter({ hasText: 'MR' }).click();
    await expect.poll(() => state().textContent()).toContain('Image 1/2');
    // The header panel follows (it is fetched again for the image shown).
    await expect
      .poll(() => ui.page.locator('.header-panel tr', { hasText: 'Modality' }).first().locator('.value').textContent())
      .toBe('MR');
  });

  it('schedules a worklist step that a modality then finds with C-FIND', async () => {
    await open('worklist');
    // The date proposed is today as this computer's calendar has it.
    const now = new Date();
    expect(await ui.page.inputValue('input[name=scheduledDate]')).toBe(
      `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`,
    );
    await ui.page.fill('input[name=familyName]', 'Worklist');
    await ui.page.fill('input[name=givenName]', 'Wendy');
    await ui.page.selectOption('select[name=sex]', 'F');
    await ui.page.fill('input[name=patientId]', 'WL42');
    await ui.page.fill('input[name=accessionNumber]', 'ACC42');
    await ui.page.selectOption('select[name=modality]', 'MR');
    await ui.page.fill('input[name=scheduledAe]', 'MRI1');
    await ui.page.fill('input[name=scheduledDate]', '2026-12-01');
    await ui.page.fill('input[name=scheduledTime]', '09:30');
    await ui.page.getByRole('button', { name: 'Add to worklist' }).click();
    const row = ui.page.locator('tr', { hasText: 'WL42' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    await ui.page.fill('input[name=scheduledTime]', '10:15');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.locator('tr', { hasText: '10:15' }).waitFor();
    await screenshot(ui.page, 'worklist');
    const found = await run('findscu', [
      '-W',
      '-aet',
      'MRI1',
      '-aec',
      'WORKSTATION',
      '-k',
      'PatientID=WL42',
      '-k',
      'PatientName',
      '-k',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime',
      '-k',
      'ScheduledProcedureStepSequence[0].Modality',
      '127.0.0.1',
      String(local.port),
    ]);
    const out = found.stdout + found.stderr;
    expect(out).toContain('Worklist^Wendy');
    expect((await local.server.index.listWorklist()).find((e) => e.patientId === 'WL42')).toMatchObject({
      patientName: 'Worklist^Wendy',
      sex: 'F',
      modality: 'MR',
    });
    expect(out).toMatch(/\(0040,0003\) TM \[101500\]|\(0040,0003\) TM \[1015\]/);
  });

  it('sends a study to a node, then deletes it after confirmation', async () => {
    await open('studies');
    const row = ui.page.locator(`tr[data-study="${studyUid}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'Send', exact: true }).click();
    await row.getByRole('combobox', { name: 'Send to' }).selectOption('REMOTEPACS');
    await row.getByRole('button', { name: 'Send now' }).click();
    // The menu closes once the job is queued.
    await row.getByRole('combobox', { name: 'Send to' }).waitFor({ state: 'detached' });
    // The job's state follows it on the row, to its end.
    await expect.poll(() => row.locator('.job-state').textContent()).toMatch(/job \d+ done 5 \/ 5/);
    const jobId = Number(/job (\d+)/.exec((await row.locator('.job-state').textContent()) ?? '')?.[1]);
    expect((await local.server.transfers.queue.list()).find((j) => j.id === jobId)?.state).toBe('done');
    expect((await local.server.transfers.queue.list()).find((j) => j.id === jobId)).toMatchObject({
      kind: 'send',
      destination: 'REMOTEPACS',
      done: 5,
      failed: 0,
    });
    await screenshot(ui.page, 'studies');
    await row.getByRole('button', { name: 'More' }).click();
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await local.server.index.counts()).toMatchObject({ studies: 0, instances: 0 });
  });

  it('imports DICOM files picked in the browser, leaving aside what is not DICOM without calling it an error', async () => {
    await open('studies');
    const images = [1, 2].map((n) =>
      makeImage({
        patientId: 'UPLOAD1',
        patientName: 'Upload^Ursula',
        instanceNumber: n,
        studyUid: uid(),
        seriesUid: uid(),
      }),
    );
    const files = await writeImages(path.join(ui.work, 'upload'), images);
    const notes = path.join(ui.work, 'upload', 'notes.txt');
    await writeFile(notes, 'not DICOM');
    await ui.page.getByLabel('Import DICOM files').setInputFiles([...files, notes]);
    const report = ui.page.locator('.import-report');
    await report.getByText('2 imported').waitFor();
    expect(await report.textContent()).toMatch(/1 other file \(not DICOM\) left aside/);
    expect(await report.locator('.error').count()).toBe(0);
    await report.getByText('1 other file').click();
    expect(await report.locator('details.other-files').textContent()).toContain('notes.txt');
    await ui.page.locator('tr', { hasText: 'UPLOAD1' }).first().waitFor();
    expect((await local.server.index.findInstance(images[0]!.sopUid))?.transferSyntaxUid).toBe(
      TransferSyntax.ExplicitLittleEndian,
    );
    await screenshot(ui.page, 'studies-import');
  });

  it('adds a forwarding rule in the form, which forwards the next CT object at once', async () => {
    await open('settings');
    await ui.page.getByRole('button', { name: 'Add a rule' }).click();
    const rule = ui.page.locator('tr[data-rule="0"]');
    await rule.getByRole('combobox', { name: 'Send to' }).selectOption('REMOTEPACS');
    await rule.getByRole('textbox', { name: 'Modality' }).fill('CT');
    await rule.getByRole('combobox', { name: 'Compression' }).selectOption('jk');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.locator('.saved').getByText('ExportConverter0: applied now').waitFor();
    expect(local.server.config.forwardRules).toEqual([
      expect.objectContaining({ destination: 'REMOTEPACS', modality: 'CT', compression: 'jk' }),
    ]);
    expect(await readFile(path.join(local.dataDir, 'config', 'dicom.ini'), 'utf8')).toMatch(
      /^ExportConverter0\s*= forward compressed as jk to REMOTEPACS$/m,
    );
    await screenshot(ui.page, 'settings-forwarding');
    const ct = makeImage({ patientId: 'FWD1', modality: 'CT' });
    const mr = makeImage({ patientId: 'FWD2', modality: 'MR' });
    const sent = await run('storescu', [
      '-aet',
      'MODALITY',
      '-aec',
      'WORKSTATION',
      '127.0.0.1',
      String(local.server.port),
      ...(await writeImages(path.join(ui.work, 'fwd'), [ct, mr])),
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    await expect.poll(async () => (await remote.server.index.findInstance(ct.sopUid)) !== undefined).toBe(true);
    // Sent as the rule says, JPEG 2000 lossless, though the node's own code is js.
    expect((await remote.server.index.findInstance(ct.sopUid))!.transferSyntaxUid).toBe(
      TransferSyntax.Jpeg2000Lossless,
    );
    await local.server.transfers.queue.idle();
    expect(await remote.server.index.findInstance(mr.sopUid)).toBeUndefined();
    // Removed again.
    await ui.page.locator('tr[data-rule="0"]').getByRole('button', { name: 'Remove' }).click();
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.locator('.saved').getByText('ExportConverters: applied now').waitFor();
    expect(local.server.config.forwardRules).toEqual([]);
  });

  it('saves a new AE title and restarts the listener on request', async () => {
    await open('settings');
    await ui.page.locator('label[data-key=MyACRNema] input').fill('RENAMEDWS');
    await ui.page.locator('label[data-key=MaxJobsPerNode] input').fill('3');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    const saved = ui.page.locator('.saved');
    await saved.getByText('MaxJobsPerNode: applied now').waitFor();
    await saved.getByText('MyACRNema: applies when the DICOM listener restarts').waitFor();
    expect(local.server.config.settings.maxJobsPerNode).toBe(3);
    await screenshot(ui.page, 'settings-saved');
    await saved.getByRole('button', { name: /Restart the DICOM listener/ }).click();
    await saved.getByText(/Listener restarted: RENAMEDWS on port \d+/).waitFor();
    await expect.poll(() => ui.page.locator('nav .server').textContent()).toContain('RENAMEDWS');
    const echo = await run('echoscu', ['-aet', 'ECHOER', '-aec', 'RENAMEDWS', '127.0.0.1', String(local.server.port)]);
    expect(echo.code, echo.stderr).toBe(0);
  });

  it("uses the desktop shell's bridge for the secret and the import dialog when it is there", async () => {
    const desktop = await ui.browser.newPage();
    const base = `http://127.0.0.1:${local.server.api!.port}`;
    // What electron/preload.cjs exposes; the dialog and the import itself run in Electron's main process, not here.
    await desktop.addInitScript(
      ([apiBase, token]) => {
        (globalThis as unknown as { pacs: unknown }).pacs = {
          apiBase,
          token,
          importFolder: async () => '2 object(s) imported',
        };
      },
      [base, local.server.apiSecret],
    );
    await desktop.goto(`${base}/#/studies`);
    await desktop.getByRole('button', { name: 'Import a folder or CD…' }).click();
    await desktop.getByText('2 object(s) imported').waitFor();
    await desktop.close();
  });

  it('reported no page ui.errors (scripts, CSP, failed requests) but the refusal the settings test asked for', () => {
    expect(ui.errors.filter((e) => !/status of 400 .*\/api\/settings:/.test(e))).toEqual([]);
  });
});

function differingCells(a: number[], b: number[]): number {
  return a.filter((v, i) => Math.abs(v - b[i]!) > 3).length;
}
