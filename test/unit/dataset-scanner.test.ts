import { describe, expect, it } from 'vitest';
import { DataSetScanner, DataSetError } from '../../main/dicom/dataset-scanner.ts';
import { INDEXED_TAGS, instanceHeaderFrom } from '../../main/dicom/instance-header.ts';
import { encodingOf, TransferSyntax } from '../../common/uids.ts';
import { dataSetOf, makeImage } from '../helpers/fixtures.ts';

/** Implicit VR LE or explicit VR BE elements, made here so the scanner is checked on each encoding. */
function implicitLE(tag: number, value: Buffer | string, undefinedLength = false): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value.length % 2 ? value + ' ' : value, 'latin1') : value;
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(undefinedLength ? 0xffffffff : v.length, 4);
  return Buffer.concat([h, v]);
}
function explicitBE(tag: number, vr: string, value: Buffer | string): Buffer {
  const v =
    typeof value === 'string'
      ? Buffer.from(value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value, 'latin1')
      : value;
  const h = Buffer.alloc(8);
  h.writeUInt16BE(tag >>> 16, 0);
  h.writeUInt16BE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16BE(v.length, 6);
  return Buffer.concat([h, v]);
}
const ITEM = (len = 0xffffffff) => Buffer.from([0xfe, 0xff, 0x00, 0xe0, ...u32(len)]);
const ITEM_END = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
const SEQ_END = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return [...b];
}

function scanAllSplits(bytes: Buffer, ts: string) {
  const results = [];
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const s = new DataSetScanner(encodingOf(ts), INDEXED_TAGS);
    for (let at = 0; at < bytes.length; at += size) s.push(bytes.subarray(at, at + size));
    s.end();
    results.push(instanceHeaderFrom(s.captured, encodingOf(ts).littleEndian));
  }
  for (const r of results) expect(r).toEqual(results[0]);
  return results[0]!;
}

describe('DataSetScanner', () => {
  it('reads explicit VR LE with sequences, private elements and pixel data, however the bytes are split', () => {
    const img = makeImage({ patientId: 'P1', patientName: 'Doe^John', rows: 4, columns: 4 });
    const h = scanAllSplits(dataSetOf(img.bytes), TransferSyntax.ExplicitLittleEndian);
    expect(h).toMatchObject({
      patientId: 'P1',
      patientName: 'Doe^John',
      sopInstanceUid: img.sopUid,
      studyInstanceUid: img.studyUid,
      seriesInstanceUid: img.seriesUid,
      rows: 4,
      columns: 4,
      modality: 'CT',
    });
  });

  it('reads implicit VR LE, descending into an undefined-length sequence', () => {
    const bytes = Buffer.concat([
      implicitLE(0x00080018, '1.2.3.4'),
      implicitLE(0x00081140, Buffer.alloc(0), true),
      ITEM(),
      implicitLE(0x00100020, 'INSIDE'),
      ITEM_END,
      SEQ_END,
      implicitLE(0x00100020, 'OUTSIDE'),
      implicitLE(0x0020000d, '1.2.3'),
      implicitLE(0x00280010, Buffer.from([0x00, 0x02])),
    ]);
    const h = scanAllSplits(bytes, TransferSyntax.ImplicitLittleEndian);
    expect(h).toMatchObject({ sopInstanceUid: '1.2.3.4', patientId: 'OUTSIDE', studyInstanceUid: '1.2.3', rows: 512 });
  });

  it('reads explicit VR big endian', () => {
    const bytes = Buffer.concat([
      explicitBE(0x00100020, 'LO', 'BIG'),
      explicitBE(0x00280011, 'US', Buffer.from([0x01, 0x00])),
    ]);
    expect(scanAllSplits(bytes, TransferSyntax.ExplicitBigEndian)).toMatchObject({ patientId: 'BIG', columns: 256 });
  });

  it('walks encapsulated pixel data fragments to the sequence delimiter', () => {
    const pixel = Buffer.concat([
      Buffer.from([0xe0, 0x7f, 0x10, 0x00]),
      Buffer.from('OB'),
      Buffer.alloc(2),
      Buffer.from(u32(0xffffffff)),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, ...u32(0)]),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, ...u32(4)]),
      Buffer.from([1, 2, 3, 4]),
      SEQ_END,
    ]);
    const s = new DataSetScanner(encodingOf(TransferSyntax.Rle), INDEXED_TAGS);
    s.push(pixel);
    s.end();
    const open = new DataSetScanner(encodingOf(TransferSyntax.Rle), INDEXED_TAGS);
    open.push(pixel.subarray(0, pixel.length - 8));
    expect(() => open.end()).toThrow(/inside an undefined-length fragments/);
  });

  it('refuses truncated values, garbage VRs and stray delimiters', () => {
    const data = dataSetOf(makeImage().bytes);
    const cut = new DataSetScanner(encodingOf(TransferSyntax.ExplicitLittleEndian), INDEXED_TAGS);
    cut.push(data.subarray(0, data.length - 10));
    expect(() => cut.end()).toThrow(/bytes short inside an element value/);
    const garbage = new DataSetScanner(encodingOf(TransferSyntax.ExplicitLittleEndian), INDEXED_TAGS);
    expect(() => garbage.push(Buffer.from('hello world, not DICOM'))).toThrow(DataSetError);
    const stray = new DataSetScanner(encodingOf(TransferSyntax.ImplicitLittleEndian), INDEXED_TAGS);
    expect(() => stray.push(ITEM_END)).toThrow(/item delimiter outside/);
  });
});
