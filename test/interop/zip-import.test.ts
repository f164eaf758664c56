import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { API_ROUTES } from '../../main/api/contract.ts';

/**
 * A ZIP dropped on the window is imported: Python's zipfile writes it (deflated, in folders, with a file that is not
 * DICOM), the core unpacks and imports it; an archive naming files outside itself ("zip slip") is refused whole.
 */
describe('importing a ZIP upload', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const py = (script: string) => run('/usr/bin/python3', ['-c', script]);
  const post = async (file: string, name: string) => fetch(`${archive.server.apiUrl}${API_ROUTES.importFile(name)}`, {
    method: 'POST', headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/zip' }, body: await readFile(file),
  });

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-zip-'));
    await writeImages(path.join(work, 'cd', 'IMAGES'), [1, 2, 3].map((i) => makeImage({ patientId: 'ZIP1', studyUid: study, instanceNumber: i })));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('unpacks a deflated ZIP with folders and imports its objects, naming a damaged one and leaving a README aside without calling it an error', async () => {
    const zip = path.join(work, 'study.zip');
    const made = await py(`import zipfile, os
z = zipfile.ZipFile(${JSON.stringify(zip)}, 'w', zipfile.ZIP_DEFLATED)
root = ${JSON.stringify(path.join(work, 'cd'))}
for d, _, files in os.walk(root):
    for f in files:
        z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), root))
z.writestr('README.TXT', 'not an image')
z.writestr('IMAGES/BROKEN', b'\\0' * 128 + b'DICM' + b'\\2\\0\\1\\0OB')
z.close()`);
    expect(made.code, made.stderr).toBe(0);
    const res = await post(zip, 'study.zip');
    expect(res.status).toBe(200);
    const result = await res.json() as { imported: number; skipped: { file: string; reason: string }[]; other: string[] };
    expect(result.imported).toBe(3);
    expect(result.other).toEqual(['study.zip: README.TXT']);
    expect(result.skipped).toEqual([{ file: `study.zip: ${path.join('IMAGES', 'BROKEN')}`, reason: expect.any(String) }]);
    expect((await archive.server.index.counts()).instances).toBe(3);
  });

  it('refuses a ZIP that names files outside itself, writing nothing', async () => {
    const zip = path.join(work, 'evil.zip');
    expect((await py(`import zipfile
z = zipfile.ZipFile(${JSON.stringify(zip)}, 'w')
z.writestr('ok.dcm', 'x')
z.writestr('../../outside.dcm', 'x')
z.close()`)).code).toBe(0);
    const res = await post(zip, 'evil.zip');
    expect(res.status).toBe(400);
    expect((await res.json() as { error: string }).error).toBe('the archive names a file outside itself: "../../outside.dcm"');
    const plain = await fetch(`${archive.server.apiUrl}${API_ROUTES.importFile('x.zip')}`, {
      method: 'POST', headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/zip' }, body: 'this is not a zip at all',
    });
    expect(plain.status).toBe(400);
    expect((await plain.json() as { error: string }).error).toBe('not a ZIP archive (no end of central directory)');
  });
});
