import { describe, expect, it } from 'vitest';
import { MultipartError, parseMultipart } from '../../main/dicomweb/multipart.ts';

async function* chunked(body: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

async function parts(body: Buffer, size: number) {
  const out: { headers: Record<string, string>; body: string }[] = [];
  for await (const p of parseMultipart(chunked(body, size), 'b0undary', 1 << 20)) out.push({ headers: p.headers, body: p.body.toString('latin1') });
  return out;
}

describe('multipart/related parser (STOW-RS)', () => {
  // A preamble, a part with headers, one without, transport padding after a boundary, a body holding "--b0und".
  const body = Buffer.from('preamble text\r\n--b0undary\r\nContent-Type: application/dicom\r\n\r\nfirst\r\n--b0und not yet\r\n--b0undary  \r\n\r\nsecond\r\n--b0undary--\r\nepilogue', 'latin1');
  const expected = [
    { headers: { 'content-type': 'application/dicom' }, body: 'first\r\n--b0und not yet' },
    { headers: {}, body: 'second' },
  ];

  it('finds the same parts however the body is cut into chunks', async () => {
    for (const size of [1, 2, 3, 5, 7, 11, 64, body.length]) expect(await parts(body, size), `chunks of ${size}`).toEqual(expected);
  });

  it('refuses a body that ends before its closing boundary, after yielding the complete parts', async () => {
    const cut = body.subarray(0, body.indexOf('second') + 3);
    const seen: string[] = [];
    await expect((async () => {
      for await (const p of parseMultipart(chunked(cut, 4), 'b0undary', 1 << 20)) seen.push(p.body.toString('latin1'));
    })()).rejects.toThrow(MultipartError);
    expect(seen).toEqual(['first\r\n--b0und not yet']);
  });
});
