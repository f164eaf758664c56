import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startArchive, type TestArchive } from '../helpers/archive.ts';
import { run } from '../helpers/dcmtk.ts';
import { dumpKeys } from '../helpers/qr-tools.ts';
import { makeImage, uid, writeImages } from '../helpers/fixtures.ts';
import { startStorescp, type RunningStorescp } from '../helpers/storescp.ts';

/**
 * Conquest's QueryConverter0 and RetrieveConverter0 (issue 31), driven by findscu and movescu with different calling
 * AE titles: a query converter drops one caller's queries (nothing matches) and narrows another's to one patient, and
 * writes a line per query; a retrieve converter refuses moves to one destination (`%s`) and lets the others through.
 */
describe('request converters', () => {
  let archive: TestArchive;
  let peer: RunningStorescp;
  let work: string;
  const study1 = uid();
  const study2 = uid();

  beforeAll(async () => {
    peer = await startStorescp('PEER');
    archive = await startArchive(
      {
        QueryConverter0:
          'append "%u asked%n" to queries.log; ifequal "%u", "BLOCKED"; destroy; ifequal "%u", "NARROW"; set 0010,0020 to "RQ2"',
        QueryResultConverter0:
          'ifequal "%i", "RQ1"; set 0008,1030 to "seen by %u"; ifequal "%u", "HIDE1"; { ifequal "%i", "RQ1"; destroy; }',
        RetrieveConverter0: `ifequal "%s", "FORBIDDEN"; reject; lua "print('moving to', Command.MoveDestination, Command.CommandField)"`,
      },
      [`PEER 127.0.0.1 ${peer.port} un`, `FORBIDDEN 127.0.0.1 ${peer.port} un`],
    );
    work = await mkdtemp(path.join(tmpdir(), 'pacs-request-converters-'));
    const files = await writeImages(work, [
      makeImage({ patientId: 'RQ1', studyUid: study1, rows: 8, columns: 8 }),
      makeImage({ patientId: 'RQ2', studyUid: study2, rows: 8, columns: 8 }),
    ]);
    expect((await run('storescu', ['-aec', archive.aeTitle, '127.0.0.1', String(archive.port), ...files])).code).toBe(
      0,
    );
  });
  afterAll(async () => {
    await archive?.stop();
    await peer?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const find = async (callingAe: string) => {
    const dir = await mkdtemp(path.join(work, 'find-'));
    const r = await run('findscu', [
      '-S',
      '-X',
      '-od',
      dir,
      '-aet',
      callingAe,
      '-aec',
      archive.aeTitle,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'PatientID=RQ*',
      '-k',
      'StudyInstanceUID',
      '-k',
      'StudyDescription',
      '127.0.0.1',
      String(archive.port),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(dir)).filter((f) => f.startsWith('rsp'));
    return (await Promise.all(files.map((f) => dumpKeys(path.join(dir, f)))))
      .map((a) => `${a.PatientID}${a.StudyDescription ? ` ${a.StudyDescription}` : ''}`)
      .sort();
  };

  it('drops, narrows or passes a C-FIND as the query converter says, changes or drops answers as the result converter says, and logs each', async () => {
    expect(await find('NORMAL')).toEqual(['RQ1 seen by NORMAL', 'RQ2 Head routine']);
    expect(await find('BLOCKED')).toEqual([]);
    expect(await find('NARROW')).toEqual(['RQ2 Head routine']);
    // The result converter drops one answer for one caller.
    expect(await find('HIDE1')).toEqual(['RQ2 Head routine']);
    expect(await readFile(path.join(archive.dataDir, 'queries.log'), 'utf8')).toBe(
      'NORMAL asked\nBLOCKED asked\nNARROW asked\nHIDE1 asked\n',
    );
  });

  it('refuses a C-MOVE to the destination the retrieve converter rejects, and moves to the others', async () => {
    const move = (destination: string) =>
      run('movescu', [
        '-S',
        '-aec',
        archive.aeTitle,
        '-aem',
        destination,
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study1}`,
        '127.0.0.1',
        String(archive.port),
      ]);
    const refused = await move('FORBIDDEN');
    expect(refused.stdout + refused.stderr).toMatch(/Unable to Process|UnableToProcess|c000/i);
    expect(await peer.files()).toHaveLength(0);
    const moved = await move('PEER');
    expect(moved.code, moved.stderr).toBe(0);
    expect(await peer.files()).toHaveLength(1);
    // Lua sees the request as Conquest's Command: its destination and command field (C-MOVE, 0x21).
    expect(archive.logText()).toContain('RetrieveConverter0 (retrieve from MOVESCU): moving to\tPEER\t33');
  });

  it('changes each object a C-GET sends (RetrieveResultConverter0), or keeps one back, and leaves the stored files as they are', async () => {
    await archive.setIni(
      'RetrieveResultConverter0',
      'ifequal "%i", "RQ2"; reject; set 0010,0010 to "Sent^%i"; newuids',
    );
    const got = await mkdtemp(path.join(work, 'get-'));
    const get = (study: string) =>
      run('getscu', [
        '-S',
        '-aec',
        archive.aeTitle,
        '-od',
        got,
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${study}`,
        '127.0.0.1',
        String(archive.port),
      ]);
    expect((await get(study1)).code).toBe(0);
    const [file] = await readdir(got);
    const dump = (await run('dcmdump', [path.join(got, file!)])).stdout;
    expect(dump).toContain('(0010,0010) PN [Sent^RQ1]');
    // newuids: the study it names is another than the one stored, and the C-STORE named the new SOP Instance UID.
    expect(dump).not.toContain(study1);
    // Kept back: a failed sub-operation, nothing received.
    const kept = await get(study2);
    expect(kept.stdout + kept.stderr).toMatch(/Failed|Warning|0xb000|b000/i);
    expect(await readdir(got)).toHaveLength(1);
    // The stored object is as it was.
    const stored = (await archive.server.index.instancesMatching([])).find((i) => i.studyInstanceUid === study1)!;
    const storedDump = (await run('dcmdump', [archive.server.store.absolutePath(stored.location)])).stdout;
    expect(storedDump).not.toContain('Sent^RQ1');
    expect(storedDump).toContain(study1);
    expect(archive.logText()).toContain('not sent: dropped by RetrieveResultConverter0');
    await archive.setIni('RetrieveResultConverter0', '');
  });
});
