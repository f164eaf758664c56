import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { retrieveResponses } from '../helpers/qr-tools.ts';
import { PROPOSE, TS, compressedFile, pixelsOf } from '../helpers/compressed.ts';
import { makeImage, phantom, uid, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { TransferSyntax } from '../../common/uids.ts';
import { valueWhen } from '../helpers/wait.ts';

const SIZE = 64;

/**
 * acrnema.map's compression column and `forward compressed as xx to AE`, as Conquest reads them (issue 21): what a
 * node is sent in follows its code, whatever the peer would also accept. DCMTK's storescp with +xa accepts every
 * syntax, so what arrives shows what we chose; DCMTK's decoders check the pixels.
 */
describe('compression per node (acrnema.map) and per forward rule', () => {
  let archive: TestArchive;
  let any: RunningStorescp;
  let plain: RunningStorescp;
  let work: string;
  const study = uid();
  let n = 0;
  const image = () =>
    makeImage({
      patientId: 'NODECODE',
      studyUid: study,
      instanceNumber: ++n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
      rescaleIntercept: -1024,
    });

  beforeAll(async () => {
    any = await startStorescp('ANY', ['+xa']);
    plain = await startStorescp('PLAIN');
    archive = await startArchive(
      { ExportConverters: '1', ExportConverter0: 'forward compressed as jk to FWDJK', ExportModality0: 'MR' },
      [
        `AS 127.0.0.1 ${any.port} as`,
        `UN 127.0.0.1 ${any.port} un`,
        `JS 127.0.0.1 ${any.port} js`,
        `J1 127.0.0.1 ${any.port} j1`,
        `J780 127.0.0.1 ${any.port} j780`,
        `JSPLAIN 127.0.0.1 ${plain.port} js`,
        `FWDJK 127.0.0.1 ${any.port} un`,
      ],
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-nodecode-'));
  });
  afterAll(async () => {
    await archive?.stop();
    await any?.stop();
    await plain?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function store(img: MadeImage, ts?: string): Promise<string> {
    const original = (await writeImages(path.join(work, 'orig'), [img]))[0]!;
    const file = ts ? await compressedFile(work, img, ts, SIZE, SIZE) : original;
    const r = await run('storescu', [
      ts ? PROPOSE[ts]! : '-xe',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    return original;
  }

  async function moveTo(dest: string, img: MadeImage): Promise<void> {
    const r = await run('movescu', [
      '-d',
      '-S',
      '-aet',
      'MOVER',
      '-aem',
      dest,
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${study}`,
      '-k',
      `SOPInstanceUID=${img.sopUid}`,
    ]);
    expect(retrieveResponses(r.stdout + r.stderr, 'Move').at(-1), dest).toMatchObject({
      final: true,
      status: '0x0000',
      completed: 1,
    });
  }

  const arrived = async (scp: RunningStorescp, img: MadeImage) => {
    const file = (await scp.files()).find((f) => f.endsWith(img.sopUid));
    expect(file, img.sopUid).toBeDefined();
    return file!;
  };

  it('sends as stored to an "as" node, decoded to an "un" node, though both accept JPEG-LS', async () => {
    const a = image();
    const b = image();
    await store(a, TS.jpegLs);
    const original = await store(b, TS.jpegLs);
    await moveTo('AS', a);
    await moveTo('UN', b);
    expect(await transferSyntaxOf(await arrived(any, a))).toBe(TS.jpegLs);
    const decoded = await arrived(any, b);
    expect([TransferSyntax.ExplicitLittleEndian, TransferSyntax.ImplicitLittleEndian]).toContain(
      await transferSyntaxOf(decoded),
    );
    expect((await pixelsOf(decoded)).pixels.equals((await pixelsOf(original)).pixels)).toBe(true);
  });

  it('compresses for a "js" or "j1" node what is stored uncompressed, which DCMTK decodes to the same pixels', async () => {
    for (const [dest, ts, decoder] of [
      ['JS', TS.jpegLs, 'dcmdjpls'],
      ['J1', TS.jpegLossless, 'dcmdjpeg'],
    ] as const) {
      const img = image();
      const original = await store(img);
      await moveTo(dest, img);
      const got = await arrived(any, img);
      expect(await transferSyntaxOf(got), dest).toBe(ts);
      const back = path.join(work, `${img.sopUid}.back.dcm`);
      expect((await run(decoder, [got, back])).code).toBe(0);
      expect((await pixelsOf(back)).pixels.equals((await pixelsOf(original)).pixels), dest).toBe(true);
    }
  });

  it('compresses lossy for a "j780" node within NEAR 2, marked lossy, and sends uncompressed where the node refuses the code', async () => {
    const img = image();
    const original = await store(img);
    await moveTo('J780', img);
    const got = await arrived(any, img);
    expect(await transferSyntaxOf(got)).toBe(TransferSyntax.JpegLsNearLossless);
    const back = path.join(work, `${img.sopUid}.near.dcm`);
    expect((await run('dcmdjpls', [got, back])).code).toBe(0);
    const decoded = await pixelsOf(back);
    expect(decoded.text(0x00282110)).toBe('01');
    expect(decoded.text(0x00080018)).toBe(img.sopUid);
    const source = (await pixelsOf(original)).pixels;
    let worst = 0;
    for (let i = 0; i < source.length; i += 2)
      worst = Math.max(worst, Math.abs(source.readUInt16LE(i) - decoded.pixels.readUInt16LE(i)));
    expect(worst).toBeLessThanOrEqual(2);

    // A node whose code is js but whose storescp takes only uncompressed syntaxes still gets the object.
    const other = image();
    await store(other);
    await moveTo('JSPLAIN', other);
    expect([TransferSyntax.ExplicitLittleEndian, TransferSyntax.ImplicitLittleEndian]).toContain(
      await transferSyntaxOf(await arrived(plain, other)),
    );
  });

  it('forwards with the rule\'s own code ("forward compressed as jk to AE") over the node\'s "un"', async () => {
    const mr = makeImage({
      patientId: 'NODECODE',
      studyUid: study,
      instanceNumber: ++n,
      rows: SIZE,
      columns: SIZE,
      pixel: phantom(SIZE, SIZE, n),
      modality: 'MR',
    });
    await store(mr);
    const file = await valueWhen(
      'the object is forwarded',
      async () => (await any.files()).find((f) => f.endsWith(mr.sopUid)),
      (f) => f !== undefined,
    );
    expect(file, 'forwarded object').toBeDefined();
    expect(await transferSyntaxOf(file!)).toBe(TS.jpeg2000);
  });

  it('refuses a node with a code it cannot follow, and leaves out such a forward rule, naming the line and the reason', async () => {
    const bad = await startArchive({}, ['GOOD 127.0.0.1 104 as', 'NKI 127.0.0.1 104 n4']).then(
      async (a) => {
        await a.stop();
        return '';
      },
      (err: Error) => err.message,
    );
    expect(bad).toMatch(/acrnema\.map:\d+: compression "n4": NKI private compression is not supported/);
    // A forward rule with such a code does not stop the start (a converter line left out): it is said, with the reason.
    const retired = await startArchive(
      { ExportConverters: '1', ExportConverter0: 'forward compressed as j6 to GOOD' },
      ['GOOD 127.0.0.1 104 as'],
    );
    try {
      expect(retired.server.core.config.forwardRules).toEqual([]);
      expect(retired.logText()).toMatch(
        /ExportConverter0 is not run: ExportConverter0: compression "j6": spectral selection and progressive JPEG are retired/,
      );
    } finally {
      await retired.stop();
    }
  });
});
