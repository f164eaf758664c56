import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { PROPOSE, TS, compressedFile, pixelsOf } from '../helpers/compressed.ts';
import { makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { dicomWeb, multipartOf, splitMultipart } from '../helpers/dicomweb.ts';
import { readFileMeta } from '../../main/store/file-meta.ts';
import { TransferSyntax } from '../../common/uids.ts';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const value = (ds: Json, tag: string) => ds[tag]?.Value?.[0];

/**
 * DICOMweb served by the archive (issue 15), driven over HTTP as a client would: QIDO-RS searches with C-FIND's
 * matching, WADO-RS objects as stored or converted, metadata whose BulkDataURIs lead to the pixels, frames, rendered
 * images, and STOW-RS through the ingest. What comes back is compared with what was stored, byte for byte where the
 * standard allows.
 */
describe('DICOMweb: QIDO-RS, WADO-RS and STOW-RS', () => {
  let archive: TestArchive;
  let web: ReturnType<typeof dicomWeb>;
  let work: string;
  const study = uid();
  const series = uid();
  const SIZE = 48;
  const ct = (n: number, extra: Partial<Parameters<typeof makeImage>[0]> = {}) =>
    makeImage({
      patientId: 'DWEB1',
      patientName: Buffer.from('Dvořák^Jiří', 'utf8'),
      studyUid: study,
      seriesUid: series,
      instanceNumber: n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
      rescaleIntercept: -1024,
      specificCharacterSet: 'ISO_IR 192',
      ...extra,
    });
  const images: MadeImage[] = [
    ct(1),
    ct(2),
    ct(3, { frames: 2, pixel: (r, c, f) => phantom(SIZE, SIZE, 3 + f)(r, c) }),
  ];
  const compressed = ct(4);
  const files = new Map<string, string>();

  beforeAll(async () => {
    archive = await startArchive({ DicomWebMaxResults: '4' });
    web = dicomWeb(archive);
    work = await mkdtemp(path.join(tmpdir(), 'pacs-dicomweb-'));
    const written = await writeImages(work, images);
    images.forEach((img, i) => {
      files.set(img.sopUid, written[i]!);
    });
    files.set(compressed.sopUid, await compressedFile(work, compressed, TS.jpegLs, SIZE, SIZE));
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...written])).code).toBe(
      0,
    );
    expect(
      (
        await run('storescu', [
          PROPOSE[TS.jpegLs]!,
          '-aec',
          archive.aeTitle,
          '127.0.0.1',
          String(archive.port),
          files.get(compressed.sopUid)!,
        ])
      ).code,
    ).toBe(0);
    // Other patients, for matching and limits.
    const others = await writeImages(
      path.join(work, 'others'),
      ['Novak^Petr', 'Muller^Hans', 'Doe^John', 'Doe^Jane'].map((name, i) =>
        makeImage({ patientId: `OTHER${i}`, patientName: name, studyDate: `2026010${i + 1}`, rows: 8, columns: 8 }),
      ),
    );
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...others])).code).toBe(
      0,
    );
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("searches studies with C-FIND's matching, in the DICOM JSON model", async () => {
    const res = await web.get('/studies?PatientID=DWEB1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dicom+json');
    const [found, ...rest] = (await res.json()) as Json[];
    expect(rest).toEqual([]);
    expect(value(found!, '0020000D')).toBe(study);
    expect(value(found!, '00100010')).toEqual({ Alphabetic: 'Dvořák^Jiří' });
    expect(value(found!, '00201208')).toBe(4);
    expect(value(found!, '00081190')).toBe(`${web.base}/studies/${study}`);
    // Wildcards, ranges, a list of UIDs, and fuzzy person names (diacritics aside).
    const names = async (q: string) =>
      ((await (await web.get(`/studies?${q}`)).json()) as Json[])
        .map((s) => (value(s, '00100010') as { Alphabetic: string }).Alphabetic)
        .sort();
    expect(await names('PatientName=Doe*')).toEqual(['Doe^Jane', 'Doe^John']);
    expect(await names('StudyDate=20260102-20260103')).toEqual(['Doe^John', 'Muller^Hans']);
    expect(await names('PatientName=dvorak*&fuzzymatching=true')).toEqual(['Dvořák^Jiří']);
    expect(await names('PatientName=dvorak*')).toEqual([]);
    expect(await names(`StudyInstanceUID=${study},1.2.3.4`)).toEqual(['Dvořák^Jiří']);
    expect(await names('00100020=DWEB1')).toEqual(['Dvořák^Jiří']);
  });

  it('answers in the Native DICOM Model (XML) when asked, which an XML parser reads', async () => {
    const res = await web.get('/studies?PatientID=DWEB1', 'multipart/related; type="application/dicom+xml"');
    expect(res.status).toBe(200);
    const [part, ...more] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(more).toEqual([]);
    expect(part!.headers['content-type']).toBe('application/dicom+xml');
    const file = path.join(work, 'study.xml');
    await writeFile(file, part!.body);
    // Python's ElementTree, a real XML parser: the document is well formed and says what the JSON says.
    const read = await run('python3', [
      '-c',
      [
        'import sys, xml.etree.ElementTree as E',
        'ns = {"d": "http://dicom.nema.org/PS3.19/models/NativeDICOM"}',
        'root = E.parse(sys.argv[1]).getroot()',
        'a = lambda t: root.find(f"d:DicomAttribute[@tag=\'{t}\']", ns)',
        'print(a("00100010").find("d:PersonName/d:Alphabetic/d:FamilyName", ns).text)',
        'print(a("0020000D").find("d:Value", ns).text, a("00201208").find("d:Value", ns).text, a("0020000D").get("keyword"))',
      ].join('\n'),
      file,
    ]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim().split('\n')).toEqual(['Dvořák', `${study} 4 StudyInstanceUID`]);
    const metadata = await web.get(`/studies/${study}/metadata`, 'multipart/related; type="application/dicom+xml"');
    expect(
      splitMultipart(Buffer.from(await metadata.arrayBuffer()), metadata.headers.get('content-type')!).length,
    ).toBe(4);
    expect((await web.get('/studies', 'text/html')).status).toBe(406);
  });

  it('answers includefield, limit and offset, and says what it caps or cannot match', async () => {
    const all = await web.get('/studies');
    expect(((await all.json()) as Json[]).length).toBe(4); // DicomWebMaxResults = 4 of 5 studies
    expect(all.headers.get('warning')).toMatch(/^299 .*exceeded the maximum supported by the server \(4\)/);
    const page = (await (await web.get('/studies?limit=2&offset=2')).json()) as Json[];
    const first = (await (await web.get('/studies?limit=2')).json()) as Json[];
    expect(page.length).toBe(2);
    expect(page.map((s) => value(s, '0020000D'))).not.toContain(value(first[0]!, '0020000D'));
    const withDescription = (await (
      await web.get(`/studies?StudyInstanceUID=${study}&includefield=00081030`)
    ).json()) as Json[];
    expect(value(withDescription[0]!, '00081030')).toBe('Head routine');
    const series = await web.get(`/studies/${study}/series?BodyPartExamined=HEAD&PatientWeight=70`);
    expect(series.status).toBe(200);
    expect(series.headers.get('warning')).toMatch(/PatientWeight/);
    expect((await web.get('/studies?NotAnAttribute=1')).status).toBe(400);
    expect((await web.get('/studies?StudyDate=2026-01-01')).status).toBe(400);
    expect((await web.get('/studies?limit=0')).status).toBe(400);
  });

  it('searches series and instances, nested under their study and series or not', async () => {
    const series = (await (await web.get(`/studies/${study}/series`)).json()) as Json[];
    expect(series.map((s) => value(s, '0020000E'))).toEqual([images[0]!.seriesUid]);
    expect(value(series[0]!, '00201209')).toBe(4);
    const instances = (await (
      await web.get(`/studies/${study}/series/${images[0]!.seriesUid}/instances`)
    ).json()) as Json[];
    expect(instances.map((i) => value(i, '00080018')).sort()).toEqual(
      [...images, compressed].map((i) => i.sopUid).sort(),
    );
    const multi = instances.find((i) => value(i, '00080018') === images[2]!.sopUid)!;
    expect(value(multi, '00280008')).toBe(2);
    expect(value(multi, '00081190')).toBe(
      `${web.base}/studies/${study}/series/${images[0]!.seriesUid}/instances/${images[2]!.sopUid}`,
    );
    const anywhere = (await (await web.get(`/instances?SOPInstanceUID=${compressed.sopUid}`)).json()) as Json[];
    expect(value(anywhere[0]!, '00100020')).toBe('DWEB1'); // unscoped: the study's attributes come too
  });

  it("gives a study's objects as stored with transfer-syntax=*, each part byte for byte the stored file", async () => {
    const res = await web.get(`/studies/${study}`, 'multipart/related; type="application/dicom"; transfer-syntax=*');
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(parts.length).toBe(4);
    for (const part of parts) {
      const meta = readFileMeta(part.body);
      expect(part.headers['content-type']).toBe(`application/dicom; transfer-syntax=${meta.transferSyntaxUid}`);
      const inst = (await archive.server.index.findInstance(meta.sopInstanceUid))!;
      expect(part.body.equals(await readFile(archive.server.store.absolutePath(inst.location)))).toBe(true);
    }
  });

  it('refuses a path that names no study, a list of studies or a wildcard, instead of reading the whole archive', async () => {
    const cases: [string, string][] = [
      ['%5C', 'multipart/related; type="application/dicom"'],
      [`${study}%5C${study}`, 'multipart/related; type="application/dicom"'],
      ['*', 'multipart/related; type="application/dicom"'],
      [`${study}/series/%5C`, 'multipart/related; type="application/dicom"'],
      ['1.2%5C3/metadata', 'application/dicom+json'],
    ];
    for (const [bad, accept] of cases) {
      const res = await web.get(`/studies/${bad}`, accept);
      expect(res.status, bad).toBe(400);
      expect(await res.text(), bad).toMatch(/is not one (study|series) UID/);
    }
  });

  it('converts to explicit VR little endian by default, decoding what is stored compressed, pixel for pixel', async () => {
    const res = await web.get(`/studies/${study}/series/${compressed.seriesUid}/instances/${compressed.sopUid}`);
    const [part] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    expect(part!.headers['content-type']).toBe(
      `application/dicom; transfer-syntax=${TransferSyntax.ExplicitLittleEndian}`,
    );
    const file = path.join(work, 'decoded.dcm');
    await writeFile(file, part!.body);
    expect((await run('dcmdump', ['-q', file])).code).toBe(0);
    expect(
      (await pixelsOf(file)).pixels.equals(
        (await pixelsOf((await writeImages(path.join(work, 'orig'), [compressed]))[0]!)).pixels,
      ),
    ).toBe(true);
    expect((await web.get(`/studies/${study}`, 'application/json')).status).toBe(406);
    expect((await web.get(`/studies/${uid()}`)).status).toBe(404);
  });

  it('gives metadata whose BulkDataURI leads to the frames, native or as stored', async () => {
    const metadata = (await (await web.get(`/studies/${study}/series/${series}/metadata`)).json()) as Json[];
    expect(metadata.length).toBe(4);
    const multi = metadata.find((m) => value(m, '00080018') === images[2]!.sopUid)!;
    expect(value(multi, '00100010')).toEqual({ Alphabetic: 'Dvořák^Jiří' });
    expect(multi['00081140']!.vr).toBe('SQ');
    const uri = multi['7FE00010']!.BulkDataURI!;
    expect(uri).toMatch(/\/frames\/1,2$/);
    const res = await fetch(uri, { headers: { authorization: `Bearer ${archive.server.apiSecret}` } });
    const frames = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    const original = (await pixelsOf(files.get(images[2]!.sopUid)!)).pixels;
    expect(Buffer.concat(frames.map((f) => f.body)).equals(original)).toBe(true);
    // A compressed object's frame: decoded by default, its JPEG-LS codestream with transfer-syntax=*.
    const framePath = `/studies/${study}/series/${series}/instances/${compressed.sopUid}/frames/1`;
    const decoded = await web.get(framePath);
    const native = splitMultipart(Buffer.from(await decoded.arrayBuffer()), decoded.headers.get('content-type')!);
    expect(
      native[0]!.body.equals((await pixelsOf((await writeImages(path.join(work, 'orig2'), [compressed]))[0]!)).pixels),
    ).toBe(true);
    const stored = await web.get(framePath, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
    const [codestream] = splitMultipart(Buffer.from(await stored.arrayBuffer()), stored.headers.get('content-type')!);
    expect(codestream!.headers['content-type']).toBe(`image/jls; transfer-syntax=${TS.jpegLs}`);
    expect([codestream!.body[0], codestream!.body[1]]).toEqual([0xff, 0xd8]);
  });

  it('renders instances and thumbnails as JPEG or PNG', async () => {
    const png = await web.get(
      `/studies/${study}/series/${series}/instances/${images[0]!.sopUid}/rendered?window=40,400&viewport=24,24`,
      'image/png',
    );
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([24, 24]);
    const thumb = await web.get(`/studies/${study}/thumbnail`, 'image/jpeg');
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const frame2 = await web.get(
      `/studies/${study}/series/${series}/instances/${images[2]!.sopUid}/frames/2/rendered`,
      'image/png',
    );
    expect(frame2.status).toBe(200);
    expect(
      (await web.get(`/studies/${study}/series/${series}/instances/${images[0]!.sopUid}/rendered`, 'image/gif')).status,
    ).toBe(406);
  });

  it('stores with STOW-RS through the ingest, listing what was stored and what failed and why', async () => {
    const newStudy = uid();
    const a = makeImage({ patientId: 'STOW1', studyUid: newStudy, instanceNumber: 1, rows: 16, columns: 16 });
    const b = makeImage({ patientId: 'STOW1', studyUid: newStudy, instanceNumber: 2, rows: 16, columns: 16 });
    const stranger = makeImage({ patientId: 'STOW2', rows: 16, columns: 16 });
    const { body, contentType } = multipartOf([a.bytes, b.bytes, stranger.bytes]);
    const res = await web.post(`/studies/${newStudy}`, body, contentType);
    expect(res.status).toBe(202);
    const answer = (await res.json()) as Record<string, { Value: Json[] }>;
    expect(answer['00081199']!.Value.map((i) => value(i, '00081155')).sort()).toEqual([a.sopUid, b.sopUid].sort());
    expect(answer['00081198']!.Value.map((i) => [value(i, '00081155'), value(i, '00081197')])).toEqual([
      [stranger.sopUid, 0xa900],
    ]);
    expect(await archive.server.index.findInstance(a.sopUid)).toBeDefined();
    expect(await archive.server.index.findInstance(stranger.sopUid)).toBeUndefined();
    // What arrived is what was sent.
    const inst = (await archive.server.index.findInstance(b.sopUid))!;
    expect(
      (await readFile(archive.server.store.absolutePath(inst.location))).subarray(-256).equals(b.bytes.subarray(-256)),
    ).toBe(true);
    // Into any study; garbage is refused as not understood.
    const { body: body2, contentType: type2 } = multipartOf([stranger.bytes, Buffer.from('not dicom at all')]);
    const res2 = await web.post('/studies', body2, type2);
    expect(res2.status).toBe(202);
    const answer2 = (await res2.json()) as Record<string, { Value: Json[] }>;
    expect(value(answer2['00081198']!.Value[0]!, '00081197')).toBe(0xc000);
    expect(await archive.server.index.findInstance(stranger.sopUid)).toBeDefined();
  });

  it('keeps what a cut-short STOW-RS request completed, and nothing of the part cut short', async () => {
    const first = makeImage({ patientId: 'STOWCUT', rows: 16, columns: 16 });
    const second = makeImage({ patientId: 'STOWCUT', rows: 64, columns: 64 });
    const { body, contentType } = multipartOf([first.bytes, second.bytes]);
    // The body stops in the middle of the second object, without the closing boundary.
    const cut = body.subarray(0, body.indexOf(second.bytes.subarray(0, 200)) + 3000);
    const res = await web.post('/studies', cut, contentType);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /ended before its closing boundary.*1 object\(s\) before it were stored/,
    );
    expect(await archive.server.index.findInstance(first.sopUid)).toBeDefined();
    expect(await archive.server.index.findInstance(second.sopUid)).toBeUndefined();
    expect((await web.post('/studies', Buffer.from('x'), 'application/dicom')).status).toBe(415);
  });
});
