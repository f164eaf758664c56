import { ENDPOINTS } from '../../main/api/endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiFetch, startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import type { NodeDto } from '../../main/api/contract.ts';

/**
 * Per-node rights (noderights.map) against DCMTK peers: a modality that may only store, a workstation that may query
 * and retrieve only to itself, a node whose calls must come from its address; each refusal as the standard says
 * (rejected presentation context, A-ASSOCIATE-RJ, C-MOVE status 0x0124), in the log and the audit trail; and the Nodes
 * screen's API writing the file.
 */
describe('per-node rights with storescu, findscu and movescu', () => {
  let archive: TestArchive;
  let work: string;
  let files: string[];
  let viewer: RunningStorescp;
  let other: RunningStorescp;
  const study = uid();

  beforeAll(async () => {
    viewer = await startStorescp('VIEWER');
    other = await startStorescp('OTHER');
    archive = await startArchive({}, [
      'MODALITY 127.0.0.1 104 un',
      `VIEWER 127.0.0.1 ${viewer.port} un`,
      `OTHER 127.0.0.1 ${other.port} un`,
      'ELSEWHERE 127.0.0.2 104 un',
    ]);
    await writeFile(
      path.join(archive.dataDir, 'config', 'noderights.map'),
      [
        '# test rights',
        'MODALITY   store,commit,mpps   -      host',
        'VIEWER     query,retrieve      self   -',
        'ELSEWHERE  all                 *      host',
      ].join('\n') + '\n',
    );
    await archive.server.core.applySettings();
    work = await mkdtemp(path.join(tmpdir(), 'pacs-rights-'));
    files = await writeImages(
      work,
      [1, 2].map((i) => makeImage({ patientId: 'RIGHTS1', studyUid: study, instanceNumber: i })),
    );
  });
  afterAll(async () => {
    await archive?.stop();
    await viewer?.stop();
    await other?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const store = (ae: string) =>
    run('storescu', ['-aet', ae, '-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files]);
  const find = (ae: string) =>
    run('findscu', [
      '-S',
      '-aet',
      ae,
      '-aec',
      archive.aeTitle,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientID=RIGHTS1',
      '-k',
      'StudyInstanceUID',
      '127.0.0.1',
      String(archive.port),
    ]);
  const move = (ae: string, to: string) =>
    run('movescu', [
      '-S',
      '-aet',
      ae,
      '-aec',
      archive.aeTitle,
      '-aem',
      to,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(archive.port),
    ]);

  it('lets the modality store from its address, and refuses its queries by rejecting their presentation context', async () => {
    const stored = await store('MODALITY');
    expect(stored.code, stored.stderr).toBe(0);
    expect((await archive.server.index.counts()).instances).toBe(2);
    const found = await find('MODALITY');
    expect(found.code).not.toBe(0);
    expect(found.stderr + found.stdout).toMatch(/Association Rejected/);
    expect(archive.logText()).toMatch(
      /MODALITY -> TESTPACS .*association rejected: no acceptable presentation context/,
    );
    expect(archive.logText()).toContain(
      'MODALITY (127.0.0.1) may not use 1.2.840.10008.5.1.4.1.2.2.1 (noderights.map): presentation contexts rejected',
    );
  });

  it('lets the viewer query and retrieve to itself, refuses a retrieve to another node with 0x0124, and refuses its stores', async () => {
    const found = await find('VIEWER');
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout + found.stderr).toContain(study);
    const toItself = await move('VIEWER', 'VIEWER');
    expect(toItself.code, toItself.stderr).toBe(0);
    expect(await viewer.files()).toHaveLength(2);
    const elsewhere = await move('VIEWER', 'OTHER');
    expect(elsewhere.stdout + elsewhere.stderr).toMatch(/Move response with error status \(Unknown Status: 0x124\)/);
    expect(await other.files()).toHaveLength(0);
    const stored = await store('VIEWER');
    expect(stored.code).not.toBe(0);
  });

  it('rejects an association whose AE title must come from another address, and a node without a line may do everything', async () => {
    const refused = await store('ELSEWHERE');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/Association Rejected|Calling AE Title Not Recognized/i);
    expect(archive.logText()).toMatch(
      /ELSEWHERE" called from 127\.0\.0\.1, not from its acrnema\.map host 127\.0\.0\.2/,
    );
    const unlisted = await find('OTHER');
    expect(unlisted.code, unlisted.stderr).toBe(0);
    await archive.server.core.audit.flush();
    const audit = await archive.server.index.auditStore().list({});
    expect(audit).toContainEqual(
      expect.objectContaining({ user: 'ELSEWHERE', action: 'association-rejected', outcome: 'refused' }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        user: 'MODALITY',
        action: 'refused',
        detail: 'SOP classes refused by noderights.map: 1.2.840.10008.5.1.4.1.2.2.1',
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        user: 'VIEWER',
        action: 'retrieve',
        studyUid: study,
        detail: expect.stringMatching(/^C-MOVE to OTHER: /),
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        user: 'VIEWER',
        action: 'query',
        patientId: 'RIGHTS1',
        detail: expect.stringContaining('PatientID=RIGHTS1'),
      }),
    );
  });

  it('shows and saves rights through the Nodes API, keeping the file readable and applying them at once', async () => {
    const nodes = (await (await apiFetch(archive, 'GET', ENDPOINTS.nodes.path)).json()) as NodeDto[];
    expect(nodes.find((n) => n.ae === 'VIEWER')?.access).toEqual({
      rights: ['query', 'retrieve'],
      retrieveTo: ['self'],
      checkHost: false,
      own: true,
    });
    expect(nodes.find((n) => n.ae === 'OTHER')?.access?.own).toBe(false);
    const bad = await apiFetch(archive, 'POST', ENDPOINTS.nodes.path, {
      ae: 'OTHER',
      host: '127.0.0.1',
      port: other.port,
      compression: 'un',
      access: { rights: ['fly'], retrieveTo: '*', checkHost: false },
    });
    expect(bad.status).toBe(400);
    const saved = await apiFetch(archive, 'POST', ENDPOINTS.nodes.path, {
      ae: 'OTHER',
      host: '127.0.0.1',
      port: other.port,
      compression: 'un',
      access: { rights: ['store'], retrieveTo: '*', checkHost: false },
    });
    expect(saved.status).toBe(200);
    expect(await readFile(path.join(archive.dataDir, 'config', 'noderights.map'), 'utf8')).toMatch(
      /^OTHER\s+store\s+\*\s+-$/m,
    );
    expect((await find('OTHER')).code).not.toBe(0);
    expect((await store('OTHER')).code).toBe(0);
  });
});
