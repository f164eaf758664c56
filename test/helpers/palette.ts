import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { run } from './dcmtk.ts';
import { writeImages, type MadeImage } from './fixtures.ts';

/** The palette the fixtures' colour images use: index v is (v, 255 - v, 3v mod 256), as makeImage's rgb option paints. */
export const FIXTURE_PALETTE =
  (channel: number) =>
  (i: number): number =>
    [i, 255 - i, (3 * i) & 255][channel]!;

/**
 * `image` (8 bits, one sample) written as PALETTE COLOR (PS3.3 C.7.6.3.1.5) with three 256-entry, 16-bit LUTs from
 * `lut`, put in by DCMTK's dcmodify. Returns the file.
 */
export async function writePaletteImage(
  dir: string,
  image: MadeImage,
  lut: (channel: number) => (i: number) => number = FIXTURE_PALETTE,
): Promise<string> {
  const [file] = await writeImages(dir, [image]);
  const modify = ['-nb', '-m', 'PhotometricInterpretation=PALETTE COLOR'];
  for (let channel = 0; channel < 3; channel++) {
    const data = Buffer.alloc(512);
    for (let i = 0; i < 256; i++) data.writeUInt16LE(lut(channel)(i) * 257, 2 * i);
    const lutFile = path.join(dir, `${image.sopUid}.lut${channel}.bin`);
    await writeFile(lutFile, data);
    modify.push('-i', `(0028,110${channel + 1})=256\\0\\16`, '-if', `(0028,120${channel + 1})=${lutFile}`);
  }
  const r = await run('dcmodify', [...modify, file!]);
  expect(r.code, r.stderr).toBe(0);
  return file!;
}
