import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { makeImage, phantom, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { PROPOSE, compressedFile, TS } from '../helpers/compressed.ts';
import { writePaletteImage } from '../helpers/palette.ts';
import { importPath } from '../../main/archive/importer.ts';
import { screenshot, viewportPixels } from '../helpers/browser.ts';
import { signInUrl } from '../helpers/sign-in.ts';
import { StorageSopClass, TransferSyntax } from '../../common/uids.ts';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { uiSuite } from '../helpers/ui-suite.ts';

/**
 * The viewer decodes every transfer syntax a clinic's modalities send: each compressed object (made by real encoders)
 * must look on the canvas like its uncompressed original — the same pixels for lossless syntaxes, close for JPEG
 * baseline.
 */
describe('viewer codecs', () => {
  const ui = uiSuite('codecs', { viewport: { width: 900, height: 700 } });
  const SIZE = 128;
  let archive: TestArchive;
  const wide = (id: string) =>
    makeImage({ patientId: id, rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 1), rescaleIntercept: -1024 });
  const narrow = (id: string) =>
    makeImage({ patientId: id, rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 1, 8), bitsAllocated: 8 });
  const colour = (id: string) =>
    makeImage({
      patientId: id,
      rows: SIZE,
      columns: SIZE,
      rgb: true,
      sopClassUid: StorageSopClass.SecondaryCapture,
      pixel: phantom(SIZE, SIZE, 1, 8),
    });
  const indexed = (id: string) =>
    makeImage({
      patientId: id,
      rows: SIZE,
      columns: SIZE,
      bitsAllocated: 8,
      sopClassUid: StorageSopClass.SecondaryCapture,
      pixel: phantom(SIZE, SIZE, 1, 8),
    });
  /** palette: an 8-bit image made PALETTE COLOR whose LUT paints it as the colour reference is painted. */
  const cases: {
    name: string;
    id: string;
    ts?: string;
    image: MadeImage;
    reference: string;
    lossy?: boolean;
    palette?: boolean;
  }[] = [
    { name: 'explicit VR little endian, 12 bits', id: 'REF16', image: wide('REF16'), reference: 'REF16' },
    { name: 'explicit VR little endian, 8 bits', id: 'REF8', image: narrow('REF8'), reference: 'REF8' },
    { name: 'RLE lossless', ts: TS.rle, id: 'RLE', image: wide('RLE'), reference: 'REF16' },
    {
      name: 'JPEG lossless (process 14, SV1)',
      ts: TS.jpegLossless,
      id: 'JPEGLOSSLESS',
      image: wide('JPEGLOSSLESS'),
      reference: 'REF16',
    },
    { name: 'JPEG-LS lossless', ts: TS.jpegLs, id: 'JPEGLS', image: wide('JPEGLS'), reference: 'REF16' },
    { name: 'JPEG 2000 lossless', ts: TS.jpeg2000, id: 'J2K', image: wide('J2K'), reference: 'REF16' },
    {
      name: 'JPEG baseline (8 bits, lossy)',
      ts: TS.jpegBaseline,
      id: 'JPEGBASELINE',
      image: narrow('JPEGBASELINE'),
      reference: 'REF8',
      lossy: true,
    },
    {
      name: 'JPEG extended (12 bits, lossy)',
      ts: TS.jpegExtended,
      id: 'JPEGEXT',
      image: wide('JPEGEXT'),
      reference: 'REF16',
      lossy: true,
    },
    {
      name: 'HTJ2K lossless (decoded by the server)',
      ts: TS.htj2k,
      id: 'HTJ2K',
      image: wide('HTJ2K'),
      reference: 'REF16',
    },
    { name: 'explicit VR big endian', ts: TS.bigEndian, id: 'BIGENDIAN', image: wide('BIGENDIAN'), reference: 'REF16' },
    { name: 'RGB colour', id: 'REFRGB', image: colour('REFRGB'), reference: 'REFRGB' },
    {
      name: 'JPEG baseline colour (YBR_FULL_422)',
      ts: TS.jpegBaseline,
      id: 'JPEGRGB',
      image: colour('JPEGRGB'),
      reference: 'REFRGB',
      lossy: true,
    },
    { name: 'RLE colour', ts: TS.rle, id: 'RLERGB', image: colour('RLERGB'), reference: 'REFRGB' },
    { name: 'palette colour', id: 'PALETTE', image: indexed('PALETTE'), reference: 'REFRGB', palette: true },
  ];
  const grids = new Map<string, number[]>();

  beforeAll(async () => {
    archive = await startArchive();
    for (const c of cases) {
      const file = c.palette
        ? await writePaletteImage(ui.work, c.image)
        : c.ts
          ? await compressedFile(ui.work, c.image, c.ts, SIZE, SIZE)
          : (await writeImages(ui.work, [c.image]))[0]!;
      if (c.ts) expect(await transferSyntaxOf(file)).toBe(c.ts);
      if (c.ts === TS.htj2k) {
        // DCMTK's storescu does not know HTJ2K: the object comes in as a clinic's import would bring it.
        expect((await importPath(file, archive.server.core.importTarget(), 'copy')).imported).toBe(1);
        continue;
      }
      // storescu proposes a compressed syntax only when told which.
      const stored = await run('storescu', [
        ...(c.ts ? [PROPOSE[c.ts]!] : []),
        '-aet',
        'MODALITY',
        '-aec',
        archive.aeTitle,
        '127.0.0.1',
        String(archive.port),
        file,
      ]);
      expect(stored.code, stored.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await archive?.stop();
  });

  for (const c of cases) {
    it(`shows ${c.name}`, async () => {
      expect((await archive.server.index.findInstance(c.image.sopUid))?.transferSyntaxUid).toBe(
        c.ts ?? TransferSyntax.ExplicitLittleEndian,
      );
      await ui.page.goto(await signInUrl(archive.server, `#/viewer/${c.image.studyUid}`));
      await expect.poll(() => ui.page.locator('[data-testid=viewport-state]').textContent()).toContain('Image 1/1');
      const pixels = await viewportPixels(ui.page);
      await screenshot(ui.page, `codec-${c.id}`);
      expect(pixels.lit / (pixels.width * pixels.height)).toBeGreaterThan(0.2);
      // Colour is compared channel by channel, grey by grey level.
      const values = c.reference === 'REFRGB' ? pixels.colour : pixels.grid;
      grids.set(c.id, values);
      const reference = grids.get(c.reference)!;
      const worst = Math.max(...values.map((v, i) => Math.abs(v - reference[i]!)));
      if (c.lossy) expect(worst).toBeLessThan(c.reference === 'REFRGB' ? 80 : 40);
      else expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('shows each frame of a multi-frame object as one image of the stack', async () => {
    const frames = makeImage({
      patientId: 'MULTIFRAME',
      rows: SIZE,
      columns: SIZE,
      frames: 3,
      rescaleIntercept: -1024,
      pixel: (r, c, f) => phantom(SIZE, SIZE, f * 3)(r, c),
    });
    const [file] = await writeImages(ui.work, [frames]);
    expect(
      (await run('storescu', ['-aet', 'MODALITY', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!]))
        .code,
    ).toBe(0);
    await ui.page.goto(await signInUrl(archive.server, `#/viewer/${frames.studyUid}`));
    const state = ui.page.locator('[data-testid=viewport-state]');
    await expect.poll(() => state.textContent()).toContain('Image 1/3');
    const first = await viewportPixels(ui.page);
    await ui.page.locator('.viewport').focus();
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => state.textContent()).toContain('Image 2/3');
    // The second frame's spot sits elsewhere: the picture changes.
    await expect
      .poll(async () => (await viewportPixels(ui.page)).fine.filter((v, i) => Math.abs(v - first.fine[i]!) > 3).length)
      .toBeGreaterThan(0);
    // And the last frame is there too (frames count from 0 in the loader's image ids).
    await ui.page.keyboard.press('ArrowDown');
    await expect.poll(() => state.textContent()).toContain('Image 3/3');
    await expect.poll(async () => (await viewportPixels(ui.page)).lit).toBeGreaterThan(1000);
  });

  it('reported no page errors', () => {
    expect(ui.errors).toEqual([]);
  });
});
