import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { makeImage, phantom, writeImages, type MadeImage } from '../helpers/fixtures.ts';
import { PROPOSE, compressedFile, TS } from '../helpers/compressed.ts';
import { collectPageErrors, launchChromium, screenshot, viewportPixels, newTestPage, screenshotIfFailed } from '../helpers/browser.ts';

/**
 * The viewer decodes every transfer syntax a clinic's modalities send: each compressed object (made by real encoders)
 * must look on the canvas like its uncompressed original — the same pixels for lossless syntaxes, close for JPEG
 * baseline.
 */
describe('viewer codecs', () => {
  const SIZE = 128;
  let archive: TestArchive;
  let browser: Browser;
  let page: Page;
  let work: string;
  let errors: string[];
  const wide = (id: string) => makeImage({ patientId: id, rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 1), rescaleIntercept: -1024 });
  const narrow = (id: string) => makeImage({ patientId: id, rows: SIZE, columns: SIZE, pixel: phantom(SIZE, SIZE, 1, 8), bitsAllocated: 8 });
  const cases: { name: string; id: string; ts?: string; image: MadeImage; reference: string }[] = [
    { name: 'explicit VR little endian, 12 bits', id: 'REF16', image: wide('REF16'), reference: 'REF16' },
    { name: 'explicit VR little endian, 8 bits', id: 'REF8', image: narrow('REF8'), reference: 'REF8' },
    { name: 'RLE lossless', ts: TS.rle, id: 'RLE', image: wide('RLE'), reference: 'REF16' },
    { name: 'JPEG lossless (process 14, SV1)', ts: TS.jpegLossless, id: 'JPEGLOSSLESS', image: wide('JPEGLOSSLESS'), reference: 'REF16' },
    { name: 'JPEG-LS lossless', ts: TS.jpegLs, id: 'JPEGLS', image: wide('JPEGLS'), reference: 'REF16' },
    { name: 'JPEG 2000 lossless', ts: TS.jpeg2000, id: 'J2K', image: wide('J2K'), reference: 'REF16' },
    { name: 'JPEG baseline (8 bits, lossy)', ts: TS.jpegBaseline, id: 'JPEGBASELINE', image: narrow('JPEGBASELINE'), reference: 'REF8' },
  ];
  const grids = new Map<string, number[]>();

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-codecs-'));
    for (const c of cases) {
      const file = c.ts ? await compressedFile(work, c.image, c.ts, SIZE, SIZE) : (await writeImages(work, [c.image]))[0]!;
      if (c.ts) expect(await transferSyntaxOf(file)).toBe(c.ts);
      // storescu proposes a compressed syntax only when told which.
      const stored = await run('storescu', [...(c.ts ? [PROPOSE[c.ts]!] : []), '-aet', 'MODALITY', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file]);
      expect(stored.code, stored.stderr).toBe(0);
    }
    browser = await launchChromium();
    page = await newTestPage(browser, { width: 900, height: 700 });
    errors = collectPageErrors(page);
  });
  afterEach((ctx) => screenshotIfFailed(page, ctx));
  afterAll(async () => {
    await browser?.close();
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`shows ${c.name}`, async () => {
      expect((await archive.server.index.findInstance(c.image.sopUid))?.transferSyntaxUid).toBe(c.ts ?? '1.2.840.10008.1.2.1');
      await page.goto(`http://127.0.0.1:${archive.server.api!.port}/?token=${archive.server.apiSecret}#/viewer/${c.image.studyUid}`);
      await expect.poll(() => page.locator('[data-testid=viewport-state]').textContent()).toContain('Image 1/1');
      const pixels = await viewportPixels(page);
      await screenshot(page, `codec-${c.id}`);
      expect(pixels.lit / (pixels.width * pixels.height)).toBeGreaterThan(0.2);
      grids.set(c.id, pixels.grid);
      const reference = grids.get(c.reference)!;
      const worst = Math.max(...pixels.grid.map((v, i) => Math.abs(v - reference[i]!)));
      if (c.ts === TS.jpegBaseline) expect(worst).toBeLessThan(40);
      else expect(worst).toBeLessThanOrEqual(1);
    });
  }

  it('shows each frame of a multi-frame object as one image of the stack', async () => {
    const frames = makeImage({ patientId: 'MULTIFRAME', rows: SIZE, columns: SIZE, frames: 3, rescaleIntercept: -1024,
      pixel: (r, c, f) => phantom(SIZE, SIZE, f * 3)(r, c) });
    const [file] = await writeImages(work, [frames]);
    expect((await run('storescu', ['-aet', 'MODALITY', '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!])).code).toBe(0);
    await page.goto(`http://127.0.0.1:${archive.server.api!.port}/?token=${archive.server.apiSecret}#/viewer/${frames.studyUid}`);
    const state = page.locator('[data-testid=viewport-state]');
    await expect.poll(() => state.textContent()).toContain('Image 1/3');
    const first = await viewportPixels(page);
    await page.locator('.viewport').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => state.textContent()).toContain('Image 2/3');
    // The second frame's spot sits elsewhere: the picture changes.
    await expect.poll(async () => (await viewportPixels(page)).grid.filter((v, i) => Math.abs(v - first.grid[i]!) > 3).length).toBeGreaterThan(0);
    // And the last frame is there too (frames count from 0 in the loader's image ids).
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => state.textContent()).toContain('Image 3/3');
    await expect.poll(async () => (await viewportPixels(page)).lit).toBeGreaterThan(1000);
  });

  it('reported no page errors', () => {
    expect(errors).toEqual([]);
  });
});
