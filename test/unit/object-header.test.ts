import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { objectHeader } from '../../main/api/object-header.ts';
import { makeImage, writeImages } from '../helpers/fixtures.ts';

/** The viewer's header panel of an object too large to read whole: everything before its pixel data. */
describe('object header rows', () => {
  let work: string;
  let file: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'pacs-header-'));
    // 64 x 64 x 2 bytes of pixels, whose values include Pixel Data's own tag bytes (E0 7F 10 00) now and then.
    [file] = await writeImages(work, [
      makeImage({ patientId: 'BIG', pixel: (r, c) => ((r * 64 + c) % 2 ? 0x0010 : 0x7fe0) }),
    ]);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('reads a whole object, pixel data included', async () => {
    const rows = await objectHeader(file!);
    expect(rows.at(-1)).toMatchObject({ tag: '7FE0,0010', value: '8192 bytes' });
  });

  it('shows what precedes the pixel data of an object larger than the read limit', async () => {
    const rows = await objectHeader(file!, 2000);
    expect(rows).toContainEqual(expect.objectContaining({ keyword: 'PatientID', value: 'BIG' }));
    expect(rows.at(-1)).toMatchObject({ keyword: 'PixelRepresentation' });
  });
});
