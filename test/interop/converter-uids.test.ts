import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { StorageSopClass } from '../../common/uids.ts';

/**
 * Conquest's newuids and olduids in import converters (issue 31), through storescu: objects from one sender get new
 * UIDs, the same new study UID for the objects of one study (and after a restart of the converters' key: it is kept),
 * SOP Class UIDs untouched, an `except` attribute kept; the same objects sent back by another sender get their old
 * UIDs again from the pairs kept in the index.
 */
describe('newuids and olduids', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive({
      ImportConverter0: 'ifequal "%u", "ANON"; newuids except 0020,0052',
      ImportConverter1: 'ifequal "%u", "RESTORE"; olduids',
      ImportConverter2: `ifequal "%u", "LUANEW"; lua "script('newuids')"`,
    });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-uids-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const send = async (callingAe: string, files: string[]) =>
    run('storescu', ['-aet', callingAe, '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
  const uidsOf = (dump: string) => ({
    study: /\(0020,000d\) UI \[([^\]]+)\]/.exec(dump)?.[1],
    series: /\(0020,000e\) UI \[([^\]]+)\]/.exec(dump)?.[1],
    sop: /\(0008,0018\) UI \[([^\]]+)\]/.exec(dump)?.[1],
    frame: /\(0020,0052\) UI \[([^\]]+)\]/.exec(dump)?.[1],
  });

  it('gives the objects of one study one new study UID, keeps classes and the excepted attribute, and undoes it', async () => {
    const study = uid();
    const frame = uid();
    const extra = [{ tag: 0x00200052, vr: 'UI', value: frame }];
    const series = uid();
    const images = [1, 2].map((n) =>
      makeImage({ studyUid: study, seriesUid: series, instanceNumber: n, rows: 8, columns: 8, extra }),
    );
    expect((await send('ANON', await writeImages(path.join(work, 'in'), images))).code).toBe(0);
    expect(await archive.server.index.findInstance(images[0]!.sopUid)).toBeUndefined();
    const stored = await archive.server.index.instancesMatching([]);
    expect(stored).toHaveLength(2);
    const dumps = await Promise.all(stored.map((s) => dumpDataSet(archive.server.store.absolutePath(s.location))));
    const [a, b] = dumps.map(uidsOf);
    expect(a!.study).toMatch(/^2\.25\.\d+$/);
    expect(a!.study).toBe(b!.study);
    expect(a!.study).not.toBe(study);
    expect(a!.series).toBe(b!.series);
    expect(a!.sop).not.toBe(b!.sop);
    expect(a!.frame).toBe(frame);
    expect(stored.map((s) => s.sopClassUid)).toEqual([StorageSopClass.CtImage, StorageSopClass.CtImage]);

    // From Lua's script('newuids'), with the same key: the same new study UID for another object of the study.
    const third = makeImage({ studyUid: study, seriesUid: series, instanceNumber: 3, rows: 8, columns: 8 });
    expect((await send('LUANEW', await writeImages(path.join(work, 'lua'), [third]))).code).toBe(0);
    const all = await archive.server.index.instancesMatching([]);
    const newest = all.find((i) => !stored.some((s) => s.sopInstanceUid === i.sopInstanceUid))!;
    expect(uidsOf(await dumpDataSet(archive.server.store.absolutePath(newest.location))).study).toBe(a!.study);

    // Sent back from RESTORE: the old UIDs again.
    const files = stored.map((s) => archive.server.store.absolutePath(s.location));
    const copies = path.join(work, 'back');
    await run('mkdir', ['-p', copies]);
    for (const [i, f] of files.entries()) await run('cp', [f, path.join(copies, `${i}.dcm`)]);
    expect((await send('RESTORE', [path.join(copies, '0.dcm'), path.join(copies, '1.dcm')])).code).toBe(0);
    for (const image of images) {
      const row = (await archive.server.index.findInstance(image.sopUid))!;
      expect(uidsOf(await dumpDataSet(archive.server.store.absolutePath(row.location)))).toMatchObject({
        study,
        series,
        sop: image.sopUid,
        frame,
      });
    }
  });
});
