import { dicomListener as dicomListenerFeature } from '../../main/features/dicom-listener.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { dumpKeys, findscu } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { seg } from '../helpers/hl7-segments.ts';
import type { WorklistEntryDto } from '../../main/api/contract.ts';

const SPS = 'ScheduledProcedureStepSequence[0]';

/** ISO 8859-2 bytes of Czech text, from the code chart (not from the product's encoder). */
const LATIN2: Record<string, number> = {
  ř: 0xf8,
  á: 0xe1,
  í: 0xed,
  č: 0xe8,
  š: 0xb9,
  ž: 0xbe,
  é: 0xe9,
  ě: 0xec,
  ů: 0xf9,
  ý: 0xfd,
  Ř: 0xd8,
  Č: 0xc8,
  Š: 0xa9,
  Ž: 0xae,
};
function latin2(text: string): Buffer {
  return Buffer.from([...text].map((ch) => LATIN2[ch] ?? ch.charCodeAt(0)));
}

/** An HL7 message from its segments (one per line here; mllp_send --loose turns lines into segments). */
const message = (...segments: string[]) => segments.join('\r');
/** MSH: sender HIS/NEMOCNICE, receiver PACSWS/RDG; MSH-9 type, MSH-10 control ID, MSH-12 version, MSH-18 character set. */
const msh = (type: string, control: string, version = '2.3.1', charset = '') =>
  [
    'MSH',
    '^~\\&',
    'HIS',
    'NEMOCNICE',
    'PACSWS',
    'RDG',
    '20261126080000',
    '',
    type,
    control,
    'P',
    version,
    '',
    '',
    '',
    '',
    '',
    charset,
  ]
    .join('|')
    .replace(/\|+$/, '');

/**
 * The HL7 v2 listener (issue 16) with python3-hl7's mllp_send as the hospital's information system: orders fill the
 * worklist that findscu -W then sees, ADT messages change and merge patients that C-FIND then answers, and what is
 * malformed gets its negative acknowledgment and changes nothing.
 */
