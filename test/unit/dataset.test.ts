import { describe, expect, it } from 'vitest';
import { encodeDataSet, parseDataSet, textOf, type DataSet } from '../../main/dicom/dataset.ts';
import { DataSetError } from '../../main/dicom/dataset-scanner.ts';
import { transcode } from '../../main/dicom/transcode.ts';
import { encodingOf, TransferSyntax } from '../../common/uids.ts';
import { encodeText, answerCharacterSet } from '../../main/dicom/charset-encode.ts';
import { CharacterSet } from '../../main/dicom/charset.ts';
import { dataSetOf, makeImage } from '../helpers/fixtures.ts';

const IMPLICIT = encodingOf(TransferSyntax.ImplicitLittleEndian);
const EXPLICIT = encodingOf(TransferSyntax.ExplicitLittleEndian);
const BIG = encodingOf(TransferSyntax.ExplicitBigEndian);

function sample(): DataSet {
  const item: DataSet = new Map([
    [0x00080060, { tag: 0x00080060, vr: 'CS', value: Buffer.from('MR') }],
    [0x00400002, { tag: 0x00400002, vr: 'DA', value: Buffer.from('20261125') }],
  ]);
  return new Map([
    [0x00080052, { tag: 0x00080052, vr: 'CS', value: Buffer.from('STUDY ') }],
    [0x00100010, { tag: 0x00100010, vr: 'PN', value: Buffer.from('DOE*') }],
    [0x00280010, { tag: 0x00280010, vr: 'US', value: Buffer.from([0x00, 0x02]) }],
    [0x00400100, { tag: 0x00400100, vr: 'SQ', value: [item, new Map()] }],
  ]);
}

describe('data set codec', () => {
  it('reads back what it writes in implicit, explicit and big endian, sequences included', () => {
    for (const enc of [IMPLICIT, EXPLICIT, BIG]) {
      const bytes = encodeDataSet(sample(), enc);
      const ds = parseDataSet(bytes, enc);
      expect(textOf(ds.get(0x00100010))).toBe('DOE*');
      expect((ds.get(0x00280010)!.value as Buffer).readUInt16LE(0)).toBe(512);
      const items = ds.get(0x00400100)!.value as DataSet[];
      expect(items).toHaveLength(2);
      expect(textOf(items[0]!.get(0x00080060))).toBe('MR');
      expect(items[1]!.size).toBe(0);
      expect(encodeDataSet(ds, enc)).toEqual(bytes);
    }
  });

  it('writes big endian numbers swapped and even-length values padded', () => {
    const big = encodeDataSet(
      new Map([[0x00280010, { tag: 0x00280010, vr: 'US', value: Buffer.from([0x00, 0x02]) }]]),
      BIG,
    );
    expect([...big]).toEqual([0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x02, 0x00]);
    const uid = encodeDataSet(
      new Map([[0x0020000d, { tag: 0x0020000d, vr: 'UI', value: Buffer.from('1.2.3') }]]),
      EXPLICIT,
    );
    expect(uid.subarray(8)).toEqual(Buffer.from('1.2.3\0'));
  });

  it('names the byte where a data set is malformed', () => {
    const bytes = encodeDataSet(sample(), EXPLICIT);
    expect(() => parseDataSet(bytes.subarray(0, bytes.length - 3), EXPLICIT)).toThrow(DataSetError);
    const bad = Buffer.from(bytes);
    bad.writeUInt16LE(0xffff, 6); // the first element's length now runs past the end
    expect(() => parseDataSet(bad, EXPLICIT)).toThrow(/past the end/);
  });

  it('converts an image between uncompressed transfer syntaxes and back without losing a byte', () => {
    const original = dataSetOf(makeImage().bytes);
    const implicit = transcode(original, TransferSyntax.ExplicitLittleEndian, TransferSyntax.ImplicitLittleEndian);
    const big = transcode(implicit, TransferSyntax.ImplicitLittleEndian, TransferSyntax.ExplicitBigEndian);
    const back = transcode(big, TransferSyntax.ExplicitBigEndian, TransferSyntax.ExplicitLittleEndian);
    const a = parseDataSet(original, EXPLICIT);
    const b = parseDataSet(back, EXPLICIT);
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect(b.get(0x7fe00010)!.value).toEqual(a.get(0x7fe00010)!.value);
    expect(b.get(0x7fe00010)!.vr).toBe('OW');
    expect(big.length).toBeGreaterThan(original.length - 64);
    expect(() => transcode(original, TransferSyntax.ExplicitLittleEndian, TransferSyntax.JpegBaseline)).toThrow(
      /codec/,
    );
  });
});

describe("answers in the requester's character set", () => {
  it('writes Latin-2 and Latin-1 names in their sets and falls back to UTF-8 when a name does not fit', () => {
    const czech = 'Novák^Jiří';
    const latin2 = encodeText(czech, 'ISO_IR 101')!;
    expect(new CharacterSet('ISO_IR 101').decode(latin2)).toBe(czech);
    expect(encodeText(czech, 'ISO_IR 100')).toBeUndefined();
    expect(answerCharacterSet('ISO_IR 101', [czech])).toBe('ISO_IR 101');
    expect(answerCharacterSet('ISO_IR 100', [czech, 'Müller'])).toBe('ISO_IR 192');
    expect(answerCharacterSet('', ['DOE^JOHN'])).toBe('');
  });
});
