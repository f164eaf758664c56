import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { PROPOSE, TS, compressedFile, pixelsOf } from '../helpers/compressed.ts';
import { filesUnder } from '../helpers/cli-server.ts';
import { TransferSyntax } from '../../common/uids.ts';

const CLI = fileURLToPath(new URL('../../main/cli.ts', import.meta.url));

/** pydicom's FileSet (Debian python3-pydicom) reads a DICOMDIR: what it lists, each instance loaded through it. */
const READ_FILESET = `
import json, sys
from pydicom.fileset import FileSet
fs = FileSet(sys.argv[1])
out = []
for inst in fs:
    ds = inst.load()
    out.append({"patient": str(ds.PatientID), "name": str(ds.PatientName), "study": ds.StudyInstanceUID, "series": ds.SeriesInstanceUID,
                "sop": ds.SOPInstanceUID, "ts": str(ds.file_meta.TransferSyntaxUID), "path": inst.path, "pixels": len(ds.PixelData)})
print(json.dumps({"id": fs.ID, "patients": len(fs.find_values("PatientID")), "instances": out}))
`;

async function fileSet(dicomdir: string): Promise<{
  id: string;
  patients: number;
  instances: {
    patient: string;
    name: string;
    study: string;
    series: string;
    sop: string;
    ts: string;
    path: string;
    pixels: number;
  }[];
}> {
  const r = await run('/usr/bin/python3', ['-c', READ_FILESET, dicomdir]);
  if (r.code !== 0) throw new Error(`pydicom could not read ${dicomdir}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function cli(args: string[], data: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

/**
 * Export as DICOM media (issue 17): a study to a folder with its DICOMDIR by the CLI, as a ZIP and as an ISO image by
 * the API; each read back by independent readers (dcmdump of every file, pydicom's FileSet, xorriso for the image) and
 * by our own import, which must find the same objects.
 */
describe('export as DICOM media', () => {
  let archive: TestArchive;
  let work: string;
  const study = uid();
  const series = [uid(), uid()];
  const SIZE = 24;
  const images = [
    makeImage({
      patientId: 'EXP1',
      patientName: Buffer.from('Dvořák^Jiří', 'utf8'),
      specificCharacterSet: 'ISO_IR 192',
      studyUid: study,
      seriesUid: series[0],
      instanceNumber: 1,
      rows: SIZE,
      columns: SIZE,
    }),
    makeImage({
      patientId: 'EXP1',
      patientName: Buffer.from('Dvořák^Jiří', 'utf8'),
      specificCharacterSet: 'ISO_IR 192',
      studyUid: study,
      seriesUid: series[0],
      instanceNumber: 2,
      rows: SIZE,
      columns: SIZE,
    }),
  ];
  const jls = makeImage({
    patientId: 'EXP1',
    patientName: Buffer.from('Dvořák^Jiří', 'utf8'),
    specificCharacterSet: 'ISO_IR 192',
    studyUid: study,
    seriesUid: series[1],
    instanceNumber: 1,
    rows: SIZE,
    columns: SIZE,
  });

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-export-'));
    const files = await writeImages(path.join(work, 'in'), images);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
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
    await archive.server.stop(); // the CLI opens the same data folder
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('writes a folder media set by the CLI that dcmdump, pydicom and our own import read back whole', async () => {
    const to = path.join(work, 'usb');
    const r = await cli(['export', '--study', study, '--to', to], archive.dataDir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/export: 1 patient\(s\), 1 study, 2 series, 3 object\(s\)/);
    const written = await filesUnder(to);
    expect(written.map((f) => path.relative(to, f)).sort()).toEqual(
      [
        'DICOM/P0000001/S0000001/E0000001/I0000001',
        'DICOM/P0000001/S0000001/E0000001/I0000002',
        'DICOM/P0000001/S0000001/E0000002/I0000001',
        'DICOMDIR',
      ].map((p) => p.split('/').join(path.sep)),
    );
    for (const f of written) expect((await run('dcmdump', ['-q', f])).code, f).toBe(0);
    const dump = (await run('dcmdump', ['-q', '+U8', path.join(to, 'DICOMDIR')])).stdout;
    expect(dump).toMatch(/\(0004,1430\) CS \[PATIENT\]/);
    expect(dump).toMatch(/\(0010,0010\) PN \[Dvořák\^Jiří\]/);
    expect(dump).toMatch(/\(0004,1500\) CS \[DICOM\\P0000001\\S0000001\\E0000002\\I0000001\]/);

    const set = await fileSet(path.join(to, 'DICOMDIR'));
    expect(set.patients).toBe(1);
    expect(set.instances.map((i) => i.sop).sort()).toEqual([...images, jls].map((i) => i.sopUid).sort());
    // Every object in Explicit VR Little Endian on the medium (the JPEG-LS one converted), pixels whole.
    for (const i of set.instances)
      expect(i).toMatchObject({
        patient: 'EXP1',
        name: 'Dvořák^Jiří',
        study,
        ts: TransferSyntax.ExplicitLittleEndian,
        pixels: SIZE * SIZE * 2,
      });
    const converted = set.instances.find((i) => i.sop === jls.sopUid)!;
    const original = jls.bytes.subarray(jls.bytes.length - SIZE * SIZE * 2);
    expect((await pixelsOf(path.resolve(to, converted.path))).pixels.equals(original)).toBe(true); // JPEG-LS lossless: the same pixels

    // Our own import of the folder (a DICOMDIR, as from a CD) into a new archive finds the same objects.
    const other = await mkdtemp(path.join(work, 'other-'));
    const imported = await cli(['import', path.join(to, 'DICOMDIR')], other);
    expect(imported.code, imported.out).toBe(0);
    expect(imported.out).toMatch(/3 imported/);

    // De-identified on the way (the JPEG-LS object converted first, then de-identified): a new patient, the same pixels.
    const anon = path.join(work, 'anon');
    const a = await cli(['export', '--study', study, '--to', anon, '--anonymize'], archive.dataDir);
    expect(a.code, a.out).toBe(0);
    const anonSet = await fileSet(path.join(anon, 'DICOMDIR'));
    expect(anonSet.instances).toHaveLength(3);
    for (const i of anonSet.instances)
      expect(i).toMatchObject({
        patient: expect.stringMatching(/^ANON[0-9A-F]{8}$/),
        ts: TransferSyntax.ExplicitLittleEndian,
        pixels: SIZE * SIZE * 2,
      });
    expect(new Set(anonSet.instances.map((i) => i.study)).size).toBe(1);
    expect(anonSet.instances.map((i) => i.study)).not.toContain(study);
    // The JPEG-LS object is the one alone in its series.
    const anonJls = anonSet.instances.find((i) => anonSet.instances.filter((x) => x.series === i.series).length === 1)!;
    expect((await pixelsOf(path.resolve(anon, anonJls.path))).pixels.equals(original)).toBe(true);

    // A folder that already holds a media set is not written over.
    const again = await cli(['export', '--study', study, '--to', to], archive.dataDir);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/already holds a DICOM media set/);
  }, 120_000);

  it('downloads the study as a ZIP and as an ISO image that readers open', async () => {
    await archive.restart();
    const get = async (format: string) => {
      const res = await apiFetch(archive, 'GET', `/api/export?level=STUDY&uid=${study}&format=${format}`);
      expect(
        res.status,
        await res
          .clone()
          .text()
          .catch(() => ''),
      ).toBe(200);
      // Named by whose and what it is: ASCII for every browser, the diacritics for those that read filename*.
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="Dvorak_Jiri_20261125_CT.${format}"; filename*=UTF-8''Dvo%C5%99%C3%A1k_Ji%C5%99%C3%AD_20261125_CT.${format}`,
      );
      const body = Buffer.from(await res.arrayBuffer());
      // The size is said before the first byte, the ZIP's too: the browser shows how much is left.
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      return body;
    };
    const zip = path.join(work, 'study.zip');
    await writeFile(zip, await get('zip'));
    const unzipped = path.join(work, 'unzipped');
    await mkdir(unzipped);
    const x = await run('/usr/bin/python3', [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print(len(z.namelist()))',
      zip,
      unzipped,
    ]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout.trim()).toBe('4');
    expect((await fileSet(path.join(unzipped, 'DICOMDIR'))).instances).toHaveLength(3);

    const iso = path.join(work, 'study.iso');
    await writeFile(iso, await get('iso'));
    const extracted = path.join(work, 'fromiso');
    const xo = await run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', extracted]);
    expect(xo.code, xo.stderr).toBe(0);
    const names = (await filesUnder(extracted)).map((f) => path.relative(extracted, f));
    expect(names).toContain('DICOMDIR');
    expect((await fileSet(path.join(extracted, 'DICOMDIR'))).instances.map((i) => i.sop).sort()).toEqual(
      [...images, jls].map((i) => i.sopUid).sort(),
    );
  }, 120_000);

  it('refuses what it cannot export with the reason', async () => {
    const res = await apiFetch(archive, 'GET', '/api/export?level=STUDY&uid=1.2.3.4.5&format=zip');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/nothing in the archive for STUDY 1.2.3.4.5/);
  });

  it("writes an export folder from the UI only under ExportRoots (by default the data folder's exports and removable media)", async () => {
    const post = (to: string) => apiFetch(archive, 'POST', '/api/export', { level: 'STUDY', uid: study, to });
    const outside = path.join(work, 'anywhere');
    const refused = await post(outside);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /an export folder goes under one of .*exports.* \(ExportRoots\)/,
    );
    const inData = path.join(archive.dataDir, 'exports', 'cd-1');
    const written = await post(inData);
    expect(written.status, await written.clone().text()).toBe(200);
    expect((await fileSet(path.join(inData, 'DICOMDIR'))).instances).toHaveLength(3);
    // The roots the admin names; a way out of them by .. or by a symbolic link is refused.
    const usb = path.join(work, 'usb');
    await mkdir(usb, { recursive: true });
    await archive.setIni('ExportRoots', usb);
    expect((await post(inData)).status).toBe(403);
    expect((await post(`${usb}/../escaped`)).status).toBe(403);
    await symlink(work, path.join(usb, 'link'));
    expect((await post(path.join(usb, 'link', 'escaped'))).status).toBe(403);
    expect((await post('relative/folder')).status).toBe(403);
    expect((await post(path.join(usb, 'study'))).status).toBe(200);
    expect((await fileSet(path.join(usb, 'study', 'DICOMDIR'))).instances).toHaveLength(3);
    await archive.setIni('ExportRoots', '');
  });
});