describe('HL7 orders and patient updates', () => {
  let archive: TestArchive;
  let work: string;
  let hl7Port = 0;
  const studyUid = uid();

  beforeAll(async () => {
    archive = await startArchive({ HL7Listener: '1', HL7Port: '0' });
    hl7Port = archive.server.hl7!.port;
    work = await mkdtemp(path.join(tmpdir(), 'pacs-hl7-'));
  }, 60_000);
  afterAll(async () => {
    await archive?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** Send with mllp_send; the acknowledgments it printed, one per message, segments split. */
  async function send(...messages: Buffer[]): Promise<string[][]> {
    const file = path.join(work, `${uid()}.hl7`);
    await writeFile(file, Buffer.concat(messages.flatMap((m) => [m, Buffer.from('\n')])));
    const r = await run('mllp_send', ['--loose', '-f', file, '-p', String(hl7Port), '127.0.0.1']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .split(/\n(?=\x0bMSH|MSH)/)
      .filter((a) => a.includes('MSA'))
      .map((a) =>
        a
          .replace(/[\x0b\x1c]/g, '')
          .split(/\r/)
          .filter(Boolean),
      );
  }
  const msa = (ack: string[]) => ack.find((s) => s.startsWith('MSA'))!.split('|');
  const worklist = async () => (await (await apiFetch(archive, 'GET', '/api/worklist')).json()) as WorklistEntryDto[];

  const orm = (control: string, order: string, opts: { when?: string } = {}) =>
    message(
      msh('ORM^O01', `ORM-${control}-${order}`, '2.3.1', '8859/2'),
      seg('PID', { 3: 'H100^^^NEM', 5: 'Dvořák^Jiří', 7: '19650312', 8: 'M' }),
      seg('PV1', { 2: 'O', 3: 'RDG^^^NEM', 8: '1234^Černý^Petr' }),
      seg('ORC', { 1: control, 2: order, 3: `F-${order}`, 5: 'SC' }),
      seg('OBR', {
        1: '1',
        2: order,
        3: `F-${order}`,
        4: 'CT-HEAD^CT hlavy',
        18: `ACC-${order}`,
        19: `RP-${order}`,
        20: `SPS-${order}`,
        24: 'CT',
        27: `^^^${opts.when ?? '20261127093000'}`,
      }),
      seg('ZDS', { 1: `${studyUid}^100^Application^DICOM` }),
    );

  it('schedules an ORM^O01 order in ISO 8859/2 that a modality then finds with findscu -W, and follows its change', async () => {
    const [ack] = await send(latin2(orm('NW', 'ORD1')));
    expect(msa(ack!).slice(0, 3)).toEqual(['MSA', 'AA', 'ORM-NW-ORD1']);
    expect(ack![0]).toMatch(
      /^MSH\|\^~\\&\|PACSWS\|RDG\|HIS\|NEMOCNICE\|\d{14}\|\|ACK\^O01\^ACK\|\w+\|P\|2\.3\.1\|{6}8859\/2$/,
    );
    const keys = [
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'PatientSex',
      'AccessionNumber',
      'StudyInstanceUID',
      'RequestedProcedureID',
      'RequestedProcedureDescription',
      'ReferringPhysicianName',
      `${SPS}.Modality`,
      `${SPS}.ScheduledProcedureStepID`,
      `${SPS}.ScheduledProcedureStepStartDate`,
      `${SPS}.ScheduledProcedureStepStartTime`,
      `${SPS}.ScheduledProcedureStepDescription`,
    ];
    let r = await findscu(archive.port, archive.aeTitle, ['-W'], [...keys, 'PatientID=H100']);
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]).toMatchObject({
      PatientName: 'Dvořák^Jiří',
      PatientID: 'H100',
      PatientBirthDate: '19650312',
      PatientSex: 'M',
      AccessionNumber: 'ACC-ORD1',
      StudyInstanceUID: studyUid,
      RequestedProcedureID: 'RP-ORD1',
      RequestedProcedureDescription: 'CT hlavy',
      ReferringPhysicianName: 'Černý^Petr',
      'ScheduledProcedureStepSequence.Modality': 'CT',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepID': 'SPS-ORD1',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate': '20261127',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepStartTime': '093000',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepDescription': 'CT hlavy',
    });
    expect((await worklist()).find((e) => e.placerOrder === 'ORD1')).toMatchObject({ source: 'HL7' });

    // XO moves it to another day; what the change leaves empty (the study) stays.
    const [changed] = await send(latin2(orm('XO', 'ORD1', { when: '20261128140000' })));
    expect(msa(changed!)[1]).toBe('AA');
    r = await findscu(archive.port, archive.aeTitle, ['-W'], [...keys, 'PatientID=H100']);
    expect(r.answers[0]).toMatchObject({
      StudyInstanceUID: studyUid,
      'ScheduledProcedureStepSequence.ScheduledProcedureStepStartDate': '20261128',
    });
  }, 60_000);

  it('takes OMI^O23 in UTF-8 with its IPC segment, and cancels and discontinues orders', async () => {
    const omi = (control: string, order: string) =>
      message(
        msh('OMI^O23^OMI_O23', `OMI-${control}-${order}`, '2.5', 'UNICODE UTF-8'),
        seg('PID', { 3: 'H200^^^NEM', 5: 'Šťastná^Žofie', 7: '19900101', 8: 'F' }),
        seg('ORC', { 1: control, 2: order }),
        seg('TQ1', { 7: '20261127101500' }),
        seg('OBR', { 1: '1', 2: order, 4: 'MR-KNEE^MR kolena' }),
        seg('IPC', {
          1: `ACC-${order}`,
          2: `RP-${order}`,
          3: `1.2.826.0.1.3680043.9.7.${order.length}`,
          4: `SPS-${order}`,
          5: 'MR',
          9: 'MR01',
        }),
      );
    const [ack] = await send(Buffer.from(omi('NW', 'ORD2'), 'utf8'));
    expect(msa(ack!)[1]).toBe('AA');
    const r = await findscu(
      archive.port,
      archive.aeTitle,
      ['-W'],
      [
        'PatientName',
        'AccessionNumber',
        'StudyInstanceUID',
        `${SPS}.Modality`,
        `${SPS}.ScheduledStationAETitle`,
        `${SPS}.ScheduledProcedureStepID`,
        'PatientID=H200',
      ],
    );
    expect(r.answers[0]).toMatchObject({
      PatientName: 'Šťastná^Žofie',
      AccessionNumber: 'ACC-ORD2',
      StudyInstanceUID: '1.2.826.0.1.3680043.9.7.4',
      'ScheduledProcedureStepSequence.Modality': 'MR',
      'ScheduledProcedureStepSequence.ScheduledStationAETitle': 'MR01',
      'ScheduledProcedureStepSequence.ScheduledProcedureStepID': 'SPS-ORD2',
    });
    const [dc] = await send(Buffer.from(omi('DC', 'ORD2'), 'utf8'));
    expect(msa(dc!)[1]).toBe('AA');
    expect((await worklist()).find((e) => e.placerOrder === 'ORD2')).toMatchObject({ stepStatus: 'DISCONTINUED' });
    const [ca] = await send(latin2(orm('CA', 'ORD1')));
    expect(msa(ca!)[1]).toBe('AA');
    expect((await worklist()).find((e) => e.placerOrder === 'ORD1')).toBeUndefined();
  }, 60_000);

  it('answers what it cannot take with AE or AR and the reason, and changes nothing', async () => {
    const before = await worklist();
    const noPid = message(
      msh('ORM^O01', 'BAD1'),
      seg('ORC', { 1: 'NW', 2: 'ORD9' }),
      seg('OBR', { 2: 'ORD9', 4: 'X^Y', 24: 'CT', 27: '^^^20261127' }),
    );
    const unknownOrder = latin2(orm('XO', 'NOPE'));
    const noModality = message(
      msh('ORM^O01', 'BAD3'),
      seg('PID', { 3: 'H300', 5: 'Novak^Jan' }),
      seg('ORC', { 1: 'NW', 2: 'ORD10' }),
      seg('OBR', { 2: 'ORD10', 4: 'X^Y', 27: '^^^20261127' }),
    );
    const a01 = message(msh('ADT^A01', 'BAD4'), seg('PID', { 3: 'H300', 5: 'Novak^Jan' }));
    const charset = message(msh('ADT^A08', 'BAD5', '2.3', 'ISO IR87'), seg('PID', { 3: 'H300', 5: 'Novak^Jan' }));
    const acks = await send(
      Buffer.from(noPid),
      unknownOrder,
      Buffer.from(noModality),
      Buffer.from(a01),
      Buffer.from(charset),
    );
    expect(acks.map((a) => msa(a).slice(1, 3))).toEqual([
      ['AR', 'BAD1'],
      ['AE', 'ORM-XO-NOPE'],
      ['AE', 'BAD3'],
      ['AR', 'BAD4'],
      ['AR', ''],
    ]);
    expect(acks[0]!.find((s) => s.startsWith('ERR'))).toMatch(/no PID segment/);
    expect(acks[1]!.find((s) => s.startsWith('ERR'))).toMatch(/order NOPE is not in the worklist/);
    expect(acks[2]!.find((s) => s.startsWith('ERR'))).toMatch(/modality is required/);
    expect(await worklist()).toEqual(before);
    const monitor = archive.server.core.activity.snapshot().hl7;
    expect(monitor.slice(0, 5).map((m) => m.code)).toEqual(['AR', 'AR', 'AE', 'AE', 'AR']);
  }, 60_000);

  it("updates a patient's demographics (ADT^A08) and merges two patients (ADT^A40), as C-FIND then answers", async () => {
    const files = await writeImages(work, [
      makeImage({ patientId: 'P1', patientName: 'Novak^Jan', studyUid: uid(), rows: 8, columns: 8 }),
      makeImage({ patientId: 'P2', patientName: 'Novák^Jan', studyUid: uid(), rows: 8, columns: 8 }),
    ]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
    const [a08] = await send(
      latin2(
        message(
          msh('ADT^A08', 'A08-1', '2.3', '8859/2'),
          seg('EVN', { 1: 'A08' }),
          seg('PID', { 3: 'P1', 5: 'Novák^Jan^Karel', 7: '19700101', 8: 'M' }),
        ),
      ),
    );
    expect(msa(a08!).slice(1, 3)).toEqual(['AA', 'A08-1']);
    // The same A08 again changes nothing, and queues no rewrite of the files.
    const jobsBefore = (await archive.server.transfers.queue.list()).length;
    const [same] = await send(
      latin2(
        message(
          msh('ADT^A08', 'A08-2', '2.3', '8859/2'),
          seg('EVN', { 1: 'A08' }),
          seg('PID', { 3: 'P1', 5: 'Novák^Jan^Karel', 7: '19700101', 8: 'M' }),
        ),
      ),
    );
    expect(msa(same!)[1]).toBe('AA');
    await archive.server.transfers.queue.idle();
    expect((await archive.server.transfers.queue.list()).length).toBe(jobsBefore);
    const patients = (id: string) =>
      findscu(
        archive.port,
        archive.aeTitle,
        ['-P'],
        ['QueryRetrieveLevel=PATIENT', 'PatientName', 'PatientBirthDate', `PatientID=${id}`],
      );
    expect((await patients('P1')).answers).toEqual([
      expect.objectContaining({ PatientName: 'Novák^Jan^Karel', PatientBirthDate: '19700101' }),
    ]);

    const [a40] = await send(
      latin2(
        message(
          msh('ADT^A40^ADT_A39', 'A40-1', '2.3', '8859/2'),
          seg('EVN', { 1: 'A40' }),
          seg('PID', { 3: 'P1', 5: 'Novák^Jan^Karel', 7: '19700101', 8: 'M' }),
          seg('MRG', { 1: 'P2' }),
        ),
      ),
    );
    expect(msa(a40!)[1]).toBe('AA');
    expect((await patients('P2')).answers).toEqual([]);
    const studies = await findscu(
      archive.port,
      archive.aeTitle,
      ['-S'],
      ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', 'PatientName', 'PatientID=P1'],
    );
    expect(studies.answers).toHaveLength(2);
    expect(studies.answers.every((s) => s.PatientName === 'Novák^Jan^Karel')).toBe(true);
    // The files follow (edit jobs): what a peer retrieves carries the merged patient, and a regen would keep it.
    await archive.server.transfers.queue.idle();
    const dir = await mkdtemp(path.join(work, 'get-'));
    const g = await run('getscu', [
      '-P',
      '-aec',
      archive.aeTitle,
      '-od',
      dir,
      '127.0.0.1',
      String(archive.port),
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=P1',
    ]);
    expect(g.code, g.stderr).toBe(0);
    const retrieved = await Promise.all((await readdir(dir)).map((f) => dumpKeys(path.join(dir, f))));
    expect(retrieved.map((k) => [k.PatientID, k.PatientName])).toEqual([
      ['P1', 'Novák^Jan^Karel'],
      ['P1', 'Novák^Jan^Karel'],
    ]);
    // Each change is in the audit trail with its patient, the sender and what changed; the A08 that changed nothing is not.
    await archive.server.core.audit.flush();
    const edits = await archive.server.index.auditStore().list({ action: 'edit' });
    const hl7 = edits.filter((r) => r.detail.startsWith('HL7 '));
    expect(hl7.map((r) => [r.patientId, r.detail.split(':')[0]]).sort()).toEqual([
      ['P1', 'HL7 A08-1'],
      ['P1', 'HL7 A40-1'],
      ['P2', 'HL7 A40-1'],
    ]);
    expect(hl7.find((r) => r.detail.startsWith('HL7 A08-1'))!.detail).toMatch(
      /ADT\^A08 name "Novak\^Jan" -> "Novák\^Jan\^Karel"/,
    );
    expect(hl7.find((r) => r.patientId === 'P2')!.detail).toMatch(/patient P2 merged into P1/);
  }, 60_000);

  it('refuses an A08 whose values the files cannot hold (AE with the reason), changing neither the index nor the files', async () => {
    const p9 = makeImage({ patientId: 'P9', patientName: 'Stary^Petr', studyUid: uid(), rows: 8, columns: 8 });
    const [file] = await writeImages(path.join(work, 'p9'), [p9]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), file!])).code).toBe(0);
    const lineBreak = message(
      msh('ADT^A08', 'A08-CR'),
      seg('EVN', { 1: 'A08' }),
      seg('PID', { 3: 'P9', 5: 'Novy\\X0D\\Petr' }),
    );
    const tooLong = message(
      msh('ADT^A08', 'A08-LONG'),
      seg('EVN', { 1: 'A08' }),
      seg('PID', { 3: 'P9', 5: `${'N'.repeat(120)}^${'P'.repeat(100)}` }),
    );
    const acks = await send(Buffer.from(lineBreak), Buffer.from(tooLong));
    expect(acks.map((a) => msa(a).slice(1, 3))).toEqual([
      ['AE', 'A08-CR'],
      ['AE', 'A08-LONG'],
    ]);
    expect(acks[0]!.find((s) => s.startsWith('ERR'))).toMatch(
      /cannot store these values: patientName may not hold a backslash, a line break or another control character/,
    );
    expect(acks[1]!.find((s) => s.startsWith('ERR'))).toMatch(/patientName is longer than/);
    await archive.server.transfers.queue.idle();
    expect((await archive.server.index.findPatient('P9'))?.patientName).toBe('Stary^Petr');
    const stored = (await archive.server.index.findInstance(p9.sopUid))!;
    expect((await dumpKeys(archive.server.store.absolutePath(stored.location))).PatientName).toBe('Stary^Petr');
  });

  it('disconnects a sender that HL7AllowedSenders does not name', async () => {
    await archive.setIni('HL7AllowedSenders', '10.9.9.9');
    await archive.server.feature(dicomListenerFeature).restart();
    const port = archive.server.hl7!.port;
    const closed = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () =>
        s.write(Buffer.from('\x0bMSH|^~\\&|A|B|C|D|2026||ADT^A08|X|P|2.3\rPID|||P1\x1c\r')),
      );
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
      });
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(closed).toBe('');
    expect(archive.logText()).toMatch(/HL7 connection from 127\.0\.0\.1:\d+ refused: not in HL7AllowedSenders/);
  }, 60_000);

  it("keeps the Monitor's HL7 messages and errors across a restart", async () => {
    const before = archive.server.core.activity.snapshot();
    expect(before.hl7.length).toBeGreaterThan(5);
    await archive.restart();
    const after = archive.server.core.activity.snapshot();
    expect(after.hl7.map((m) => m.controlId)).toEqual(before.hl7.map((m) => m.controlId));
    expect(after.errors.map((e) => e.text).slice(0, 5)).toEqual(before.errors.map((e) => e.text).slice(0, 5));
  }, 60_000);
});
