import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { PROPOSE, TS, compressedFile, pixelsOf } from '../helpers/compressed.ts';
import { makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { startOrthanc, type RunningOrthanc } from '../helpers/orthanc.ts';

type Json = Record<string, { vr: string; Name?: string; Value?: unknown }>;

/**
 * Orthanc's DICOMweb plugin with our archive as its DICOMweb server (issue 15): it searches us with QIDO-RS, retrieves
 * a study from us with WADO-RS (a JPEG-LS object among them) and stores into us with STOW-RS. What arrives on either
 * side is compared with what was sent: the attributes and the pixels.
 */
describe('DICOMweb with Orthanc as the client', () => {
  let archive: TestArchive;
  let orthanc: RunningOrthanc;
  let work: string;
  const study = uid();
  const SIZE = 40;
  const image = (n: number) =>
    makeImage({
      patientId: 'ORTH1',
      patientName: 'Orthanc^Test',
      studyUid: study,
      instanceNumber: n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
      rescaleIntercept: -1024,
    });
  const plain = [image(1), image(2)];
  const jls = image(3);
  const originals = new Map<string, string>();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-orthanc-'));
    const files = await writeImages(work, [...plain, jls]);
    [...plain, jls].forEach((img, i) => {
      originals.set(img.sopUid, files[i]!);
    });
    expect(
      (await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), files[0]!, files[1]!])).code,
    ).toBe(0);
    const compressed = await compressedFile(await mkdtemp(path.join(work, 'jls-')), jls, TS.jpegLs, SIZE, SIZE);
    expect(
      (
        await run('storescu', [
          PROPOSE[TS.jpegLs]!,
          '-aec',
          archive.aeTitle,
          '127.0.0.1',
          String(archive.port),
          compressed,
        ])
      ).code,
    ).toBe(0);
    orthanc = await startOrthanc({
      url: `http://127.0.0.1:${archive.server.api!.port}/dicom-web`,
      secret: archive.server.apiSecret,
    });
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("answers Orthanc's QIDO-RS search", async () => {
    const studies = await orthanc.rest<Json[]>('POST', '/dicom-web/servers/ours/qido', {
      Uri: '/studies',
      Arguments: { PatientID: 'ORTH1' },
    });
    // Orthanc reads our JSON answer and gives it in its own form: each tag with its name and its value as text.
    expect(studies.map((s) => s['0020000D']?.Value)).toEqual([study]);
    expect(studies[0]!['00100010']).toMatchObject({ Name: 'PatientName', Value: 'Orthanc^Test' });
    const instances = await orthanc.rest<Json[]>('POST', '/dicom-web/servers/ours/qido', {
      Uri: `/studies/${study}/instances`,
    });
    expect(instances.map((i) => i['00080018']?.Value).sort()).toEqual([...plain, jls].map((i) => i.sopUid).sort());
  });

  it('gives Orthanc the study with WADO-RS: the same attributes and pixels, the JPEG-LS object decoded or as stored', async () => {
    await orthanc.rest('POST', '/dicom-web/servers/ours/retrieve', { Resources: [{ Study: study }] });
    const ids = await orthanc.rest<string[]>('GET', '/instances');
    expect(ids.length).toBe(3);
    for (const id of ids) {
      const tags = await orthanc.rest<Record<string, string>>('GET', `/instances/${id}/simplified-tags`);
      expect(tags.PatientName).toBe('Orthanc^Test');
      expect(tags.StudyInstanceUID).toBe(study);
      const file = path.join(work, `from-orthanc-${id}.dcm`);
      await writeFile(file, await orthanc.bytes(`/instances/${id}/file`));
      // Decoded by DCMTK if Orthanc kept it compressed: the pixels are the original's either way.
      const plainFile = `${file}.plain.dcm`;
      expect((await run('dcmdjpls', [file, plainFile])).code).toBe(0);
      expect(
        (await pixelsOf(plainFile)).pixels.equals((await pixelsOf(originals.get(tags.SOPInstanceUID!)!)).pixels),
        tags.SOPInstanceUID,
      ).toBe(true);
    }
  });

  it("takes Orthanc's STOW-RS: the object stored through the ingest, pixels unchanged", async () => {
    const fresh: MadeImage = makeImage({
      patientId: 'ORTH2',
      patientName: 'Stow^Orthanc',
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, 7),
    });
    const uploaded = await orthanc.rest<{ ID: string }>('POST', '/instances', fresh.bytes);
    await orthanc.rest('POST', '/dicom-web/servers/ours/stow', { Resources: [uploaded.ID] });
    const inst = await archive.server.index.findInstance(fresh.sopUid);
    expect(inst).toBeDefined();
    const stored = archive.server.store.absolutePath(inst!.location);
    expect(
      (await pixelsOf(stored)).pixels.equals(
        (await pixelsOf((await writeImages(path.join(work, 'fresh'), [fresh]))[0]!)).pixels,
      ),
    ).toBe(true);
    expect(archive.logText()).not.toMatch(/error/i);
  });
});
