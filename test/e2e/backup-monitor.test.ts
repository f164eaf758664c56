import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';
import { MANIFEST } from '../../main/backup/manifest.ts';

/**
 * Operations on the Monitor (issue 33): the scheduled backup (overdue before the first, "Back up now" by an admin, the
 * last one's time once done; what it wrote; its time in /metrics; the line without a BackupFolder), the verification of
 * the stored objects (a run on the button, a damaged file listed, Repair marking it) and the log files.
 */
describe('the scheduled backup and the log files on the Monitor', () => {
  const ui = uiSuite('backup');
  let archive: TestArchive;
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'pacs-backup-folder-'));
    archive = await startArchive({ BackupFolder: folder, BackupWarnDays: '2' });
    const files = await writeImages(
      ui.work,
      [1, 2, 3].map(() => makeImage({ rows: 8, columns: 8 })),
    );
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('warns before the first backup, backs up on the button, then says when', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/monitor'));
    const line = ui.page.locator('[data-testid=backup]');
    await expect.poll(() => line.textContent()).toContain('No backup has succeeded yet (overdue)');
    expect(await line.getAttribute('class')).toContain('warning');
    await line.getByRole('button', { name: 'Back up now' }).click();
    await expect.poll(() => line.textContent(), { timeout: 30_000 }).toMatch(/^Last backup /);
    expect(await line.getAttribute('class')).not.toContain('warning');
    const summary = JSON.parse(await readFile(path.join(folder, 'backup.json'), 'utf8')) as { objects: number };
    expect(summary.objects).toBe(3);
    expect((await readFile(path.join(folder, MANIFEST), 'utf8')).trim().split('\n')).toHaveLength(3);
    const metrics = await (await fetch(`${archive.server.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^pacs_backup_configured 1$/m);
    const at = Number(/^pacs_last_backup_timestamp_seconds (\S+)$/m.exec(metrics)![1]);
    expect(Math.abs(at - Date.now() / 1000)).toBeLessThan(600);
    // A backup copies every patient's data: it is in the audit trail as an export, by whom.
    await archive.server.core.audit.flush();
    const exports = await archive.server.index.auditStore().list({ action: 'export' });
    expect(exports).toEqual([expect.objectContaining({ user: 'local admin', detail: `backup into ${folder}` })]);
  }, 60_000);

  it('lists the log files, each a download', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/monitor'));
    const link = ui.page.locator('[data-testid=log-files] a', { hasText: 'pacs.log' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/\/api\/log-file\?name=pacs\.log$/);
    const [download] = await Promise.all([ui.page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('pacs.log');
    expect(await readFile((await download.path())!, 'utf8')).toMatch(/ INFO  \[/);
  }, 60_000);

  it('verifies the stored objects on the button, lists a damaged one, and marks it when no node has a copy', async () => {
    await ui.page.goto(await signInUrl(archive.server, '#/monitor'));
    const line = ui.page.locator('[data-testid=verification]');
    await expect.poll(() => line.textContent()).toContain('No verification has completed yet');
    await line.getByRole('button', { name: 'Verify now' }).click();
    await expect
      .poll(() => line.textContent(), { timeout: 30_000 })
      .toMatch(/^Last complete verification .* \(last run: 3 objects, 0 problems found\)/);
    // A byte of one stored file changes on the disk.
    const [first] = await archive.server.index.storageCheckStore().objectsAfter(0, 1);
    const file = archive.server.core.store.absolutePath(first!.location);
    const bytes = await readFile(file);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(file, bytes);
    await line.getByRole('button', { name: 'Verify now' }).click();
    const row = ui.page.locator('[data-testid=storage-problems] tbody tr');
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('bytes changed');
    expect(await row.getAttribute('data-state')).toBe('damaged');
    expect(await line.getAttribute('class')).toContain('warning');
    // VerifyRepairFrom is empty: Repair can only mark it.
    await line.getByRole('button', { name: 'Repair' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('unrepairable');
    expect(await row.textContent()).toContain('no copy found');
    expect(await row.locator('td').last().getAttribute('title')).toContain('VerifyRepairFrom is empty');
  }, 60_000);

  it('says there is no scheduled backup once BackupFolder is emptied', async () => {
    await archive.setIni('BackupFolder', '');
    await ui.page.goto(await signInUrl(archive.server, '#/monitor'));
    await expect
      .poll(() => ui.page.locator('[data-testid=backup]').textContent())
      .toBe('No scheduled backup: set BackupFolder in Settings');
  }, 60_000);
});
