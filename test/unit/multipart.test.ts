import { describe, expect, it } from 'vitest';
import { MultipartError, forEachPart } from '../../main/dicomweb/multipart.ts';

async function* chunked(body: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

/** Every part whole, and the largest piece of body the parser handed on at once. */
async function parts(body: AsyncIterable<Uint8Array>, seen: { headers: Record<string, string>; body: string }[] = []) {
  let largestPiece = 0;
  await forEachPart(body, 'b0undary', async (headers, chunks) => {
    const pieces: Buffer[] = [];
    for await (const c of chunks) {
      largestPiece = Math.max(largestPiece, c.length);
      pieces.push(c);
    }
    seen.push({ headers, body: Buffer.concat(pieces).toString('latin1') });
  });
  return { seen, largestPiece };
}

describe('multipart/related parser (STOW-RS, DICOMweb retrieve)', () => {
  // A preamble, a part with headers, one without, transport padding after a boundary, a body holding "--b0und".
  const body = Buffer.from(
    'preamble text\r\n--b0undary\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--b0und not yet\r\n--b0undary  \r\n\r\nsecond\r\n--b0undary--\r\nepilogue',
    'latin1',
  );
  const expected = [
    { headers: { 'content-type': 'application/dicom' }, body: 'first\r\n--b0und not yet' },
    { headers: {}, body: 'second' },
  ];

  it('finds the same parts however the body is cut into chunks', async () => {
    for (const size of [1, 2, 3, 5, 7, 11, 64, body.length])
      expect((await parts(chunked(body, size))).seen, `chunks of ${size}`).toEqual(expected);
  });

  it('refuses a body that ends before its closing boundary, after handing on the complete parts', async () => {
    const cut = body.subarray(0, body.indexOf('second') + 3);
    const seen: { headers: Record<string, string>; body: string }[] = [];
    await expect(parts(chunked(cut, 4), seen)).rejects.toThrow(MultipartError);
    expect(seen.map((p) => p.body)).toEqual(['first\r\n--b0und not yet']);
  });

  it('refuses a part without the empty line after its headers, and headers without end', async () => {
    const noBlank = Buffer.from('--b0undary\r\nContent-Type: application/dicom\r\nfirst\r\n--b0undary--\r\n', 'latin1');
    await expect(parts(chunked(noBlank, 5))).rejects.toThrow(/no empty line/);
    const endless = Buffer.concat([Buffer.from('--b0undary\r\nX-Long: ', 'latin1'), Buffer.alloc(64 * 1024, 0x61)]);
    await expect(parts(chunked(endless, 1000))).rejects.toThrow(/headers are longer/);
  });

  it('hands a large part on in pieces as they arrive, never holding it (64 MB in 64 KB chunks)', async () => {
    const size = 64 << 20;
    async function* big(): AsyncIterable<Uint8Array> {
      yield Buffer.from('--b0undary\r\nContent-Type: application/dicom\r\n\r\n', 'latin1');
      const chunk = Buffer.alloc(64 * 1024, 0x2d); // dashes: each could begin a delimiter
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      yield Buffer.from('\r\n--b0undary--\r\n', 'latin1');
    }
    let total = 0;
    let largest = 0;
    await forEachPart(big(), 'b0undary', async (_headers, chunks) => {
      for await (const c of chunks) {
        total += c.length;
        largest = Math.max(largest, c.length);
      }
    });
    expect(total).toBe(size);
    expect(largest).toBeLessThanOrEqual(64 * 1024 + 16);
  });

  it('skips what a taker leaves unread and goes on with the next part', async () => {
    const seen: string[] = [];
    await forEachPart(chunked(body, 3), 'b0undary', async (_headers, chunks) => {
      for await (const c of chunks) {
        seen.push(c.toString('latin1'));
        break;
      }
    });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.length).toBeGreaterThan(0);
    expect('first\r\n--b0und not yet'.startsWith(seen[0]!)).toBe(true);
    expect(seen[1]!.length).toBeGreaterThan(0);
    expect('second'.startsWith(seen[1]!)).toBe(true);
  });
});
