import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';

/**
 * A ZIP dropped on the window is imported: Python's zipfile writes it (deflated, in folders, with a file that is not
 * DICOM), the core unpacks and imports it; an archive naming files outside itself ("zip slip"), a ZIP bomb, an entry
 * claiming more than the file holds and a directory that disagrees with its end record are refused whole, with a 400
 * and nothing written or held in memory.
 */
describe('importing a ZIP upload', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const py = (script: string) => run('/usr/bin/python3', ['-c', script]);
  const post = async (file: string, name: string) =>
    fetch(`${archive.server.apiUrl}${pathOf(ENDPOINTS.importFile, [], { name: name })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/zip' },
      body: await readFile(file),
    });

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-zip-'));
    await writeImages(
      path.join(work, 'cd', 'IMAGES'),
      [1, 2, 3].map((i) => makeImage({ patientId: 'ZIP1', studyUid: study, instanceNumber: i })),
    );
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
    const result = (await res.json()) as {
      imported: number;
      skipped: { file: string; reason: string }[];
      other: string[];
    };
    expect(result.imported).toBe(3);
    expect(result.other).toEqual(['study.zip: README.TXT']);
    expect(result.skipped).toEqual([
      { file: `study.zip: ${path.join('IMAGES', 'BROKEN')}`, reason: expect.any(String) },
    ]);
    expect((await archive.server.index.counts()).instances).toBe(3);
  });

  it('refuses a ZIP that names files outside itself, writing nothing', async () => {
    const zip = path.join(work, 'evil.zip');
    expect(
      (
        await py(`import zipfile
z = zipfile.ZipFile(${JSON.stringify(zip)}, 'w')
z.writestr('ok.dcm', 'x')
z.writestr('../../outside.dcm', 'x')
z.close()`)
      ).code,
    ).toBe(0);
    const res = await post(zip, 'evil.zip');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(
      'the archive names a file outside itself: "../../outside.dcm"',
    );
    const plain = await fetch(`${archive.server.apiUrl}${pathOf(ENDPOINTS.importFile, [], { name: 'x.zip' })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${archive.server.apiSecret}`, 'content-type': 'application/zip' },
      body: 'this is not a zip at all',
    });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: string }).error).toBe('not a ZIP archive (no end of central directory)');
  });

  const uploadsLeft = async () =>
    (await import('node:fs/promises'))
      .readdir(path.join(archive.server.config.dataDir, 'uploads'))
      .catch(() => [] as string[]);

  it('refuses a ZIP bomb before unpacking a byte, and the server keeps its memory', async () => {
    const bomb = path.join(work, 'bomb.zip');
    // 150 MB of zeros deflate to about 150 KB.
    expect(
      (
        await py(`import zipfile
z = zipfile.ZipFile(${JSON.stringify(bomb)}, 'w', zipfile.ZIP_DEFLATED)
z.writestr('IMAGES/IM1', bytes(150 * 1024 * 1024))
z.close()`)
      ).code,
    ).toBe(0);
    const before = process.memoryUsage().rss;
    const res = await post(bomb, 'bomb.zip');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^the archive would unpack to 150 MB, more than the \d+ MB a ZIP of its size may \(a ZIP bomb\?\)$/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
    expect(await uploadsLeft()).toEqual([]);
  });

  it('refuses an entry that claims more than the file holds, and a directory that disagrees with its end record', async () => {
    // A tiny archive whose directory says its one stored entry is 256 MB.
    const claims = path.join(work, 'claims.zip');
    expect(
      (
        await py(`import zipfile, struct
z = zipfile.ZipFile(${JSON.stringify(claims)}, 'w')
z.writestr('IM1', b'tiny')
z.close()
data = bytearray(open(${JSON.stringify(claims)}, 'rb').read())
cd = data.find(b'PK\\x01\\x02')
struct.pack_into('<II', data, cd + 20, 256 * 1024 * 1024, 256 * 1024 * 1024)
open(${JSON.stringify(claims)}, 'wb').write(bytes(data))`)
      ).code,
    ).toBe(0);
    const big = await post(claims, 'claims.zip');
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: string }).error).toMatch(/would unpack to 256 MB/);

    const twisted = path.join(work, 'twisted.zip');
    expect(
      (
        await py(`import zipfile, struct
z = zipfile.ZipFile(${JSON.stringify(twisted)}, 'w')
z.writestr('IM1', b'one')
z.close()
data = bytearray(open(${JSON.stringify(twisted)}, 'rb').read())
end = data.rfind(b'PK\\x05\\x06')
struct.pack_into('<HH', data, end + 8, 3, 3)
open(${JSON.stringify(twisted)}, 'wb').write(bytes(data))`)
      ).code,
    ).toBe(0);
    const damaged = await post(twisted, 'twisted.zip');
    expect(damaged.status).toBe(400);
    expect(((await damaged.json()) as { error: string }).error).toMatch(/^the ZIP archive is damaged: /);
    expect(await uploadsLeft()).toEqual([]);
    // And the archive still takes a good one.
    expect((await post(path.join(work, 'study.zip'), 'study.zip')).status).toBe(200);
  });
});
