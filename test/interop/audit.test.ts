import { ENDPOINTS, pathOf } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { makeCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { startRsyslog, type RunningSyslog } from '../helpers/rsyslog.ts';
import type { AuditDto } from '../../main/api/contract.ts';
import { valueWhen } from '../helpers/wait.ts';

/**
 * The audit trail as an admin reads it and as an audit record repository receives it: what users and peers did (a
 * modality's association, a query with its keys, a viewer opening a study once however many images it loads, a
 * settings change with old and new values, a deletion), filtered and exported as CSV; and each record sent on as an
 * IHE ATNA message over syslog to a real rsyslog, by UDP and by TLS.
 */
describe('audit trail', () => {
  let certs: TestCertificates;
  let syslog: RunningSyslog;
  let archive: TestArchive;
  let work: string;
  const study = uid();
  let sops: string[] = [];

  beforeAll(async () => {
    certs = await makeCertificates();
    syslog = await startRsyslog({ ca: certs.ca, ...certs.server });
    archive = await startArchive({ AuditSyslogHost: `127.0.0.1:${syslog.udpPort}`, AuditSyslogProtocol: 'udp' });
    work = await mkdtemp(path.join(tmpdir(), 'pacs-audit-'));
    const images = [1, 2, 3].map((i) =>
      makeImage({ patientId: 'AUD1', patientName: 'Audit^Anna', studyUid: study, instanceNumber: i }),
    );
    sops = images.map((i) => i.sopUid);
    const stored = await run('storescu', [
      '-aet',
      'CT_ROOM',
      '-aec',
      archive.aeTitle,
      '127.0.0.1',
      String(archive.port),
      ...(await writeImages(work, images)),
    ]);
    expect(stored.code, stored.stderr).toBe(0);
  });
  afterAll(async () => {
    await archive?.stop();
    await syslog?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(certs?.dir ?? '', { recursive: true, force: true });
  });

  const records = async (query = ''): Promise<AuditDto[]> => {
    await archive.server.core.audit.flush();
    return (await apiFetch(archive, 'GET', `${ENDPOINTS.audit.path}${query}`)).json() as Promise<AuditDto[]>;
  };

  it('records associations, DICOM queries with their keys, one view per study, settings changes and deletions', async () => {
    const found = await run('findscu', [
      '-S',
      '-aet',
      'WORKSTATION',
      '-aec',
      archive.aeTitle,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientName=Audit*',
      '-k',
      'StudyInstanceUID',
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(found.code, found.stderr).toBe(0);
    for (const sop of sops) {
      const res = await apiFetch(
        archive,
        'GET',
        `${ENDPOINTS.wado.path}?requestType=WADO&contentType=application%2Fdicom&studyUID=${study}&objectUID=${sop}`,
      );
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const settings = (await (await apiFetch(archive, 'GET', ENDPOINTS.settings.path)).json()) as { text: string };
    expect(
      (
        await apiFetch(archive, 'PUT', ENDPOINTS.settings.path, {
          text: settings.text.replace(/^MaxQueryResults\s*=.*$/m, '').replace(/\s*$/, '\nMaxQueryResults = 500\n'),
        })
      ).status,
    ).toBe(200);
    expect((await apiFetch(archive, 'DELETE', pathOf(ENDPOINTS.study, [study]))).status).toBe(200);

    const all = await records();
    expect(all).toContainEqual(
      expect.objectContaining({ user: 'CT_ROOM', source: 'CT_ROOM@127.0.0.1', action: 'association-accepted' }),
    );
    expect(all).toContainEqual(
      expect.objectContaining({
        user: 'WORKSTATION',
        action: 'query',
        detail: expect.stringMatching(/^C-FIND: .*PatientName=Audit\*/),
      }),
    );
    const views = all.filter((r) => r.action === 'view');
    expect(views).toEqual([
      expect.objectContaining({
        user: 'local admin',
        source: expect.stringMatching(/127\.0\.0\.1/),
        studyUid: study,
        patientId: 'AUD1',
        detail: 'WADO',
      }),
    ]);
    expect(all).toContainEqual(
      expect.objectContaining({ action: 'settings-changed', detail: 'MaxQueryResults: null -> "500"' }),
    );
    expect(all).toContainEqual(
      expect.objectContaining({ action: 'delete', studyUid: study, detail: '3 objects, by the user' }),
    );
  });

  it('filters by user, patient, action and date, and exports CSV safe to open in a spreadsheet', async () => {
    expect((await records('?user=WORKSTATION')).every((r) => r.user === 'WORKSTATION')).toBe(true);
    expect((await records('?patient=AUD1')).map((r) => r.action).sort()).toEqual(['view']);
    // By name too, as people search (the study is deleted: its patient's records are found by the ID as written).
    expect(await records('?patient=nobody-by-that-name')).toEqual([]);
    expect(await records('?action=delete')).toHaveLength(1);
    const today = new Date().toISOString().slice(0, 10);
    expect((await records(`?from=${today}&to=${today}`)).length).toBeGreaterThan(4);
    expect(await records('?to=2000-01-01')).toEqual([]);
    expect((await apiFetch(archive, 'GET', `${ENDPOINTS.audit.path}?from=yesterday`)).status).toBe(400);
    await apiFetch(archive, 'POST', ENDPOINTS.login.path, {
      name: '=HYPERLINK("http://x")',
      password: 'nope nope nope',
    });
    await archive.server.core.audit.flush();
    const bytes = Buffer.from(
      await (await apiFetch(archive, 'GET', `${ENDPOINTS.auditCsv.path}?action=login-failed`)).arrayBuffer(),
    );
    // UTF-8 with its byte order mark, so that a spreadsheet reads names with diacritics right.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,user,source,action,outcome,patientId,studyUid,detail');
    expect(lines[1]).toMatch(
      /^\d+,[\d-]+T[\d:.]+Z,"'=HYPERLINK\(""http:\/\/x""\)",127\.0\.0\.1,login-failed,failure,,,no such user$/,
    );
    // Semicolons, as Czech and German spreadsheets split fields.
    const semicolons = (
      await (await apiFetch(archive, 'GET', `${ENDPOINTS.auditCsv.path}?action=login-failed&sep=%3B`)).text()
    )
      .trimEnd()
      .split('\r\n');
    expect(semicolons[0]).toBe('id;at;user;source;action;outcome;patientId;studyUid;detail');
    expect(semicolons[1]).toMatch(
      /^\d+;[\d-]+T[\d:.]+Z;"'=HYPERLINK\(""http:\/\/x""\)";127\.0\.0\.1;login-failed;failure;;;no such user$/,
    );
  });

  it('sends each record to the audit repository as an ATNA message over syslog, by UDP and by TLS', async () => {
    let messages = await valueWhen(
      'the deletion reaches the repository',
      () => syslog.messages(),
      (all) => all.some((m) => m.includes('110105')),
    );
    const deleted = messages.find((m) => m.includes('110105'))!;
    expect(deleted).toMatch(/^<85>1 \S+ \S+ PACSWS \d+ IHE\+RFC-3881 - /);
    expect(deleted).toContain('<EventIdentification EventActionCode="D"');
    expect(deleted).toContain('<EventID csd-code="110105" codeSystemName="DCM" originalText="DICOM Study Deleted"/>');
    expect(deleted).toContain(`ParticipantObjectID="${study}"`);
    expect(deleted).toContain('<AuditSourceIdentification AuditSourceID="TESTPACS"/>');
    expect(messages.some((m) => m.includes('csd-code="110112"') && m.includes('UserID="WORKSTATION"'))).toBe(true);

    await archive.setIni('AuditSyslogProtocol', 'tls');
    await archive.setIni('AuditSyslogHost', `127.0.0.1:${syslog.tlsPort}`);
    await archive.setIni('TLSCACertificates', certs.ca);
    await archive.restart();
    await apiFetch(archive, 'POST', ENDPOINTS.login.path, { name: 'tls-check', password: 'wrong password 1' });
    await archive.server.core.audit.flush();
    messages = await valueWhen(
      'the failed login reaches the repository by TLS',
      () => syslog.messages(),
      (all) => all.some((m) => m.includes('UserID="tls-check"')),
    );
    const failed = messages.find((m) => m.includes('UserID="tls-check"'));
    expect(failed).toContain('EventOutcomeIndicator="8"');
    expect(failed).toContain('<EventTypeCode csd-code="110122" codeSystemName="DCM" originalText="Login"/>');
  });
});
