import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { dumpKeys, findscu } from '../helpers/qr-tools.ts';
import { RawPeer } from '../helpers/raw-peer.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { CommandField } from '../../main/protocol/command.ts';
import { encodeDataSet } from '../../main/dicom/dataset.ts';
import { encodePData } from '../../main/protocol/pdu.ts';
import { encodeCommand } from '../../main/protocol/command.ts';
import { Status } from '../../main/dicom/status.ts';
import { encodeFileMeta } from '../../main/store/part10.ts';
import { QrSopClass, TransferSyntax, encodingOf, StorageSopClass } from '../../common/uids.ts';

const STUDY_ROOT = ['-S'];
const PATIENT_ROOT = ['-P'];
const NOVAK_LATIN2 = Buffer.from([0x4e, 0x6f, 0x76, 0xe1, 0x6b, 0x5e, 0x4a, 0x69, 0xf8, 0xed]); // Novák^Jiří in ISO 8859-2

/** DCMTK's findscu against the archive: each matching kind, each level, both models, character sets, bad requests. */
describe('C-FIND SCP with findscu', () => {
  let archive: TestArchive;
  let work: string;
  const A = { study: uid(), ct1: uid(), ct2: uid() };
  const B = { study: uid(), mr: uid() };
  const C = { study: uid() };
  const D = { study: uid() };

  beforeAll(async () => {
    archive = await startArchive();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-find-'));
    const doe = { patientName: 'Doe^John', patientId: 'PID001' };
    const images = [
      ...[1, 2, 3].map((i) =>
        makeImage({
          ...doe,
          studyUid: A.study,
          seriesUid: A.ct1,
          instanceNumber: i,
          accessionNumber: 'A100',
          studyDate: '20240110',
        }),
      ),
      ...[1, 2].map((i) =>
        makeImage({
          ...doe,
          studyUid: A.study,
          seriesUid: A.ct2,
          instanceNumber: i,
          accessionNumber: 'A100',
          studyDate: '20240110',
        }),
      ),
      makeImage({
        ...doe,
        studyUid: B.study,
        seriesUid: B.mr,
        modality: 'MR',
        accessionNumber: 'A200',
        studyDate: '20240320',
      }),
      makeImage({
        patientName: 'Doeson^Jane',
        patientId: 'PID002',
        studyUid: C.study,
        accessionNumber: 'B100',
        studyDate: '20231201',
      }),
      makeImage({
        patientName: NOVAK_LATIN2,
        specificCharacterSet: 'ISO_IR 101',
        patientId: 'PID003',
        studyUid: D.study,
        modality: 'US',
        accessionNumber: 'C100',
        studyDate: '20240505',
      }),
    ];
    const r = await run('storescu', [
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, images)),
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const find = (model: string[], keys: string[], extra: string[] = []) =>
    findscu(archive.port, archive.aeTitle, model, keys, extra);
  const studyUids = async (keys: string[]) => {
    const r = await find(STUDY_ROOT, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', ...keys]);
    expect(r.final, r.stdout).toBe('Success');
    return r.answers.map((a) => a.StudyInstanceUID).sort();
  };

  it('matches a patient name wildcard without regard to case, and returns the computed study keys', async () => {
    const r = await find(STUDY_ROOT, [
      'QueryRetrieveLevel=STUDY',
      'PatientName=doe*',
      'PatientID',
      'StudyInstanceUID',
      'StudyDate',
      'ModalitiesInStudy',
      'NumberOfStudyRelatedSeries',
      'NumberOfStudyRelatedInstances',
      'AccessionNumber',
    ]);
    expect(r.final).toBe('Success');
    const byStudy = new Map(r.answers.map((a) => [a.StudyInstanceUID, a]));
    expect([...byStudy.keys()].sort()).toEqual([A.study, B.study, C.study].sort());
    expect(byStudy.get(A.study)).toMatchObject({
      PatientName: 'Doe^John',
      PatientID: 'PID001',
      StudyDate: '20240110',
      ModalitiesInStudy: 'CT',
      NumberOfStudyRelatedSeries: '2',
      NumberOfStudyRelatedInstances: '5',
      AccessionNumber: 'A100',
      QueryRetrieveLevel: 'STUDY',
    });
    expect(byStudy.get(B.study)).toMatchObject({ ModalitiesInStudy: 'MR', NumberOfStudyRelatedInstances: '1' });
  });

  it('matches single values, date ranges, accession numbers, UID lists and modalities in study', async () => {
    expect(await studyUids(['PatientID=PID002'])).toEqual([C.study]);
    expect(await studyUids(['PatientName=DOE^JOHN'])).toEqual([A.study, B.study].sort());
    expect(await studyUids(['StudyDate=20240101-20240401'])).toEqual([A.study, B.study].sort());
    expect(await studyUids(['StudyDate=20240401-'])).toEqual([D.study]);
    expect(await studyUids(['StudyDate=-20231231'])).toEqual([C.study]);
    expect(await studyUids(['AccessionNumber=A2?0'])).toEqual([B.study]);
    expect(await studyUids([`StudyInstanceUID=${C.study}\\${D.study}`])).toEqual([C.study, D.study].sort());
    expect(await studyUids(['ModalitiesInStudy=US'])).toEqual([D.study]);
    expect(await studyUids(['PatientName=nobody*'])).toEqual([]);
  });

  it('answers the patient level in the Patient Root model with the patient counts', async () => {
    const r = await find(PATIENT_ROOT, [
      'QueryRetrieveLevel=PATIENT',
      'PatientID=PID001',
      'PatientName',
      'NumberOfPatientRelatedStudies',
      'NumberOfPatientRelatedInstances',
    ]);
    expect(r.final).toBe('Success');
    expect(r.answers).toEqual([
      expect.objectContaining({
        PatientName: 'Doe^John',
        NumberOfPatientRelatedStudies: '2',
        NumberOfPatientRelatedInstances: '6',
      }),
    ]);
    const refused = await find(STUDY_ROOT, ['QueryRetrieveLevel=PATIENT', 'PatientID=PID001']);
    expect(refused.final).toBe('Error: DataSetDoesNotMatchSOPClass'); // DCMTK's name for A900
  });

  it('answers the series level by modality inside a study, and the image level of one series', async () => {
    const series = await find(STUDY_ROOT, [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${A.study}`,
      'Modality=CT',
      'SeriesInstanceUID',
      'NumberOfSeriesRelatedInstances',
    ]);
    expect(series.answers.map((a) => [a.SeriesInstanceUID, a.NumberOfSeriesRelatedInstances]).sort()).toEqual(
      [
        [A.ct1, '3'],
        [A.ct2, '2'],
      ].sort(),
    );
    const images = await find(PATIENT_ROOT, [
      'QueryRetrieveLevel=IMAGE',
      'PatientID=PID001',
      `StudyInstanceUID=${A.study}`,
      `SeriesInstanceUID=${A.ct1}`,
      'SOPInstanceUID',
      'InstanceNumber',
      'SOPClassUID',
      'Rows',
    ]);
    expect(images.final).toBe('Success');
    expect(images.answers.map((a) => a.InstanceNumber).sort()).toEqual(['1', '2', '3']);
    expect(images.answers[0]).toMatchObject({
      SOPClassUID: StorageSopClass.CtImage,
      Rows: '64',
      QueryRetrieveLevel: 'IMAGE',
    });
  });

  it('returns unsupported keys empty, and says so with FF01 when one carried a value', async () => {
    const r = await find(STUDY_ROOT, [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${A.study}`,
      '(0010,1000)',
      'InstitutionName',
    ]);
    expect(r.final).toBe('Success');
    expect(r.answers).toEqual([expect.objectContaining({ OtherPatientIDs: '', InstitutionName: '' })]);
    const warned = await find(STUDY_ROOT, [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${A.study}`,
      'InstitutionName=Somewhere',
    ]);
    expect(warned.pending).toEqual(['Pending: WarningUnsupportedOptionalKeys']);
  });

  it('matches a Latin-2 query and answers in Latin-2; an ASCII query gets UTF-8 for a name outside ASCII', async () => {
    // The query file carries the name's Latin-2 bytes (a command line would carry UTF-8).
    const query = path.join(work, 'latin2-query.dcm');
    await writeFile(
      query,
      Buffer.concat([
        encodeFileMeta({
          sopClassUid: QrSopClass.StudyRootFind,
          sopInstanceUid: uid(),
          transferSyntaxUid: TransferSyntax.ExplicitLittleEndian,
        }),
        encodeDataSet(
          new Map([
            [0x00080005, { tag: 0x00080005, vr: 'CS', value: Buffer.from('ISO_IR 101') }],
            [0x00080052, { tag: 0x00080052, vr: 'CS', value: Buffer.from('STUDY') }],
            [
              0x00100010,
              { tag: 0x00100010, vr: 'PN', value: Buffer.concat([NOVAK_LATIN2.subarray(0, 5), Buffer.from('*')]) },
            ],
            [0x0020000d, { tag: 0x0020000d, vr: 'UI', value: Buffer.alloc(0) }],
          ]),
          encodingOf(TransferSyntax.ExplicitLittleEndian),
        ),
      ]),
    );
    const latin2 = await find(STUDY_ROOT, [], [query]);
    expect(latin2.final, latin2.stdout).toBe('Success');
    expect(latin2.answers.map((a) => [a.PatientName, a.StudyInstanceUID])).toEqual([['Novák^Jiří', D.study]]);
    const plain = await find(STUDY_ROOT, ['QueryRetrieveLevel=STUDY', 'PatientName=NOV*', 'StudyInstanceUID']);
    expect(plain.answers.map((a) => a.PatientName)).toEqual(['Novák^Jiří']);
  });

  it('matches names (no diacritics, ue as ü), patient IDs and accession numbers (case aside) forgivingly, as shipped; exactly when dicom.ini asks', async () => {
    const keys = ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'PatientName=novak*'];
    const r = await find(STUDY_ROOT, keys);
    expect(r.answers.map((a) => a.StudyInstanceUID)).toEqual([D.study]);
    expect(
      (await find(STUDY_ROOT, ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'PatientName=NOVAK^JIRI'])).answers,
    ).toHaveLength(1);
    const byId = ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'PatientID=pid003', 'AccessionNumber=c1*'];
    expect((await find(STUDY_ROOT, byId)).answers.map((a) => a.StudyInstanceUID)).toEqual([D.study]);
    await archive.setIni('NameMatching', 'exact');
    try {
      expect((await find(STUDY_ROOT, keys)).answers).toEqual([]);
      expect((await find(STUDY_ROOT, byId)).answers).toEqual([]);
    } finally {
      await archive.setIni('NameMatching', 'forgiving');
    }
  });

  it('refuses a malformed identifier with an error status and keeps serving', async () => {
    const bad = await find(STUDY_ROOT, ['QueryRetrieveLevel=STUDY', 'StudyDate=2024-01-01']);
    expect(bad.final).toBe('Failed: UnableToProcess');
    // Bytes that are not a data set at all, from a bare socket.
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, QrSopClass.StudyRootFind, TransferSyntax.ImplicitLittleEndian);
    peer.send(
      encodePData([
        {
          contextId: 1,
          isCommand: true,
          isLast: true,
          data: encodeCommand({
            commandField: CommandField.CFindRQ,
            messageId: 7,
            affectedSopClassUid: QrSopClass.StudyRootFind,
            priority: 0,
            hasDataSet: true,
          }),
        },
      ]),
    );
    peer.send(
      encodePData([
        {
          contextId: 1,
          isCommand: false,
          isLast: true,
          data: Buffer.from([0x08, 0x00, 0x52, 0x00, 0xff, 0xff, 0x00, 0x00, 0x53]),
        },
      ]),
    );
    const rsp = await peer.response();
    expect(rsp).toMatchObject({
      commandField: CommandField.CFindRSP,
      messageIdBeingRespondedTo: 7,
      status: Status.UnableToProcess,
    });
    expect(rsp.errorComment).toMatch(/does not parse/);
    await peer.release();
    expect(await studyUids(['PatientID=PID002'])).toEqual([C.study]);
  });

  it('stops a query on C-CANCEL and answers Cancel', async () => {
    const peer = await RawPeer.connect(archive.port);
    await peer.associate(archive.aeTitle, QrSopClass.StudyRootFind, TransferSyntax.ImplicitLittleEndian);
    const identifier = encodeDataSet(
      new Map([
        [0x00080052, { tag: 0x00080052, vr: 'CS', value: Buffer.from('IMAGE ') }],
        [0x00080018, { tag: 0x00080018, vr: 'UI', value: Buffer.alloc(0) }],
      ]),
      encodingOf(TransferSyntax.ImplicitLittleEndian),
    );
    // The request and its cancel arrive together: the archive must not answer a single match.
    peer.send(
      Buffer.concat([
        encodePData([
          {
            contextId: 1,
            isCommand: true,
            isLast: true,
            data: encodeCommand({
              commandField: CommandField.CFindRQ,
              messageId: 9,
              affectedSopClassUid: QrSopClass.StudyRootFind,
              priority: 0,
              hasDataSet: true,
            }),
          },
        ]),
        encodePData([{ contextId: 1, isCommand: false, isLast: true, data: identifier }]),
        encodePData([
          {
            contextId: 1,
            isCommand: true,
            isLast: true,
            data: encodeCommand({
              commandField: CommandField.CCancelRQ,
              messageIdBeingRespondedTo: 9,
              hasDataSet: false,
            }),
          },
        ]),
      ]),
    );
    const rsp = await peer.response();
    expect(rsp).toMatchObject({
      commandField: CommandField.CFindRSP,
      messageIdBeingRespondedTo: 9,
      status: Status.Cancel,
    });
    await peer.release();
  });

  it('answers at most MaxQueryResults matches, then ends with A700 saying so', async () => {
    await archive.setIni('MaxQueryResults', '2');
    try {
      const r = await findscu(archive.port, archive.aeTitle, STUDY_ROOT, [
        'QueryRetrieveLevel=IMAGE',
        `StudyInstanceUID=${A.study}`,
        `SeriesInstanceUID=${A.ct1}`,
        'SOPInstanceUID',
      ]);
      expect(r.answers.length).toBe(2);
      expect(r.final).toBe('Refused: OutOfResources');
      // The reason travels as the final response's Error Comment, and is in our log.
      expect(archive.logText()).toMatch(
        /C-FIND .*: 2 match\(es\) -> .*more than 2 matches \(MaxQueryResults\): the first 2 were answered; narrow the query/,
      );
      // Exactly the limit is not more than it.
      const two = await findscu(archive.port, archive.aeTitle, STUDY_ROOT, [
        'QueryRetrieveLevel=IMAGE',
        `StudyInstanceUID=${A.study}`,
        `SeriesInstanceUID=${A.ct2}`,
        'SOPInstanceUID',
      ]);
      expect(two.answers.length).toBe(2);
      expect(two.final).toBe('Success');
    } finally {
      await archive.setIni('MaxQueryResults', '0');
    }
  });

  it('extracts answers DCMTK reads back, with the character set it was asked in', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rsp-'));
    await run('findscu', [
      '-X',
      '-od',
      dir,
      '-S',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'SpecificCharacterSet=ISO_IR 101',
      '-k',
      'PatientID=PID003',
      '-k',
      'PatientName',
    ]);
    const raw = await dumpKeys(path.join(dir, 'rsp0001.dcm'), false);
    expect(raw.SpecificCharacterSet).toBe('ISO_IR 101');
    await rm(dir, { recursive: true, force: true });
  });
});
