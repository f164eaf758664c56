import { describe, expect, it } from 'vitest';
import { watch } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { filesUnder, serveCli as serve, setIniKey as setKey } from '../helpers/cli-server.ts';
import { seedConfig } from '../../main/config/load.ts';

/**
 * A clean-up killed in the middle (issue 13): the server is killed (SIGKILL) as soon as it says it is deleting, and
 * started again. Wherever the kill landed, the archive must then hold no index row without its file and no file without
 * its row: the deletion is journaled (rows and journal entry in one transaction, files after) and finished at start.
 */
describe('a clean-up killed in the middle', () => {
  it('leaves no row without its file and no file without its row once the server has started again', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-crash-'));
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-crash-in-'));
    try {
      await seedConfig(path.join(data, 'config'));
      await setKey(data, 'DurableWrites', '0'); // a kill does not lose the page cache; only the deletion's journal matters here
      const first = serve(data);
      const { port, origin, token } = await first.started;
      const study = uid();
      const series = uid();
      const many = Array.from({ length: 400 }, (_, i) =>
        makeImage({ patientId: 'OLD', studyUid: study, seriesUid: series, instanceNumber: i + 1, rows: 8, columns: 8 }),
      );
      const files = await writeImages(path.join(work, 'old'), many);
      expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(port), ...files], 300_000)).code).toBe(0);

      // A threshold above any disk's size: the clean-up starts with the next object and deletes the oldest patient.
      const settings = (await (
        await fetch(`${origin}/api/settings`, { headers: { Authorization: `Bearer ${token}` } })
      ).json()) as { text: string };
      const text = settings.text.replace(/^MAGDeviceThreshold\s*=.*$/m, 'MAGDeviceThreshold       = 1000000000');
      expect(
        (
          await fetch(`${origin}/api/settings`, {
            method: 'PUT',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ text }),
          })
        ).status,
      ).toBe(200);
      // Killed at the first file the clean-up deletes: its rows are gone by then, most of its files not yet.
      const seriesDir = path.dirname((await filesUnder(path.join(data, 'storage'))).find((f) => f.includes(series))!);
      const killed = new Promise<void>((resolve) => {
        const watcher = watch(seriesDir, () => {
          first.child.kill('SIGKILL');
          watcher.close();
          resolve();
        });
      });
      const [newer] = await writeImages(path.join(work, 'new'), [
        makeImage({ patientId: 'NEW', studyUid: uid(), rows: 8, columns: 8 }),
      ]);
      await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(port), newer!]);
      await killed;
      await first.exited;
      const left = (await filesUnder(path.join(data, 'storage'))).length;

      await setKey(data, 'MAGDeviceThreshold', '0');
      const second = serve(data);
      await second.started;
      second.child.kill('SIGTERM');
      await second.exited;

      const db = new Database(path.join(data, 'index', 'archive.db3'), { readonly: true });
      const rows = (db.prepare('SELECT path FROM instances').all() as { path: string }[])
        .map((r) => path.join(data, 'storage', ...r.path.split('/')))
        .sort();
      const pending = db.prepare("SELECT count(*) AS n FROM deletions WHERE state = 'pending'").get() as { n: number };
      db.close();
      const stored = (await filesUnder(path.join(data, 'storage'))).sort();
      expect(stored).toEqual(rows);
      expect(pending.n).toBe(0);
      // Where the kill landed, for the record: between the journal and the last file, the restart finished the deletion.
      if (left > 1 && left < 401)
        expect(second.output()).toMatch(/pending study deletion\(s\) finished: their files are deleted now/);
      console.log(
        `clean-up killed with ${left} of 401 files left; after the restart ${stored.length} files, ${rows.length} rows`,
      );
    } finally {
      await rm(data, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
