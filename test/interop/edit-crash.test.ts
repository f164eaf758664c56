import { describe, expect, it } from 'vitest';
import { watch } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { filesUnder, serveCli } from '../helpers/cli-server.ts';
import { findscu } from '../helpers/qr-tools.ts';
import { seedConfig } from '../../main/config/load.ts';
import { readObjectHeader } from '../../main/store/object-header.ts';
import { until } from '../helpers/wait.ts';

/**
 * An edit killed in the middle (issue 17): the server is killed (SIGKILL) as soon as the first corrected object replaces
 * its old file. Every object must then be the old one or the new one, whole; once the server has started again the edit
 * is resumed and finished: every object corrected, the index saying so, no temporary file left.
 */
describe('an edit killed in the middle', () => {
  it('leaves each object old or new, whole, and finishes the edit when the server starts again', async () => {
    const data = await mkdtemp(path.join(tmpdir(), 'pacs-editcrash-'));
    const work = await mkdtemp(path.join(tmpdir(), 'pacs-editcrash-in-'));
    try {
      await seedConfig(path.join(data, 'config'));
      const first = serveCli(data);
      const { port, origin, token } = await first.started;
      const study = uid();
      const series = uid();
      const images = Array.from({ length: 200 }, (_, i) =>
        makeImage({
          patientId: 'TYPO',
          patientName: 'Typo^Name',
          studyUid: study,
          seriesUid: series,
          instanceNumber: i + 1,
          rows: 32,
          columns: 32,
        }),
      );
      const files = await writeImages(work, images);
      expect((await run('storescu', ['-aec', 'PACSWS', '127.0.0.1', String(port), ...files], 300_000)).code).toBe(0);

      const seriesDir = path.dirname((await filesUnder(path.join(data, 'storage'))).find((f) => f.includes(series))!);
      const killed = new Promise<void>((resolve) => {
        const watcher = watch(seriesDir, () => {
          first.child.kill('SIGKILL');
          watcher.close();
          resolve();
        });
      });
      const res = await fetch(`${origin}/api/edit/patient`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ patientId: 'TYPO', changes: { patientId: 'FIXED', patientName: 'Fixed^Name' } }),
      });
      expect(res.status).toBe(200);
      await killed;
      await first.exited;

      // Right after the kill: every file is a whole object, either the old or the new one.
      const stored = (await filesUnder(path.join(data, 'storage'))).filter((f) => f.includes(series));
      expect(stored).toHaveLength(200);
      const states = await Promise.all(stored.map(async (f) => (await readObjectHeader(f)).header.patientId));
      expect(states.every((id) => id === 'TYPO' || id === 'FIXED')).toBe(true);
      const corrected = states.filter((id) => id === 'FIXED').length;

      const second = serveCli(data);
      const again = await second.started;
      await until('the interrupted edit is finished after the restart', async () => {
        const f = await findscu(
          again.port,
          'PACSWS',
          ['-P'],
          ['QueryRetrieveLevel=PATIENT', 'PatientID', 'NumberOfPatientRelatedInstances'],
        );
        return (
          f.answers.length === 1 &&
          f.answers[0]!.PatientID === 'FIXED' &&
          f.answers[0]!.NumberOfPatientRelatedInstances === '200'
        );
      });
      const patients = await findscu(
        again.port,
        'PACSWS',
        ['-P'],
        ['QueryRetrieveLevel=PATIENT', 'PatientID', 'PatientName', 'NumberOfPatientRelatedInstances'],
      );
      expect(patients.answers).toEqual([
        expect.objectContaining({
          PatientID: 'FIXED',
          PatientName: 'Fixed^Name',
          NumberOfPatientRelatedInstances: '200',
        }),
      ]);
      second.child.kill('SIGTERM');
      await second.exited;
      const after = await Promise.all(
        (await filesUnder(path.join(data, 'storage'))).map(async (f) => (await readObjectHeader(f)).header.patientId),
      );
      expect(after.filter((id) => id === 'FIXED')).toHaveLength(200);
      expect(await readdir(path.join(data, 'storage', '.incoming'))).toEqual([]);
      console.log(`edit killed with ${corrected} of 200 objects corrected; finished after the restart`);
    } finally {
      await rm(data, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
