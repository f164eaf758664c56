import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { dumpDataSet, run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';

/** The archive as modalities see it: DCMTK's echoscu and storescu against our listener. */
describe('C-ECHO and C-STORE with DCMTK peers', () => {
  let archive: TestArchive;
  let work: string;

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-in-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const peer = () => ['-aet', 'MODALITY', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port)];

  async function storedPath(sopUid: string): Promise<string> {
    const row = await archive.server.index.findInstance(sopUid);
    expect(row, `instance ${sopUid} indexed`).toBeDefined();
    return archive.server.store.absolutePath(row!.location);
  }

  it('answers C-ECHO', async () => {
    const r = await run('echoscu', ['-v', ...peer()]);
    expect(r.code, r.stderr).toBe(0);
    expect(archive.logText()).toMatch(/MODALITY -> TESTPACS .*association accepted/);
  });

  it('stores many objects in one association, each equal to what was sent', async () => {
    const study = makeImage().studyUid;
    const images = Array.from({ length: 25 }, (_, i) => makeImage({ studyUid: study, instanceNumber: i + 1 }));
    const files = await writeImages(path.join(work, 'one'), images);
    const r = await run('storescu', [...peer(), ...files]);
    expect(r.code, r.stderr).toBe(0);
    for (const [i, img] of images.entries()) {
      const stored = await storedPath(img.sopUid);
      expect(await dumpDataSet(stored)).toBe(await dumpDataSet(files[i]!));
    }
    expect(archive.logs.filter((l) => /association accepted/.test(l.message)).length).toBeGreaterThan(0);
  });

  it('stores over several concurrent associations', async () => {
    const batches = await Promise.all(
      [0, 1, 2, 3].map(async (b) => {
        const images = Array.from({ length: 10 }, (_, i) =>
          makeImage({ patientId: `CONC${b}`, instanceNumber: i + 1 }),
        );
        return { images, files: await writeImages(path.join(work, `conc${b}`), images) };
      }),
    );
    const results = await Promise.all(batches.map((b) => run('storescu', [...peer(), ...b.files])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const b of batches)
      for (const img of b.images) expect(await archive.server.index.findInstance(img.sopUid)).toBeDefined();
  });

  // Each input file is made in the syntax under test by DCMTK, and storescu proposes that syntax first.
  it.each([
    ['implicit VR little endian', 'dcmconv', ['+ti'], '-xi', TransferSyntax.ImplicitLittleEndian],
    ['explicit VR little endian', 'dcmconv', ['+te'], '-xe', TransferSyntax.ExplicitLittleEndian],
    ['explicit VR big endian', 'dcmconv', ['+tb'], '-xb', TransferSyntax.ExplicitBigEndian],
    ['RLE lossless (encapsulated)', 'dcmcrle', [], '-xr', TransferSyntax.Rle],
    ['JPEG lossless SV1 (encapsulated)', 'dcmcjpeg', ['+e1'], '-xs', TransferSyntax.JpegLosslessSV1],
  ])('stores %s exactly as received', async (_name, tool, args, propose, tsUid) => {
    const img = makeImage({ rows: 128, columns: 128 });
    const [plain] = await writeImages(path.join(work, tool + args.join('')), [img]);
    const input = plain!.replace(/\.dcm$/, '.in.dcm');
    const c = await run(tool, [...args, plain!, input]);
    expect(c.code, c.stderr).toBe(0);
    expect(await transferSyntaxOf(input)).toBe(tsUid);
    const r = await run('storescu', [propose, ...peer(), input]);
    expect(r.code, r.stderr).toBe(0);
    const stored = await storedPath(img.sopUid);
    expect(await transferSyntaxOf(stored)).toBe(tsUid);
    expect(await dumpDataSet(stored)).toBe(await dumpDataSet(input));
    expect((await archive.server.index.findInstance(img.sopUid))!.transferSyntaxUid).toBe(tsUid);
  });

  it('rejects an unknown SOP class, stores nothing, and serves the next peer', async () => {
    // Ophthalmic Tomography: a standard storage class, but not in our dgatesop.lst.
    const odd = makeImage({ sopClassUid: StorageSopClass.OphthalmicTomography });
    const [file] = await writeImages(path.join(work, 'unknown'), [odd]);
    // Proposed alone, the unknown class leaves nothing to accept: A-ASSOCIATE-RJ.
    const alone = await run('storescu', ['-R', ...peer(), file!]);
    expect(alone.code).not.toBe(0);
    expect(archive.logText()).toMatch(/association rejected: no acceptable presentation context/);
    // Beside known classes, its context is refused (abstract syntax not supported) and storescu gives up.
    const beside = await run('storescu', ['-d', ...peer(), file!]);
    expect(beside.code).not.toBe(0);
    expect(beside.stdout + beside.stderr).toMatch(/Abstract Syntax Not Supported|No presentation context/i);
    expect(await archive.server.index.findInstance(odd.sopUid)).toBeUndefined();

    const ok = makeImage();
    const [okFile] = await writeImages(path.join(work, 'after-unknown'), [ok]);
    expect((await run('storescu', [...peer(), okFile!])).code).toBe(0);
    expect(await archive.server.index.findInstance(ok.sopUid)).toBeDefined();
  });

  it('rejects a wrong called AE title with reason 7', async () => {
    const r = await run('echoscu', ['-aet', 'MODALITY', '-aec', 'NOT_US', '127.0.0.1', String(archive.port)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Called AE Title Not Recognized/);
  });

  it('decodes names in the Specific Character Set into the index', async () => {
    const czech = makeImage({
      specificCharacterSet: 'ISO_IR 101',
      patientName: Buffer.from([0x44, 0x76, 0x6f, 0xf8, 0xe1, 0x6b, 0x5e, 0x41, 0x6e, 0x74, 0x6f, 0x6e, 0xed, 0x6e]),
      patientId: 'CZ1',
    });
    const utf8 = makeImage({
      specificCharacterSet: 'ISO_IR 192',
      patientName: Buffer.from('Šťastný^Jiří', 'utf8'),
      patientId: 'CZ2',
    });
    const files = await writeImages(path.join(work, 'charset'), [czech, utf8]);
    expect((await run('storescu', [...peer(), ...files])).code).toBe(0);
    expect((await archive.server.index.findPatient('CZ1'))?.patientName).toBe('Dvořák^Antonín');
    expect((await archive.server.index.findPatient('CZ2'))?.patientName).toBe('Šťastný^Jiří');
  });

  it('leaves no temporary file behind', async () => {
    for (const device of archive.server.store.devices)
      expect(await readdir(path.join(device, '.incoming'))).toEqual([]);
  });
});
