import { describe, expect, it } from 'vitest';
import type { DataSet } from '../../main/dicom/dataset.ts';
import { qrAnswer, qrRequestFrom } from '../../main/query/identifier.ts';
import { QrAnswerWriter } from '../../main/query/answer-writer.ts';
import { encodeDataSet } from '../../main/dicom/dataset.ts';
import { encodingOf, TransferSyntax } from '../../common/uids.ts';

const TAGS: Record<string, [number, string]> = {
  QueryRetrieveLevel: [0x00080052, 'CS'],
  PatientName: [0x00100010, 'PN'],
  PatientID: [0x00100020, 'LO'],
  StudyDate: [0x00080020, 'DA'],
  StudyInstanceUID: [0x0020000d, 'UI'],
  NumberOfStudyRelatedInstances: [0x00201208, 'IS'],
  OtherPatientIDs: [0x00101000, 'LO'],
};

function identifier(keys: Record<string, string>): DataSet {
  return new Map(
    Object.entries(keys).map(([k, v]) => {
      const [tag, vr] = TAGS[k]!;
      return [tag, { tag, vr, value: Buffer.from(v, 'latin1') }];
    }),
  );
}

describe('answers written from a plan', () => {
  it('gives the same bytes as encoding the answer data set, in implicit and explicit VR, whatever the character set', async () => {
    const keys = identifier({
      QueryRetrieveLevel: 'STUDY',
      PatientName: '',
      PatientID: '',
      StudyDate: '',
      StudyInstanceUID: '',
      NumberOfStudyRelatedInstances: '',
      OtherPatientIDs: '',
    });
    keys.set(0x00081110, { tag: 0x00081110, vr: 'SQ', value: [] }); // an unsupported sequence key
    keys.set(0x00080054, { tag: 0x00080054, vr: 'AE', value: Buffer.alloc(0) });
    const rows = [
      {
        PatientName: 'Doe^John',
        PatientID: 'P1',
        StudyDate: '20240110',
        StudyInstanceUID: '1.2.3',
        NumberOfStudyRelatedInstances: 12,
      },
      {
        PatientName: 'Novák^Jiří',
        PatientID: 'P3',
        StudyDate: '',
        StudyInstanceUID: '1.2.34',
        NumberOfStudyRelatedInstances: null,
      },
    ];
    for (const charset of ['', 'ISO_IR 101', 'ISO_IR 100']) {
      const withCharset = new Map(keys);
      if (charset) withCharset.set(0x00080005, { tag: 0x00080005, vr: 'CS', value: Buffer.from(charset) });
      const request = qrRequestFrom(withCharset, 'STUDY');
      for (const ts of [
        TransferSyntax.ImplicitLittleEndian,
        TransferSyntax.ExplicitLittleEndian,
        TransferSyntax.ExplicitBigEndian,
      ]) {
        const writer = new QrAnswerWriter(request, 'ARCHIVE', encodingOf(ts));
        for (const row of rows)
          expect(writer.write(row)).toEqual(encodeDataSet(qrAnswer(row, request, 'ARCHIVE'), encodingOf(ts)));
      }
    }
  });
});
