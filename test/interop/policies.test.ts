import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { ROOT_MARKER } from '../../main/store/storage-roots.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';

/** Settings an admin chooses in dicom.ini, each seen from a DCMTK peer. */
describe('archive policies', () => {
  let archive: TestArchive | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await archive?.stop();
    archive = undefined;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function send(a: TestArchive, callingAe: string, images: ReturnType<typeof makeImage>[]) {
    const dir = await mkdtemp(path.join(tmpdir(), 'pacs-pol-'));
    dirs.push(dir);
    const files = await writeImages(dir, images);
    return run('storescu', ['-v', '-aet', callingAe, '-aec', a.aeTitle, '127.0.0.1', String(a.port), ...files]);
  }

  async function filesUnder(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name !== ROOT_MARKER)
      .map((e) => e.name);
  }

  it('replaces a duplicate SOP instance by default: one file, the newer header', async () => {
    archive = await startArchive();
    const first = makeImage({ patientId: 'DUP', patientName: 'First^Name' });
    const second = makeImage({
      patientId: 'DUP',
      patientName: 'Second^Name',
      sopUid: first.sopUid,
      studyUid: first.studyUid,
      seriesUid: first.seriesUid,
    });
    expect((await send(archive, 'MOD1', [first])).code).toBe(0);
    expect((await send(archive, 'MOD1', [second])).code).toBe(0);
    expect((await archive.server.index.findPatient('DUP'))?.patientName).toBe('Second^Name');
    expect((await filesUnder(archive.server.store.devices[0]!)).filter((n) => n.startsWith(first.sopUid))).toHaveLength(
      1,
    );
  });

  it('rejects a duplicate when DuplicatePolicy = reject', async () => {
    archive = await startArchive({ DuplicatePolicy: 'reject' });
    const img = makeImage({ patientId: 'REJ', patientName: 'Kept^First' });
    expect((await send(archive, 'MOD1', [img])).code).toBe(0);
    const again = await send(archive, 'MOD1', [
      makeImage({
        patientId: 'REJ',
        patientName: 'Not^Stored',
        sopUid: img.sopUid,
        studyUid: img.studyUid,
        seriesUid: img.seriesUid,
      }),
    ]);
    // 0x0111 Duplicate SOP Instance (PS3.7 C.5): DCMTK prints it as an unknown failure status.
    expect(again.stdout + again.stderr).toMatch(/Received Store Response \(.*0x111\)/);
    expect((await archive.server.index.findPatient('REJ'))?.patientName).toBe('Kept^First');
  });

  it('keeps the first copy and answers success when DuplicatePolicy = keep', async () => {
    archive = await startArchive({ DuplicatePolicy: 'keep' });
    const img = makeImage({ patientId: 'KEEP', patientName: 'Kept^First' });
    expect((await send(archive, 'MOD1', [img])).code).toBe(0);
    const again = await send(archive, 'MOD1', [
      makeImage({
        patientId: 'KEEP',
        patientName: 'Dropped^Copy',
        sopUid: img.sopUid,
        studyUid: img.studyUid,
        seriesUid: img.seriesUid,
      }),
    ]);
    expect(again.code).toBe(0);
    expect((await archive.server.index.findPatient('KEEP'))?.patientName).toBe('Kept^First');
  });

  it('refuses callers missing from acrnema.map when RequireKnownCallingAE = 1 (reason 3)', async () => {
    archive = await startArchive({ RequireKnownCallingAE: '1' }, ['CT_ROOM*          127.0.0.1       104     un']);
    const stranger = await run('echoscu', [
      '-aet',
      'STRANGER',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stdout + stranger.stderr).toMatch(/Calling AE Title Not Recognized/);
    const known = await run('echoscu', [
      '-aet',
      'CT_ROOM2',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(known.code, known.stderr).toBe(0);
  });
});
