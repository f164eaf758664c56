import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';

/**
 * DurableWrites (issue 13): an object is answered as stored once its bytes and its temporary name in the incoming
 * folder are on stable storage; its rename into place is not waited for. What a crash or power cut can leave of that,
 * made by hand while the server is stopped, and what the next start does with each: an object whose move into place
 * was lost is put in place byte for byte; an object cut short, one never indexed, and one whose move did reach the
 * disk (both names left) are removed from the incoming folder, and nothing else changes.
 */
describe('received objects left in the incoming folder at start', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const series = uid();
  const images = [1, 2, 3].map((n) =>
    makeImage({ patientId: 'INCOMING', studyUid: study, seriesUid: series, instanceNumber: n }),
  );
  const [lostMove, cutShort, bothNames] = images;
  const neverIndexed = makeImage({ patientId: 'INCOMING', studyUid: study, seriesUid: series, instanceNumber: 4 });

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-incoming-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const fileOf = async (sopUid: string) =>
    archive.server.store.absolutePath((await archive.server.index.findInstance(sopUid))!.location);
  const incoming = () => path.join(archive.server.store.devices[0]!, '.incoming');

  it('puts in place an object whose move was lost, and removes the other leftovers', async () => {
    const files = await writeImages(work, images);
    const sent = await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
    expect(sent.code).toBe(0);
    const stored = new Map<string, { file: string; bytes: Buffer }>();
    for (const image of images) {
      const file = await fileOf(image.sopUid);
      stored.set(image.sopUid, { file, bytes: await readFile(file) });
    }
    const incomingDir = incoming(); // the stopped archive's folder, the same as the next one's
    await archive.restart(async () => {
      // The move into place did not reach the disk: the object is still in the incoming folder, complete.
      await rename(stored.get(lostMove!.sopUid)!.file, path.join(incomingDir, '9-lost.part'));
      // A crash while an object arrived: a part of it.
      await copyFile(stored.get(cutShort!.sopUid)!.file, path.join(incomingDir, '9-cut.part'));
      await truncate(path.join(incomingDir, '9-cut.part'), 2000);
      // A move that did reach the disk, its old name too (a file system that does not make a rename one step).
      await copyFile(stored.get(bothNames!.sopUid)!.file, path.join(incomingDir, '9-both.part'));
      // Complete, but its row never written: its sender heard no success.
      await writeFile(path.join(incomingDir, '9-never.part'), neverIndexed.bytes);
      // Not a received object's: removed as before.
      await writeFile(path.join(incomingDir, '9-x.edit'), 'half an edit');
    });

    for (const image of images) {
      const { file, bytes } = stored.get(image.sopUid)!;
      expect(await fileOf(image.sopUid)).toBe(file);
      expect((await readFile(file)).equals(bytes)).toBe(true);
    }
    expect(await readdir(incoming())).toEqual([]);
    expect(await archive.server.index.findInstance(neverIndexed.sopUid)).toBeUndefined();
    const log = archive.logText();
    expect(log).toContain(`object ${lostMove!.sopUid}: found complete in the incoming folder after the last stop`);
    expect(log).toContain('removed 3 partial or unneeded received object(s)');
    expect(log).toContain('removed 1 temporary file(s)');
    // The Monitor shows the repair with the recent errors (it means the server stopped without its stop).
    const activity = (await (await apiFetch(archive, 'GET', '/api/activity')).json()) as { errors: { text: string }[] };
    expect(activity.errors.map((e) => e.text)).toContain(
      'at start: 1 object answered as stored before a crash or power cut was put in place from the incoming folder',
    );
    // The object put back is served to a peer like any other.
    const got = await run('getscu', [
      '-aec',
      archive.aeTitle,
      '-od',
      work,
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${study}`,
      '-k',
      `SeriesInstanceUID=${series}`,
      '-k',
      `SOPInstanceUID=${lostMove!.sopUid}`,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(got.code).toBe(0);
    expect(await readdir(work)).toContain(`CT.${lostMove!.sopUid}`);
  });
});
