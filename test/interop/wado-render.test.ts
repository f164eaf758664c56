import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run, transferSyntaxOf } from '../helpers/dcmtk.ts';
import { PROPOSE, TS, compressedFile } from '../helpers/compressed.ts';
import { makeImage, phantom, writeImages } from '../helpers/fixtures.ts';
import { writePaletteImage } from '../helpers/palette.ts';
import { TransferSyntax } from '../../common/uids.ts';

const SIZE = 128;

/** A PNG's size, colour type and 8-bit samples (the unfiltered rows our writer makes: filter type 0 on every row). */
function readPng(bytes: Buffer): { width: number; height: number; components: number; samples: Buffer } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let at = 8;
  let width = 0;
  let height = 0;
  let components = 1;
  const idat: Buffer[] = [];
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      components = data[9] === 2 ? 3 : 1;
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * components;
  const samples = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(samples, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, components, samples };
}

/** A JPEG's height and width from its start-of-frame segment, walking the marker segments. */
function jpegSize(bytes: Buffer): [number, number] {
  let at = 2;
  while (at + 4 < bytes.length) {
    const marker = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xffc0 && marker <= 0xffc2) return [bytes.readUInt16BE(at + 5), bytes.readUInt16BE(at + 7)];
    at += 2 + length;
  }
  throw new Error('no start of frame in the JPEG');
}

/** PS3.3 C.11.2.1.2.1's linear window, for the expected grey of a value. */
const windowed = (v: number, center: number, width: number) => {
  const low = center - 0.5 - (width - 1) / 2;
  return v <= low ? 0 : v > low + width - 1 ? 255 : Math.round(((v - low) / (width - 1)) * 255);
};

/**
 * WADO-URI pictures (PS3.18 9.1, issue 21): contentType image/png and image/jpeg with windowCenter/windowWidth, rows and
 * columns, region and frameNumber, from uncompressed and compressed objects alike; and application/dicom in the
 * transferSyntax asked for.
 */
