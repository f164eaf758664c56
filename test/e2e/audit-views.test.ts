import { api as apiFeature } from '../../main/features/api.ts';
import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditDto } from '../../main/api/contract.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { screenshot } from '../helpers/browser.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * Every view is audited with its patient and study (issue 28): three people open studies in the viewer; each opening
 * is one record naming the patient and the study, the viewer's own look-ups write no query records, an opening counts
 * as use for the clean-up, and "who saw Dvořák's images" is one filter on the Audit screen.
 */
describe('views in the audit trail', () => {
  const ui = uiSuite('audit-views');
  let archive: TestArchive;
  const dvorak = uid();
  const other = uid();
  const PASSWORD = 'a long enough pw';
  let admin = '';
  const origin = () => `http://127.0.0.1:${archive.server.api!.port}`;
  const asAdmin = (method: string, route: string, body?: unknown) =>
    fetch(`${origin()}${route}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const accessedAt = (studyUid: string) => {
    const db = new Database(path.join(archive.dataDir, 'index', 'archive.db3'), { readonly: true });
    try {
      return (
        db.prepare('SELECT accessed_at FROM studies WHERE study_uid = ?').get(studyUid) as { accessed_at: string }
      ).accessed_at;
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    archive = await startArchive();
    const [s1, s2] = [uid(), uid()];
    const images = [
      ...[1, 2, 3].map((n) =>
        makeImage({
          seriesUid: s1,
          patientId: 'CZ55',
          patientName: Buffer.from('Dvořák^Jiří', 'utf8'),
          specificCharacterSet: 'ISO_IR 192',
          studyUid: dvorak,
          instanceNumber: n,
          rows: 16,
          columns: 16,
        }),
      ),
      ...[1, 2].map((n) =>
        makeImage({
          seriesUid: s2,
          patientId: 'CZ66',
          patientName: 'Novak^Petr',
          studyUid: other,
          instanceNumber: n,
          rows: 16,
          columns: 16,
        }),
      ),
    ];
    const stored = await run('storescu', [
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(ui.work, images)),
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    const token = new URL(archive.server.feature(apiFeature).setupLink()!).hash.replace('#setup=', '');
    admin = (
      (await (
        await fetch(`${origin()}${ENDPOINTS.setup.path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token, name: 'ines', password: PASSWORD, bearer: true }),
        })
      ).json()) as { token: string }
    ).token;
    for (const [name, role] of [
      ['tomas', 'technician'],
      ['vera', 'viewer'],
    ]) {
      expect((await asAdmin('POST', ENDPOINTS.users.path, { name, role, password: PASSWORD })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await archive?.stop();
  });

  /** A person signs in in a browser of their own and opens a study in the viewer. */
  const view = async (user: string, studyUid: string) => {
    const page = await ui.newPage(); // a context of its own: its own sign-in
    await page.goto(`${origin()}/#/viewer/${studyUid}`);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.locator('[data-testid=viewport-state]').first().textContent(), { timeout: 20_000 })
      .toMatch(/Image 1\//);
    // Scrolling loads the study's other images: still one view.
    await page.locator('.viewport').first().hover();
    await page.mouse.wheel(0, 120);
    await expect.poll(() => page.locator('[data-testid=viewport-state]').first().textContent()).toMatch(/Image 2\//);
  };

  it("records each person's opening of a study once, with its patient and study, and none of the viewer's look-ups as searches", async () => {
    const before = accessedAt(dvorak);
    await view('ines', dvorak);
    await view('tomas', dvorak);
    await view('vera', dvorak);
    await view('vera', other); // two images
    await archive.server.core.audit.flush();
    const all = (await (await asAdmin('GET', `${ENDPOINTS.audit.path}?action=view`)).json()) as AuditDto[];
    const seen = all
      .map(
        (r) =>
          `${r.user} ${r.patientId} ${r.studyUid === dvorak ? 'dvorak' : r.studyUid === other ? 'other' : r.studyUid}`,
      )
      .sort();
    expect(seen).toEqual(['ines CZ55 dvorak', 'tomas CZ55 dvorak', 'vera CZ55 dvorak', 'vera CZ66 other']);
    const searches = (await (await asAdmin('GET', `${ENDPOINTS.audit.path}?action=query`)).json()) as AuditDto[];
    expect(searches.map((r) => r.detail)).toEqual([]);
    // The viewing is use: the study is not the least recently used one for the clean-up.
    await expect.poll(() => accessedAt(dvorak) > before).toBe(true);
  }, 120_000);

  it('answers "who saw Dvořák\'s images" with one filter on the Audit screen', async () => {
    const page = await ui.newPage();
    await page.goto(`${origin()}/#/audit`);
    await page.getByLabel('User name').fill('ines');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.fill('input[name=audit-patient]', 'dvorak');
    await page.selectOption('select[name=audit-action]', 'view');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(3);
    const rows = await page.locator('table.audit tbody tr').allTextContents();
    for (const user of ['ines', 'tomas', 'vera'])
      expect(rows.some((r) => r.includes(user) && r.includes('Dvořák, Jiří (CZ55)'))).toBe(true);
    await screenshot(page, 'audit-views');
  }, 60_000);
});