describe('WADO-URI rendered images', () => {
  let archive: TestArchive;
  let work: string;
  const ct = makeImage({
    patientId: 'WADO',
    rows: SIZE,
    columns: SIZE,
    pixel: phantom(SIZE, SIZE, 2),
    rescaleIntercept: -1024,
  });
  const jls = makeImage({
    patientId: 'WADO',
    rows: SIZE,
    columns: SIZE,
    pixel: phantom(SIZE, SIZE, 2),
    rescaleIntercept: -1024,
  });
  const frames = makeImage({
    patientId: 'WADO',
    rows: SIZE,
    columns: SIZE,
    frames: 3,
    pixel: (r, c, f) => phantom(SIZE, SIZE, 4 * f)(r, c),
    rescaleIntercept: -1024,
  });
  const bigEndian = makeImage({
    patientId: 'WADO',
    rows: SIZE,
    columns: SIZE,
    pixel: phantom(SIZE, SIZE, 2),
    rescaleIntercept: -1024,
  });
  const palette = makeImage({
    patientId: 'WADO',
    rows: SIZE,
    columns: SIZE,
    bitsAllocated: 8,
    pixel: (r, c) => (r + c) & 255,
  });
  /** The test palette: index i is (i, 255 - i, 2i mod 256), in 16-bit entries. */
  const lut = (channel: number) => (i: number) => [i, 255 - i, (2 * i) & 255][channel]!;

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-wado-'));
    const plain = await writeImages(work, [ct, frames]);
    const compressed = await compressedFile(work, jls, TS.jpegLs, SIZE, SIZE);
    // Explicit VR big endian, as old modalities send it (dcmconv writes it).
    const [little] = await writeImages(path.join(work, 'more'), [bigEndian]);
    const big = path.join(work, 'big-endian.dcm');
    expect((await run('dcmconv', ['+tb', little!, big])).code).toBe(0);
    const indexed = await writePaletteImage(path.join(work, 'palette'), palette, lut);
    for (const [file, option] of [
      [plain[0]!, '-xe'],
      [plain[1]!, '-xe'],
      [compressed, PROPOSE[TS.jpegLs]!],
      [big, '-xb'],
      [indexed, '-xe'],
    ] as const) {
      expect(
        (await run('storescu', [option, '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file])).code,
      ).toBe(0);
    }
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const wado = (uid: string, params: string) =>
    fetch(`http://127.0.0.1:${archive.server.api!.port}/wado?requestType=WADO&objectUID=${uid}&${params}`, {
      headers: { authorization: `Bearer ${archive.server.apiSecret}` },
    });

  it('renders a CT frame as PNG in the window asked for, value by value', async () => {
    const res = await wado(ct.sopUid, 'contentType=image%2Fpng&windowCenter=40&windowWidth=400');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = readPng(Buffer.from(await res.arrayBuffer()));
    expect(png).toMatchObject({ width: SIZE, height: SIZE, components: 1 });
    const value = phantom(SIZE, SIZE, 2);
    for (const [r, c] of [
      [0, 0],
      [64, 64],
      [64, 12],
      [30, 90],
      [100, 50],
    ] as const) {
      expect(png.samples[r * SIZE + c], `row ${r} column ${c}`).toBe(windowed(value(r, c) - 1024, 40, 400));
    }
  });

  it('renders a JPEG-LS object exactly as its uncompressed twin', async () => {
    const a = await (await wado(ct.sopUid, 'contentType=image%2Fpng&windowCenter=40&windowWidth=80')).arrayBuffer();
    const b = await (await wado(jls.sopUid, 'contentType=image%2Fpng&windowCenter=40&windowWidth=80')).arrayBuffer();
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });

  it('renders a big-endian object as its little-endian twin, and palette colour through its LUTs', async () => {
    const a = await (await wado(ct.sopUid, 'contentType=image%2Fpng&windowCenter=40&windowWidth=80')).arrayBuffer();
    const b = await wado(bigEndian.sopUid, 'contentType=image%2Fpng&windowCenter=40&windowWidth=80');
    expect(b.status).toBe(200);
    expect(Buffer.from(await b.arrayBuffer()).equals(Buffer.from(a))).toBe(true);
    const res = await wado(palette.sopUid, 'contentType=image%2Fpng');
    expect(res.status).toBe(200);
    const png = readPng(Buffer.from(await res.arrayBuffer()));
    expect(png).toMatchObject({ width: SIZE, height: SIZE, components: 3 });
    for (const [r, c] of [
      [0, 0],
      [10, 20],
      [100, 27],
      [127, 127],
    ] as const) {
      const at = 3 * (r * SIZE + c);
      expect([...png.samples.subarray(at, at + 3)], `row ${r} column ${c}`).toEqual(
        [0, 1, 2].map((ch) => lut(ch)((r + c) & 255)),
      );
    }
  });

  it('sizes, cuts a region and picks a frame; a JPEG by default', async () => {
    const small = readPng(
      Buffer.from(await (await wado(ct.sopUid, 'contentType=image%2Fpng&columns=32')).arrayBuffer()),
    );
    expect([small.width, small.height]).toEqual([32, 32]);
    const quarter = readPng(
      Buffer.from(
        await (
          await wado(ct.sopUid, 'contentType=image%2Fpng&region=0.5,0.5,1,1&windowCenter=40&windowWidth=400')
        ).arrayBuffer(),
      ),
    );
    expect([quarter.width, quarter.height]).toEqual([SIZE / 2, SIZE / 2]);
    expect(quarter.samples[0]).toBe(windowed(phantom(SIZE, SIZE, 2)(SIZE / 2, SIZE / 2) - 1024, 40, 400));
    const third = readPng(
      Buffer.from(
        await (
          await wado(frames.sopUid, 'contentType=image%2Fpng&frameNumber=3&windowCenter=40&windowWidth=400')
        ).arrayBuffer(),
      ),
    );
    const first = readPng(
      Buffer.from(
        await (
          await wado(frames.sopUid, 'contentType=image%2Fpng&frameNumber=1&windowCenter=40&windowWidth=400')
        ).arrayBuffer(),
      ),
    );
    expect(third.samples.equals(first.samples)).toBe(false);
    expect(third.samples[90 * SIZE + 90]).toBe(windowed(phantom(SIZE, SIZE, 8)(90, 90) - 1024, 40, 400));
    const jpeg = await wado(ct.sopUid, 'rows=64&imageQuality=80');
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await jpeg.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    expect(jpegSize(bytes)).toEqual([64, 64]);
  });

  it('refuses a frame the object does not have and a malformed region, with the reason', async () => {
    const frame = await wado(ct.sopUid, 'contentType=image%2Fpng&frameNumber=2');
    expect(frame.status).toBe(422);
    expect(((await frame.json()) as { error: string }).error).toMatch(/frameNumber 2 is outside the object's 1 frame/);
    expect((await wado(ct.sopUid, 'contentType=image%2Fpng&region=0,0,2')).status).toBe(400);
  });

  it('serves the object in the transfer syntax asked for', async () => {
    const res = await wado(jls.sopUid, `contentType=application%2Fdicom&transferSyntax=1.2.840.10008.1.2.1`);
    expect(res.status).toBe(200);
    const file = path.join(work, 'as-explicit.dcm');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    expect(await transferSyntaxOf(file)).toBe(TransferSyntax.ExplicitLittleEndian);
    expect((await run('dcmdump', [file])).code).toBe(0);
    expect(
      (await wado(jls.sopUid, 'contentType=application%2Fdicom&transferSyntax=1.2.840.10008.1.2.4.100')).status,
    ).toBe(406);
  });
});
